"""Per-source limits across instances, on the emulators, checked from the replay server's arrival times.

Several scraper instances (threads, each with its own HttpClient, pacer and GcsSlotStore: nothing in
common but the bucket, as separate function instances) execute requests from the requests topic while the
real controller fans a tick out onto it and a backfill-like publisher adds its own requests; every source's
calls must keep its minimum interval in sum. Controls with the per-process throttle alone show what each
check would catch. A 429 with Retry-After at one instance makes another wait; an unreachable slot store
falls back to the local throttle with one WARNING and loses no run.
"""

from __future__ import annotations

import dataclasses
import json
import threading
import time
import warnings
from urllib.parse import urlsplit

import pytest

from shared.config import get_config
from shared.scrapers.http import HttpClient, HttpSettings
from shared.scrapers.ratelimit import GcsSlotStore, Pacer, StoreUnavailable
from tests.controller.conftest import RECORDING, SCHEDULE_NAME, et
from tests.rate_windows import check
from tests.scrapers.conftest import request

pytestmark = pytest.mark.emulators

API = "api.balldontlie.io"
BOX = "https://api.balldontlie.io/v1/box_scores?date={date}"
# Arrivals may be closer than departures by the difference of two latencies (thread wake-up under the GIL
# of one test process on a shared 2-core machine, the loopback): allowed, and stated, per check. Under the
# whole suite's load two calls released >= one interval apart by the pacer (the unit tests) arrived up to
# 45 ms closer than that (CI: 55 ms apart with 100 ms slots), the socket write of one delayed behind its
# release by the GIL that four instance threads, the controller's tick and the replay server share in this
# one process. So the scaled-down intervals here are at least SCALED seconds, and the allowance 0.4 of one
# interval (>= 100 ms, twice the worst lag seen) still leaves the controls far outside it.
JITTER = 0.4  # a share of the interval
SCALED = 0.25  # seconds: the shortest scaled-down interval these tests use


def intervals(cfg, **seconds: float):
    """The catalogue with scaled-down minimum intervals (the real ones would make this test minutes long)."""
    sources = {n: dataclasses.replace(s, min_interval_seconds=seconds.get(n, 0.0)) for n, s in cfg.sources.items()}
    return dataclasses.replace(cfg, sources=sources)


def store(rt) -> GcsSlotStore:
    from shared.adapters import gcs

    return GcsSlotStore(lambda: gcs.bucket(rt), timeout=5)


def instance(rt, *, shared: bool = True, cache: float = 2.0) -> HttpClient:
    """One scraper instance's HTTP client: its own session, throttle and pacer (only the bucket is shared)."""
    return HttpClient(pacer=Pacer(store(rt), slowdown_cache_seconds=cache) if shared else None)


def host_sources(cfg) -> dict[str, str]:
    """Upstream host -> source, for the sources with a limit (each has hosts of its own)."""
    out: dict[str, str] = {}
    for spec in cfg.scrapers.values():
        if cfg.sources[spec.source].min_interval_seconds > 0:
            host = urlsplit(spec.url.replace("{", "").replace("}", "")).netloc
            assert out.setdefault(host, spec.source) == spec.source
    return out


def arrivals(rp, host: str) -> list[float]:
    return [s.at for s in rp.seen if s.host == host]


@pytest.fixture
def real_waits(replay, monkeypatch):
    """Unscaled waits (the intervals are scaled in the config instead), one attempt per call."""
    monkeypatch.setenv("NBA_ORCH_HTTP_BACKOFF_SCALE", "1")
    monkeypatch.setenv("NBA_ORCH_HTTP_ATTEMPTS", "1")
    replay.add(API, "/v1/box_scores", body='{"data": []}')
    return replay


def hammer(clients: list[HttpClient], source, calls_each: int) -> None:
    """Every client calls the source `calls_each` times, all clients at once."""
    start = threading.Barrier(len(clients))

    def run(i: int, http: HttpClient) -> None:
        start.wait()
        for n in range(calls_each):
            http.get(BOX.format(date=f"2023-{i + 1:02d}-{n + 1:02d}"), source=source)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)


