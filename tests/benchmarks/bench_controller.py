"""Benchmark: the master controller's tick, and the delay from an odds events completion to its follow-ups.

1. Tick overhead. A controller tick for a 15-game day (2025-02-12, its 04:00 ET tick: post-game window 3
   for the night's 15 games), on the local emulators, with a realistic history: the day's earlier ticks
   (06:00 .. 01:00, hour and quarter ticks: issue 18's line snapshots) were run by the service first and
   every request they published was recorded as a success, as the scrapers would (run ledger record + log
   row), with the odds follow-ups per event.
   Measured warm (the schedule already parsed by this process, as on a reused instance; the cold first
   tick is printed too): reads, decisions, slot claim, the decisions insert and every request published,
   and the SLA evaluation beside them (issue 16; also timed with it switched off, for information).
   Baseline, measured in the same run and interleaved: the raw cost of the same publishes (same messages,
   `publish_many`) and one insert of the same rows. Target: tick / baseline <= 2 (medians).
2. Follow-up delay. `oddsa_events` run through the scrapers service (shared.scrapers.service.execute, with
   the recorded events answer replayed locally): the delay from its completion notification to its first
   follow-up request, both as published (the emulator's publish times, ms resolution) and as seen in
   process (completion publish returned -> follow-ups publish returned). Target: p50 < 50 ms.

    .venv/bin/python tests/benchmarks/bench_controller.py [--runs 15] [--events 30] [--extra-records 1000]
Starts the local stack if it is not running (and stops only what it started). Exit status 1 when a target
is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
UPSTREAM = ROOT.parent / "shared" / "fixtures" / "upstream"
SCHEDULE = UPSTREAM / "nbacom_cdn" / "scheduleleaguev2_2024-25_full.json.gz"
TICK = datetime(2025, 2, 13, 9, 0, tzinfo=UTC)  # 04:00 ET after the 15-game night of 2025-02-12
TICK_RATIO_TARGET = 2.0
DELAY_P50_TARGET_MS = 50.0


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def setup_runtime() -> Any:
    from shared.adapters.gcs import bucket
    from shared.runtime import Runtime
    from tooling.provision import ensure_all

    rt = Runtime.from_env().with_suffix("bench" + uuid.uuid4().hex[:6])
    ensure_all(rt)
    bucket(rt).blob("nba-com/schedule/2024-25/20250212_100000.json").upload_from_string(SCHEDULE.read_bytes())
    return rt


def drop_runtime(rt: Any) -> None:
    from shared.clients import bigquery_client

    try:
        bigquery_client(rt.project).delete_dataset(f"{rt.project}.{rt.dataset}", delete_contents=True)
    except Exception:
        pass


def clear_slot(rt: Any, cfg: Any, tick: datetime) -> None:
    """Forget a decided slot (its ledger claim and rows), so the next tick decides it afresh."""
    from shared.adapters.bigquery import query
    from shared.adapters.gcs import delete_object
    from shared.controller.state import ledger_name

    delete_object(rt, ledger_name(cfg, tick))
    query(rt, "DELETE FROM {dataset}.workflow_decisions WHERE decision_time = @t", {"t": tick})


def build_history(rt: Any, cfg: Any) -> tuple[int, float]:
    """Run the day's ticks before TICK through the service and record every published request as a finished
    run, as the scrapers would (run ledger record + log row, from the same row). Each oddsa_events run also
    records the follow-ups it releases (props and game lines per event, with the quota reading), so the
    run ledger the tick lists has a game day's real volume. Returns the runs recorded and the duration of
    the first tick (cold: the schedule is parsed there)."""
    from concurrent.futures import ThreadPoolExecutor

    from shared import rules, run_ledger
    from shared.adapters import bigquery as bq
    from shared.controller import service

    logged, cold = 0, None
    for tick in rules.all_ticks(cfg, rules.operational_day_of(cfg, TICK)):  # hour and quarter ticks
        if tick >= TICK:
            break
        t = time.perf_counter()
        result = service.run_tick(rt, cfg, tick, triggered_by="bench-history")
        cold = time.perf_counter() - t if cold is None else cold
        rows = []

        def row(scraper: str, workflow: str, params: dict, at: datetime, summary: dict) -> dict[str, Any]:
            eid = uuid.uuid4().hex[:20]
            return {
                "execution_id": eid,
                "request_id": eid,
                "scraper_name": scraper,
                "workflow": workflow,
                "status": "success",
                "triggered_at": at,
                "completed_at": at + timedelta(seconds=3),
                "duration_seconds": 3.0,
                "source": "CONTROLLER",
                "data_summary": summary,
                "opts": {"params": params},
            }

        for r in result.requests:
            decision = next(d for d in result.decisions if d.workflow == r.workflow)
            summary: dict[str, Any] = {"record_count": 5}
            if r.scraper_name == "bdl_box_scores":  # the one per-date box score
                summary["game_ids"] = list(decision.target_games)
            rows.append(row(r.scraper_name, r.workflow, dict(r.params), r.as_of, summary))
            if r.scraper_name == "oddsa_events":
                for i, _game in enumerate(decision.target_games):
                    quota = {"record_count": 40, "quota": {"requests_remaining": 15000 - logged - i}}
                    for follow in ("oddsa_player_props", "oddsa_game_lines"):
                        params = {"event_id": f"ev{i:02d}", "date": str(r.params.get("date", ""))}
                        rows.append(row(follow, r.workflow, params, r.as_of, quota))
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda x: run_ledger.write(rt, cfg, x), rows))
        bq.insert_rows(rt, "scraper_execution_log", rows)
        logged += len(rows)
    return logged, cold or 0.0


def measure(rt: Any, cfg: Any, messages: list, rows: list, runs: int, tag: str) -> dict[str, list[float]]:
    """`runs` warm ticks of TICK, each followed by its baseline (the same publishes, one insert of the rows)."""
    from shared.adapters import bigquery as bq
    from shared.adapters import pubsub
    from shared.alerts import service as alerts
    from shared.controller import service

    out: dict[str, list[float]] = {"tick": [], "base": [], "pub": [], "ins": [], "no_sla": []}
    for i in range(runs):
        clear_slot(rt, cfg, TICK)
        t = time.perf_counter()
        result = service.run_tick(rt, cfg, TICK)
        out["tick"].append(time.perf_counter() - t)
        assert result.written == len(rows) and result.published == len(messages), result.summary()
        # the same tick without its SLA evaluation (issue 16's addition): the path issue 5's target was set for
        clear_slot(rt, cfg, TICK)
        evaluate, alerts.evaluate_safely = alerts.evaluate_safely, lambda *a, **k: None
        try:
            t = time.perf_counter()
            service.run_tick(rt, cfg, TICK)
            out["no_sla"].append(time.perf_counter() - t)
        finally:
            alerts.evaluate_safely = evaluate
        # baseline: the same publishes and one insert of the same rows (other ids: no collision)
        ids = [f"base{tag}{i}-{r['decision_id']}" for r in rows]
        base_rows = [{**r, "decision_id": rid} for r, rid in zip(rows, ids, strict=True)]
        t = time.perf_counter()
        pubsub.publish_many(rt, "scraper_requests", messages)
        t_pub = time.perf_counter()
        bq.insert_rows(rt, "workflow_decisions", base_rows, row_ids=ids)
        t_end = time.perf_counter()
        out["base"].append(t_end - t)
        out["pub"].append(t_pub - t)
        out["ins"].append(t_end - t_pub)
    return out


def file_extra_records(rt: Any, cfg: Any, n: int) -> None:
    """N more finished runs in the tick's operational day (odds props per event, as a busier day files)."""
    from concurrent.futures import ThreadPoolExecutor

    from shared import run_ledger

    at = TICK - timedelta(hours=8)

    def one(i: int) -> None:
        eid = f"extra{uuid.uuid4().hex[:15]}"
        row = {
            "execution_id": eid,
            "scraper_name": "oddsa_player_props",
            "workflow": "betting_lines",
            "status": "success",
            "triggered_at": at,
            "data_summary": {"record_count": 40, "quota": {"requests_remaining": 9000 - i}},
            "opts": {"params": {"event_id": f"x{i:05d}", "date": "2025-02-12"}},
        }
        run_ledger.write(rt, cfg, row)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(n)))


