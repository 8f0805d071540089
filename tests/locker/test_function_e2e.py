"""The deployed shape end to end: a tick published to the emulator topic is pushed to the schedule_locker
function running under functions-framework, and the rows appear in the BigQuery emulator. Bad ticks are
acknowledged; a failing dependency makes Pub/Sub redeliver until it works."""

from __future__ import annotations

import json
import time

import pytest

from shared.adapters.pubsub import publish
from tests.functions_harness import FunctionProcess, LogTail, function_env, wait_for, wire
from tests.locker.conftest import seed_schedule, table_rows

pytestmark = pytest.mark.emulators


@pytest.fixture(autouse=True)
def _drop_push_subscriptions(rt):
    """Delete this test's push subscriptions afterwards, so the emulator stops pushing to a stopped server."""
    yield
    from shared.clients import subscriber

    client = subscriber(rt.project)
    for sub in client.list_subscriptions(request={"project": f"projects/{rt.project}"}):
        if sub.push_config.push_endpoint and rt.topic("locker_tick") in sub.topic:
            client.delete_subscription(subscription=sub.name)


def results(lines: list[dict]) -> list[dict]:
    return [x["result"] for x in lines if x.get("message") == "schedule_locker: done" and x.get("result")]


def test_tick_to_rows(rt, schedule_gz, tmp_path):
    seed_schedule(rt, schedule_gz)
    with FunctionProcess("schedule_locker", env=function_env(rt), log_path=tmp_path / "locker.log") as fn:
        wire(rt, fn, "locker_tick", min_backoff=1, max_backoff=2)
        tail = LogTail(fn.log_path)
        lines: list[dict] = []

        def read_until(predicate, what):
            def check():
                lines.extend(tail.read())
                return predicate()

            return wait_for(check, what=what)

        publish(rt, "locker_tick", json.dumps({"as_of": "2025-01-15T10:00:00Z"}).encode())
        rows = wait_for(lambda: table_rows(rt, "2025-01-15"), what="rows")
        assert len(rows) == 46 and {r["locked_at"].isoformat() for r in rows} == {"2025-01-15T10:00:00+00:00"}
        first = read_until(lambda: results(lines), "the summary log line")[0]
        assert {k: first[k] for k in ("status", "date", "games_scheduled", "workflows_evaluated", "expected_runs")} == {
            "status": "locked",
            "date": "2025-01-15",
            "games_scheduled": 11,
            "workflows_evaluated": 8,
            "expected_runs": 46,
        }
        assert first["locked_at"] == "2025-01-15T10:00:00Z"

        # A manual re-publish (and a later one) changes nothing; bad ticks are acknowledged, not retried.
        publish(rt, "locker_tick", json.dumps({"as_of": "2025-01-15T10:00:00Z"}).encode())
        publish(rt, "locker_tick", json.dumps({"as_of": "2025-01-15T10:30:00Z", "date": "2025-01-15"}).encode())
        publish(rt, "locker_tick", json.dumps({"date": "2025-13-01"}).encode())
        publish(rt, "locker_tick", json.dumps({"as_of": "2025-01-15T10:00:00Z", "date": "2027-01-01"}).encode())

        def settled():
            done = [r for r in results(lines) if r["status"] == "already_locked"]
            rejected = [x for x in lines if "acknowledged without retry" in x.get("message", "")]
            return len(done) == 2 and len(rejected) == 2

        read_until(settled, "two no-ops and two rejections")
        rejected = " ".join(x["message"] for x in lines if "acknowledged without retry" in x.get("message", ""))
        assert "bad date '2025-13-01'" in rejected and "more than 400 days ahead" in rejected
        time.sleep(2.5)  # longer than the retry backoff: a message not acknowledged would come back
        lines.extend(tail.read())
        assert len([x for x in lines if "acknowledged without retry" in x.get("message", "")]) == 2
        assert len(table_rows(rt, "2025-01-15")) == 46

        # A hand-published past day (issue 19): "now" is the publish time, two years later; the day is an
        # operator's, so it is locked, from the stored schedule taken after it (no scrape).
        publish(rt, "locker_tick", json.dumps({"date": "2024-11-03"}).encode())
        past = wait_for(lambda: table_rows(rt, "2024-11-03"), what="the past day's rows")
        summary = read_until(lambda: [r for r in results(lines) if r["date"] == "2024-11-03"], "its summary")[0]
        assert summary["status"] == "locked" and not summary["scraped"] and len(past) == summary["expected_runs"]


def test_failing_dependency_is_redelivered_until_it_works(rt, schedule_gz, upstream_dir, tmp_path):
    """No schedule file and stats.nba.com down: the function fails (500), Pub/Sub redelivers; once a schedule
    file exists, a redelivery locks the day."""
    from tests.replay import Replay, Reply, add_recordings

    with Replay() as rp:
        add_recordings(rp, upstream_dir)
        down = {"LeagueID": "00", "Season": "2024-25"}  # same parameters as the recording's route: replaces it
        rp.add("stats.nba.com", "/stats/scheduleleaguev2int", query=down, replies=[Reply(503)])
        env = function_env(rt, NBA_ORCH_UPSTREAM_OVERRIDE=rp.url, NBA_ORCH_HTTP_BACKOFF_SCALE="0.001")
        with FunctionProcess("schedule_locker", env=env, log_path=tmp_path / "locker.log") as fn:
            wire(rt, fn, "locker_tick", min_backoff=1, max_backoff=1, max_delivery_attempts=20)
            tail = LogTail(fn.log_path)
            publish(rt, "locker_tick", json.dumps({"as_of": "2025-01-15T10:00:00Z"}).encode())
            retried = wait_for(
                lambda: [x for x in tail.read() if "will be retried" in x.get("message", "")],
                what="a failed first delivery",
            )
            # Not the last delivery: the outage leaves no failed run behind, the redelivery scrapes again.
            assert retried[0]["severity"] == "ERROR" and "TransientFailure" in retried[0]["message"]
            assert table_rows(rt, "2025-01-15") == [] and rp.hits("stats.nba.com") >= 1
            seed_schedule(rt, schedule_gz, stamp="20250115_100500")  # e.g. the cdn scraper stored one meanwhile
            rows = wait_for(lambda: table_rows(rt, "2025-01-15"), what="rows after a redelivery")
            assert len(rows) == 46