def test_the_gcs_store_on_the_emulator(rt):
    s = store(rt)
    assert s.reserve("bdl", 17) is True
    assert s.reserve("bdl", 17) is False  # create-only: one caller per slot
    assert s.reserve("odds", 17) is True  # slots are per source
    assert s.read_slowdown("bdl") is None
    assert s.write_slowdown("bdl", 1000.0, 5.0, None) is True
    first = s.read_slowdown("bdl")
    assert first is not None and first.until == 1000.0 and first.generation > 0
    assert s.write_slowdown("bdl", 2000.0, 5.0, None) is False  # it exists now: compare-and-swap fails
    assert s.write_slowdown("bdl", 2000.0, 5.0, first) is True
    assert s.write_slowdown("bdl", 3000.0, 5.0, first) is False  # a stale generation loses
    second = s.read_slowdown("bdl")
    assert second is not None and second.until == 2000.0


def test_k_instances_keep_one_limit_together_and_the_per_process_throttle_does_not(rt, real_waits):
    bdl = dataclasses.replace(get_config().sources["balldontlie"], min_interval_seconds=SCALED)
    hammer([instance(rt) for _ in range(4)], bdl, 6)
    shared = check(arrivals(real_waits, API), SCALED, jitter=JITTER * SCALED, minute=10 * SCALED)
    real_waits.seen.clear()
    hammer([instance(rt, shared=False) for _ in range(4)], bdl, 6)
    local = check(arrivals(real_waits, API), SCALED, jitter=JITTER * SCALED, minute=10 * SCALED)
    assert shared.calls == local.calls == 24
    assert shared.held, shared
    assert shared.min_gap >= SCALED * (1 - JITTER)
    # the control: four processes each keeping SCALED seconds between their own calls call four at a time
    assert local.min_gap < 0.02 and local.interval_windows_over > 10 and local.minute_windows_over > 0


def test_the_controller_fan_out_a_backfill_and_four_instances_stay_inside_every_limit(srt, real_waits, upstream_dir):
    from shared.adapters import gcs, pubsub
    from shared.clients import subscriber
    from shared.contracts import decode_scraper_request
    from shared.controller import service as controller
    from shared.controller.service import request_body
    from shared.scrapers import service
    from shared.scrapers.errors import InProgress, TransientFailure
    from tests.controller.conftest import requests_sub

    cfg = intervals(
        get_config(), balldontlie=SCALED, odds_api=1.2 * SCALED, nba_stats=SCALED, basketball_reference=1.2 * SCALED
    )
    schedule = (upstream_dir / RECORDING).read_bytes()
    gcs.bucket(srt).blob(SCHEDULE_NAME).upload_from_string(schedule, content_type="application/json")
    sub, client = requests_sub(srt), subscriber(srt.project)
    done = threading.Event()
    handled: list[str] = []
    errors: list[str] = []

    def scraper_instance() -> None:
        try:
            serve()
        except Exception as exc:  # reported by the test, not lost in a thread
            errors.append(f"instance crashed: {type(exc).__name__}: {exc}")

    def serve() -> None:
        http = instance(srt)
        idle = 0
        while idle < 10:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)
                resp = client.pull(request={"subscription": sub, "max_messages": 2, "return_immediately": True})
            if not resp.received_messages:
                idle = idle + 1 if done.is_set() else 0
                time.sleep(0.1)
                continue
            idle = 0
            client.acknowledge(subscription=sub, ack_ids=[m.ack_id for m in resp.received_messages])
            for m in resp.received_messages:
                req = decode_scraper_request(_as_message(m.message))
                try:
                    service.execute(srt, req, http=http, config=cfg, final_attempt=True)
                except (InProgress, TransientFailure) as exc:
                    errors.append(f"{req.scraper_name}: {exc}")
                handled.append(req.scraper_name)

    def backfill() -> None:
        reqs = [request("bdl_box_scores", {"date": f"2024-12-{d:02d}"}, scope="backfill-t") for d in range(1, 21)]
        pubsub.publish_many(srt, "scraper_requests", [(request_body(r), r.attributes()) for r in reqs])

    instances = [threading.Thread(target=scraper_instance) for _ in range(4)]
    for t in instances:
        t.start()
    tick = et("2025-01-15", "13:00")
    feeder = threading.Thread(target=backfill)
    feeder.start()
    result = controller.run_tick(srt, cfg, tick, triggered_by="test")
    feeder.join()
    done.set()
    for t in instances:
        t.join(120)
    assert result.published >= 30 and len(handled) >= result.published + 20, (result.published, len(handled))
    counts = {}
    for host, source in host_sources(cfg).items():
        times = arrivals(real_waits, host)
        if not times:
            continue
        interval = cfg.sources[source].min_interval_seconds
        verdict = check(times, interval, jitter=JITTER * interval, minute=10 * interval)
        counts[source] = verdict.calls
        assert verdict.held, (source, verdict)
    # every limited source was called, several times by several instances at once
    assert counts["basketball_reference"] == 30 and counts["balldontlie"] >= 22 and counts["nba_stats"] >= 2
    assert counts["odds_api"] >= 1, counts
    assert not errors, errors


