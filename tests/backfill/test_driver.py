"""The driver on the emulators (no functions): the credit ceiling, skipping what is done, resuming without
publishing twice, and a backfill id refused for other arguments. The requests are pulled from the topic."""

from __future__ import annotations

import json
from datetime import date

import pytest

from shared import run_ledger
from shared.backfill.driver import run
from shared.backfill.plan import plan_range
from shared.backfill.progress import Manifest, ManifestMismatch, read_published
from shared.timeutil import iso_utc

pytestmark = pytest.mark.emulators

DAY = date(2025, 1, 15)
ARGS = {"from": "2025-01-15", "to": "2025-01-15", "workflows": ["betting_lines", "referee_discovery"]}


def _pull(rt, sub: str, timeout: float = 3.0) -> list[dict]:
    from tests.conftest import pull_all

    return [json.loads(m.data) for m in pull_all(rt, "scraper_requests", sub, expect=10_000, timeout=timeout)]


def test_credit_ceiling_skip_done_and_resume(rt, cfg, games):
    from tooling.provision import ensure_pull_subscription

    sub = ensure_pull_subscription(rt, "scraper_requests")
    plan = plan_range(cfg, games, DAY, DAY, workflows=ARGS["workflows"])
    his = [i for i in plan.items if i.scraper == "oddsa_events_his"]
    ref = next(i for i in plan.items if i.scraper == "nbac_referee_assignments")
    # the live system already fetched the referee assignments of the day: the backfill skips them
    run_ledger.write(
        rt,
        cfg,
        {
            "execution_id": "live0001",
            "scraper_name": ref.scraper,
            "workflow": "referee_discovery",
            "status": "success",
            "triggered_at": iso_utc(ref.as_of),
            "opts": {"params": dict(ref.params)},
            "data_summary": {"record_count": 3},
        },
    )
    ceiling = sum(i.credits for i in his[:3]) + 1  # room for three snapshots, not the fourth
    manifest = Manifest("bf-test-credits", ARGS, plan.items)
    st = run(rt, cfg, manifest, credits_max=ceiling, wait=False, scale=0.01)
    assert st.done_before == 1 and st.published_now == 3
    assert [i.key for i in st.held] == [i.key for i in his[3:]]  # the first to cross stops the Odds API work
    assert st.credits_published <= ceiling
    got = _pull(rt, sub)
    assert sorted(m["request_id"] for m in got) == sorted(i.request_id("bf-test-credits") for i in his[:3])
    assert {m["source"] for m in got} == {"BACKFILL"} and {m["workflow"] for m in got} == {"betting_lines"}
    assert all(m["params"]["snapshot"] == m["as_of"] for m in got)

    # the same command again publishes nothing: the markers say what was published
    again = run(rt, cfg, manifest, credits_max=ceiling, wait=False, scale=0.01)
    assert again.published_before == 3 and again.published_now == 0 and len(again.held) == len(his) - 3
    assert _pull(rt, sub, timeout=1.5) == []

    # a higher ceiling publishes exactly the rest
    rest = run(rt, cfg, manifest, credits_max=10**6, wait=False, scale=0.01)
    assert rest.published_now == len(his) - 3 and not rest.held
    assert sorted(m["request_id"] for m in _pull(rt, sub)) == sorted(i.request_id("bf-test-credits") for i in his[3:])
    assert len(read_published(rt, "bf-test-credits").request_ids) == len(his)

    with pytest.raises(ManifestMismatch, match="other arguments"):
        run(rt, cfg, Manifest("bf-test-credits", {**ARGS, "to": "2025-01-16"}, plan.items), wait=False)


def test_requests_that_never_run_end_in_exit_1_after_the_timeout(rt, upstream_dir, tmp_path):
    # no scrapers function listens: the requests are published and never run
    import os
    import subprocess
    import sys
    from pathlib import Path

    cmd = [
        str(Path(sys.executable).with_name("nba-orch")),
        *("--format", "json", "backfill", "--from", "2025-01-15", "--to", "2025-01-15"),
        *("--workflows", "referee_discovery", "--timeout", "1"),
        *("--schedule-file", str(upstream_dir / "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz")),
    ]
    done = subprocess.run(cmd, env={**os.environ, **rt.env()}, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    last = json.loads(done.stdout.splitlines()[-1])
    assert last["event"] == "result" and last["published_now"] == 1 and last["done"] == 0 and last["total"] == 1
    assert "1 request(s) not finished within --timeout 1 s" in done.stderr
    assert "Traceback" not in done.stderr