def bench_tick(rt: Any, runs: int, extra: int) -> tuple[dict[str, Any], bool]:
    from shared import rules
    from shared.config import get_config
    from shared.controller import service, state

    cfg = get_config()
    logged, cold = build_history(rt, cfg)
    timings: dict[str, list[float]] = {}

    def timed(mod: Any, name: str, key: str) -> None:
        fn = getattr(mod, name)

        def wrapper(*a: Any, **k: Any) -> Any:
            t = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                timings.setdefault(key, []).append(time.perf_counter() - t)

        setattr(mod, name, wrapper)

    timed(state, "_list_records", "run records listing (GCS, per day, concurrent)")
    timed(state, "runs_from_records", "run records parsed")
    timed(state, "list_ledger", "slot ledger listing (GCS, concurrent)")
    timed(state, "load_games", "schedule (GCS, concurrent; parse cached)")
    timed(state, "read_snapshot", "all reads")
    timed(service, "decide_tick", "decide (pure)")
    timed(state, "claim_slot", "slot claim (GCS create)")
    from shared.alerts import dead_letters
    from shared.alerts import service as alerts

    timed(alerts, "evaluate_safely", "SLA evaluation (beside the fan-out)")
    timed(alerts, "record_tick", "  tick marker (GCS create)")
    timed(alerts, "read_states", "  day states (GCS listings, concurrent)")
    timed(dead_letters, "peek_count", "    dead-letter peek (Pub/Sub pull)")
    timed(alerts, "_quality_counts", "    cross-source window")
    timed(alerts, "_run_facts", "    run records read as SLA facts (per day)")
    timed(alerts, "_ticks_of", "    tick markers (GCS listing, per day)")
    timed(alerts, "read_alerts", "  stored alerts (GCS listing)")
    timed(alerts, "publish_events", "  alert events and flush (publish)")

    first = service.run_tick(rt, cfg, TICK)
    messages = [(json.dumps(r.to_json(), separators=(",", ":")).encode(), r.attributes()) for r in first.requests]
    rows = [d.row(environment=rt.environment, triggered_by="bench") for d in first.decisions]
    timings.clear()

    m = measure(rt, cfg, messages, rows, runs, "a")
    tick_s, base_s, pub_s, ins_s = m["tick"], m["base"], m["pub"], m["ins"]
    med_tick, med_base = statistics.median(tick_s), statistics.median(base_s)
    ratio = med_tick / med_base
    runs_by = {d.workflow: len(d.requests) for d in first.decisions if d.action == "RUN"}
    print(f"1. Controller tick for a 15-game day ({first.slot}; {len(rows)} decisions, RUN {runs_by};")
    earlier = sum(t < TICK for t in rules.all_ticks(cfg, rules.operational_day_of(cfg, TICK)))
    print(f"   {len(messages)} requests; history: the day's {earlier} earlier ticks and {logged} recorded runs)")
    print(f"   cold first tick of the day (schedule downloaded and parsed, 06:00): {cold * 1000:8.1f} ms")
    print(f"   warm tick, median of {runs}:                     {med_tick * 1000:8.1f} ms")
    for key, values in timings.items():
        print(f"     {key:45s} {statistics.median(values) * 1000:8.1f} ms")
    print(f"   baseline (same publishes + one insert), median:   {med_base * 1000:8.1f} ms")
    print(f"     publish_many of {len(messages)} messages {'':24s} {statistics.median(pub_s) * 1000:8.1f} ms")
    print(f"     insert of {len(rows)} rows {'':34s} {statistics.median(ins_s) * 1000:8.1f} ms")
    no_sla = statistics.median(m["no_sla"])
    print(
        f"   for information, the tick without its SLA evaluation: {no_sla * 1000:.1f} ms, "
        f"ratio {no_sla / med_base:.2f} (the decisions and fan-out alone)"
    )
    listed = len(state._list_records(rt, rules.operational_day_of(cfg, TICK)))
    print(f"   run records in the tick's operational day (listed, metadata included): {listed}")
    ok = ratio <= TICK_RATIO_TARGET
    print(f"   ratio tick / baseline: {ratio:.2f}  (target <= {TICK_RATIO_TARGET})  {'OK' if ok else 'MISSED'}")
    if extra:
        file_extra_records(rt, cfg, extra)
        timings.clear()
        m = measure(rt, cfg, messages, rows, runs, "b")
        busy, base = statistics.median(m["tick"]), statistics.median(m["base"])
        reads = statistics.median(timings["all reads"]) * 1000
        print(
            f"   for information, {listed + extra} run records in the day (+{extra}): warm tick {busy * 1000:.1f} ms "
            f"(reads {reads:.1f} ms), baseline {base * 1000:.1f} ms, ratio {busy / base:.2f}"
        )
    return {"tick_ms": med_tick * 1000, "baseline_ms": med_base * 1000, "ratio": ratio}, ok