def _as_message(received):
    from shared.contracts import PubSubMessage

    return PubSubMessage(
        data=received.data,
        attributes=dict(received.attributes),
        message_id=received.message_id,
        publish_time=received.publish_time,
    )


def test_a_429_with_retry_after_at_one_instance_makes_another_wait(rt, real_waits):
    from shared.scrapers.errors import TransientFailure

    bdl = get_config().sources["balldontlie"]  # 0.1 s
    real_waits.add(API, "/v1/box_scores", query={"date": "2024-02-01"}, status=429, headers={"Retry-After": "1"})
    a, b, alone = instance(rt), instance(rt, cache=0), instance(rt, shared=False)
    with pytest.raises(TransientFailure) as exc:
        a.get(BOX.format(date="2024-02-01"), source=bdl)
    assert exc.value.error_type == "http_429"
    alone.get(BOX.format(date="2024-02-02"), source=bdl)  # the control: an instance that does not share
    b.get(BOX.format(date="2024-02-03"), source=bdl)
    at = {s.query["date"]: s.at for s in real_waits.seen}
    assert at["2024-02-02"] - at["2024-02-01"] < 0.5
    assert at["2024-02-03"] - at["2024-02-01"] >= 1.0 - JITTER * 0.1  # b waited out a's Retry-After
    assert a.pacer is not None and a.pacer.stats.slowdown_writes == 1


def test_an_unreachable_slot_store_falls_back_to_the_local_throttle_with_one_warning(rt, real_waits, capsys):
    import socket

    from google.auth.credentials import AnonymousCredentials
    from google.cloud import storage

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    gone = storage.Client(
        project="p", credentials=AnonymousCredentials(), client_options={"api_endpoint": f"http://127.0.0.1:{port}"}
    )
    broken = GcsSlotStore(lambda: gone.bucket("nowhere"), timeout=2)
    with pytest.raises(StoreUnavailable):
        broken.reserve("bdl", 1)
    bdl = dataclasses.replace(get_config().sources["balldontlie"], min_interval_seconds=SCALED)
    http = HttpClient(pacer=Pacer(broken))
    started = time.monotonic()
    for d in range(1, 4):
        assert http.get(BOX.format(date=f"2024-03-0{d}"), source=bdl, settings=HttpSettings.from_env()).status == 200
    elapsed = time.monotonic() - started
    times = arrivals(real_waits, API)
    assert len(times) == 3 and check(times, SCALED, jitter=JITTER * SCALED).held  # the local throttle still spaced them
    assert elapsed < 2.0  # no client-library retry deadline paid
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if "rate_limit_store_unavailable" in x]
    assert len(lines) == 1 and lines[0]["severity"] == "WARNING"
    assert http.pacer is not None and http.pacer.stats.fallbacks == 1


def test_a_deployed_instance_paces_through_its_bucket(rt, real_waits):
    """`execute` without an injected client uses the process's client for the runtime's bucket, whose pacer
    writes the slots there (what the scrapers function and the locker's in-process runs do)."""
    from shared.adapters import gcs
    from shared.scrapers import http as http_layer
    from shared.scrapers import service

    http_layer.reset()
    try:
        outcome = service.execute(rt, request("bdl_box_scores", {"date": "2024-01-15"}), final_attempt=True)
        assert outcome.status in ("success", "no_data")
        slots = [n for n, _, _ in gcs.list_objects(rt, "_nba-orch/slots/balldontlie/")]
        assert len(slots) == 1 and slots[0].endswith(".slot")
        assert http_layer.client_for(rt, get_config().rate_limits) is http_layer.client_for(
            rt, get_config().rate_limits
        )
        off = dataclasses.replace(get_config().rate_limits, shared_slots=False)
        assert http_layer.client_for(rt, off) is http_layer.client()
    finally:
        http_layer.reset()
