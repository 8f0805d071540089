"""Fixtures for the scraper tests: the replay server with the real recordings routed, test API keys, fast
retries, and helpers to read what a run left in the emulators (files, rows, notifications, follow-ups)."""

from __future__ import annotations

import json
import time
import warnings
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.replay import Replay, add_recordings

BDL_KEY = "bdl-test-key-7f3a9c21"
ODDS_KEY = "odds-secret-5b1e2d88"
AS_OF = datetime(2024, 1, 25, 4, 0, tzinfo=UTC)  # 2024-01-24 23:00 ET


@pytest.fixture(scope="session")
def _replay_server(upstream_dir):
    """One replay server for the session (stopping one takes up to half a second); reset for every test."""
    rp = Replay().start()
    add_recordings(rp, upstream_dir)
    baseline = list(rp.routes)
    yield rp, baseline
    rp.stop()


@pytest.fixture
def replay(_replay_server, monkeypatch):
    """The replay server with every recording routed (routes a test adds are dropped after it); the process
    routes upstream calls to it, with test keys and fast retries."""
    from tests.replay import upstream_to

    rp, baseline = _replay_server
    rp.routes[:] = baseline
    for route in baseline:
        route.hits = 0
    rp.seen.clear()
    rp.unmatched.clear()
    env = {"NBA_ORCH_HTTP_TIMEOUT": "1", "NBA_ORCH_HTTP_ATTEMPTS": "3"}
    with upstream_to(rp, monkeypatch, **env, BALLDONTLIE_API_KEY=BDL_KEY, ODDS_API_KEY=ODDS_KEY):
        yield rp


@pytest.fixture
def rp(replay, upstream_dir, monkeypatch):
    """`replay` plus the catalogue's own routes, the BettingPros key and a Drive bearer (use_catalogue)."""
    from tests.scrapers.catalogue_recordings import use_catalogue

    return use_catalogue(replay, upstream_dir, monkeypatch)


@pytest.fixture
def srt(rt):
    """An isolated runtime with a pull subscription on the requests topic too (to see follow-ups)."""
    from tooling.provision import ensure_pull_subscription

    ensure_pull_subscription(rt, "scraper_requests")
    return rt


def request(name: str, params: dict[str, str], *, scope: str = "test", as_of: datetime = AS_OF, **kw: Any):
    from shared.contracts import ScraperRequest

    kw.setdefault("workflow", "betting_lines")
    kw.setdefault("source", "CONTROLLER")
    return ScraperRequest.create(name, params, scope=scope, as_of=as_of, **kw)


def rows(rt) -> list[dict[str, Any]]:
    from shared.adapters import bigquery as bq

    return bq.query(rt, "SELECT * FROM {dataset}.scraper_execution_log ORDER BY triggered_at, scraper_name")


def data_objects(rt) -> list[str]:
    """Names of the scraped files (the claim records under _nba-orch/ are not data)."""
    from shared.adapters import gcs

    return sorted(n for n, _, _ in gcs.list_objects(rt, "") if not n.startswith("_nba-orch/"))


def run_records(rt) -> list[dict[str, Any]]:
    """The run ledger's records (shared.run_ledger), as the controller reads them: from the listing."""
    from shared import run_ledger
    from shared.adapters import gcs

    return [run_ledger.parse(n, m) for n, _, m in gcs.iter_objects(rt, run_ledger.RUNS_PREFIX)]


def pull(rt, subscription: str, *, expect: int, timeout: float) -> list[Any]:
    """Pull (and ack) until `expect` messages arrived or `timeout` passed. Unlike tests.conftest.pull_all it
    asks the emulator to return at once (a pull on an empty subscription otherwise waits about 4 s), so
    "no further message within 1 s" costs 1 s."""
    from shared.clients import subscriber

    client = subscriber(rt.project)
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # return_immediately: deprecated, still honoured
            resp = client.pull(
                request={"subscription": subscription, "max_messages": 100, "return_immediately": True}, timeout=5
            )
        if resp.received_messages:
            client.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in resp.received_messages])
            got.extend(m.message for m in resp.received_messages)
        else:
            time.sleep(0.05)
    return got


def completions(rt, expect: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
    sub = f"projects/{rt.project}/subscriptions/{rt.topic('scraper_complete')}-pull"
    msgs = pull(rt, sub, expect=expect, timeout=timeout)
    return [{"body": json.loads(m.data), "attributes": dict(m.attributes), "message_id": m.message_id} for m in msgs]


def follow_up_messages(rt, expect: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    sub = f"projects/{rt.project}/subscriptions/{rt.topic('scraper_requests')}-pull"
    return [json.loads(m.data) for m in pull(rt, sub, expect=expect, timeout=timeout)]