def bench_follow_ups(rt: Any, events: int) -> tuple[dict[str, Any], bool]:
    from shared.adapters import pubsub
    from shared.clients import subscriber
    from shared.config import get_config
    from shared.contracts import ScraperRequest
    from shared.scrapers import http
    from shared.scrapers import service as scrapers
    from tests.replay import Replay, add_recordings
    from tooling.provision import ensure_pull_subscription

    cfg = get_config()
    completions = ensure_pull_subscription(rt, "scraper_complete", f"{rt.topic('scraper_complete')}-bench")
    follow = ensure_pull_subscription(rt, "scraper_requests", f"{rt.topic('scraper_requests')}-bench")
    marks: dict[str, float] = {}
    real_publish, real_many = pubsub.publish, pubsub.publish_many

    def publish(rt_: Any, key: str, data: bytes, attributes: dict[str, str] | None = None) -> str:
        out = real_publish(rt_, key, data, attributes)
        if key == "scraper_complete":
            marks["completion"] = time.perf_counter()
        return out

    def publish_many(rt_: Any, key: str, messages: Any) -> list[str]:
        out = real_many(rt_, key, messages)
        if key == "scraper_requests" and "follow_ups" not in marks:
            marks["follow_ups"] = time.perf_counter()
        return out

    pubsub.publish, pubsub.publish_many = publish, publish_many
    in_process, published = [], []
    client = subscriber(rt.project)
    os.environ.setdefault("ODDS_API_KEY", "bench-not-a-real-key")
    with Replay() as rp:
        add_recordings(rp, UPSTREAM)
        os.environ["NBA_ORCH_UPSTREAM_OVERRIDE"] = rp.url
        http.reset()
        try:
            base = datetime(2024, 1, 25, 20, 0, tzinfo=UTC)
            for i in range(events + 1):
                marks.clear()
                req = ScraperRequest.create(
                    "oddsa_events",
                    {"date": "2024-01-25"},
                    scope=f"bench-{rt.dataset}-{i}",
                    workflow="betting_lines",
                    source="CONTROLLER",
                    as_of=base + timedelta(minutes=i),
                )
                outcome = scrapers.execute(rt, req, config=cfg)
                assert outcome.status == "success" and outcome.follow_ups, outcome.to_json()
                if i == 0:
                    continue  # warm-up: first HTTP connection, first client calls
                in_process.append((marks["follow_ups"] - marks["completion"]) * 1000)
                done = client.pull(subscription=completions, max_messages=10, timeout=10).received_messages
                reqs: list[Any] = []
                while len(reqs) < len(outcome.follow_ups):
                    reqs += client.pull(subscription=follow, max_messages=100, timeout=10).received_messages
                for batch in (done, reqs):
                    client.acknowledge(
                        subscription=completions if batch is done else follow, ack_ids=[m.ack_id for m in batch]
                    )
                t_done = min(m.message.publish_time for m in done)
                t_first = min(m.message.publish_time for m in reqs)
                published.append((t_first - t_done).total_seconds() * 1000)
        finally:
            pubsub.publish, pubsub.publish_many = real_publish, real_many
            os.environ.pop("NBA_ORCH_UPSTREAM_OVERRIDE", None)
            http.reset()
    p50_pub, p50_proc = statistics.median(published), statistics.median(in_process)
    print(f"2. oddsa_events completion -> first follow-up request ({events} runs, 7 events -> 14 follow-ups each)")
    print(
        f"   as published (emulator publish times): p50 {p50_pub:6.1f} ms  p95 {pct(published, 0.95):6.1f} ms"
        f"  max {max(published):6.1f} ms"
    )
    print(
        f"   in process (publish returned):         p50 {p50_proc:6.1f} ms  p95 {pct(in_process, 0.95):6.1f} ms"
        f"  max {max(in_process):6.1f} ms"
    )
    ok = p50_pub < DELAY_P50_TARGET_MS
    print(f"   target p50 < {DELAY_P50_TARGET_MS:g} ms: {'OK' if ok else 'MISSED'}")
    return {"p50_ms": p50_pub, "p50_in_process_ms": p50_proc}, ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="warm ticks (and baselines) measured")
    parser.add_argument("--events", type=int, default=30, help="oddsa_events runs measured")
    parser.add_argument(
        "--extra-records", type=int, default=0, help="then file N more run records in the day and measure again (info)"
    )
    args = parser.parse_args()

    from shared import clients
    from tooling.local import stack

    state = stack.up()
    os.environ.update(state["env"])
    clients.reset()
    rt = setup_runtime()
    try:
        _, ok1 = bench_tick(rt, args.runs, args.extra_records)
        print()
        _, ok2 = bench_follow_ups(rt, args.events)
    finally:
        drop_runtime(rt)
        if state["started"]:
            stack.down(only=state["started"])
    return 0 if ok1 and ok2 else 1


if __name__ == "__main__":
    sys.exit(main())
