"""The deployed shape end to end: an hour tick published to the emulator topic is pushed to the
master_controller function under functions-framework; decisions land in BigQuery and the scraper requests
arrive on the requests topic. A redelivered tick adds nothing; a malformed tick is acknowledged."""

from __future__ import annotations

import json

import pytest

from shared.adapters.pubsub import publish
from tests.conftest import pull_all
from tests.controller.conftest import SCHEDULE_NAME, decision_rows, et
from tests.functions_harness import FunctionProcess, LogTail, function_env, wait_for, wire
from tooling.provision import ensure_pull_subscription

pytestmark = pytest.mark.emulators


def test_hour_tick_through_the_function(rt, schedule_gz, tmp_path):
    from shared.adapters.gcs import bucket

    bucket(rt).blob(SCHEDULE_NAME).upload_from_string(schedule_gz, content_type="application/json")
    requests_sub = ensure_pull_subscription(rt, "scraper_requests")
    with FunctionProcess("master_controller", env=function_env(rt), log_path=tmp_path / "ctl.log") as fn:
        wire(rt, fn, "controller_tick", min_backoff=1, max_backoff=2)
        tail = LogTail(fn.log_path)
        lines: list[dict] = []

        def done() -> list[dict]:
            lines.extend(tail.read())
            return [x["result"] for x in lines if x.get("message") == "master_controller: done" and x.get("result")]

        # 22:00 ET on 2025-01-15: post-game window 1 for the night's 11 games, an injury report attempt
        publish(rt, "controller_tick", json.dumps({"as_of": "2025-01-16T03:00:00Z"}).encode())
        tick = et("2025-01-15", "22:00")
        rows = wait_for(lambda: len(decision_rows(rt, tick)) == 9 and decision_rows(rt, tick), what="decisions")
        actions = {r["workflow_name"]: r["action"] for r in rows}
        # betting_lines: the closing line of the 22:30 tip (BKN at LAC), 30 min before it
        assert actions["post_game_window_1"] == "RUN" and actions["betting_lines"] == "RUN"
        summary = wait_for(done, what="the function's summary")[0]
        assert summary["slot"] == "2025-01-15T22" and summary["decisions_written"] == 9
        n = summary["requests_published"]
        msgs = pull_all(rt, "scraper_requests", requests_sub, expect=n, timeout=20)
        bodies = [json.loads(m.data) for m in msgs]
        assert len(bodies) == n == summary["requests"] > 13
        w1 = [b for b in bodies if b["workflow"] == "post_game_window_1"]
        assert sorted(b["scraper_name"] for b in w1).count("nbac_team_boxscore") == 11
        assert {b["decision_id"] for b in w1} == {"post_game_window_1@2025-01-15T22"}
        assert all(b["as_of"] == "2025-01-16T03:00:00Z" and b["source"] == "CONTROLLER" for b in bodies)
        (bl,) = [b for b in bodies if b["workflow"] == "betting_lines"]
        assert bl["scraper_name"] == "oddsa_events" and bl["context"]["snapshot_type"] == "closing"
        assert bl["context"]["snapshot_games"] == {"BKNLAC": "closing"}

        # The Scheduler fires the same hour again (publish time as "now"), and a malformed tick arrives.
        publish(rt, "controller_tick", json.dumps({"as_of": "2025-01-16T03:00:07Z"}).encode())
        publish(rt, "controller_tick", b'{"as_of": "yesterday"}')
        wait_for(lambda: len(done()) == 2, what="the second summary")
        second = done()[1]
        assert (second["decisions_written"], second["already_decided"]) == (0, 9)
        # the slot is marked written (rows in, requests published): a redelivery publishes nothing again
        assert second["requests_published"] == 0
        assert pull_all(rt, "scraper_requests", requests_sub, expect=1, timeout=3) == []

        def rejected() -> bool:
            lines.extend(tail.read())
            return any("acknowledged without retry" in x.get("message", "") for x in lines)

        wait_for(rejected, what="the malformed tick rejected")
        assert len(decision_rows(rt, tick)) == 9

        # A quarter-hour firing (22:15:04 ET) is its own slot, deciding betting_lines only: the closing line
        # was taken at 22:00 (the slot ledger), nothing else is due before the 22:30 tip.
        publish(rt, "controller_tick", json.dumps({"as_of": "2025-01-16T03:15:04Z"}).encode())
        quarter = et("2025-01-15", "22:15")
        rows = wait_for(lambda: decision_rows(rt, quarter), what="the quarter tick's decision")
        assert [(r["workflow_name"], r["action"]) for r in rows] == [("betting_lines", "SKIP")]
        assert rows[0]["decision_id"] == "betting_lines@2025-01-15T22:15"
        third = wait_for(lambda: len(done()) >= 3 and done(), what="the third summary")[2]
        assert third["slot"] == "2025-01-15T22:15" and third["requests_published"] == 0
