"""The cleanup function under functions-framework (pushed by the Pub/Sub emulator) and the `nba-orch cleanup`
command, end to end against the emulators."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.pubsub import publish
from shared.timeutil import iso_utc
from tests.cleanup.conftest import box_name, completions, ops_rows, put, scraper_meta
from tests.functions_harness import FunctionProcess, LogTail, function_env, wait_for, wire

pytestmark = pytest.mark.emulators
M = timedelta(minutes=1)


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_the_function_republishes_a_missed_completion_from_a_scheduler_tick(rt, tmp_path):
    # The file's run was 31 minutes ago (a tick may not act for the future: its as_of is now).
    ran = _now() - 31 * M
    name = box_name(ran)
    created = put(rt, name, scraper_meta("bdl_box_scores", "e1", ran))
    with FunctionProcess("cleanup", env=function_env(rt), log_path=tmp_path / "cleanup.log") as fn:
        wire(rt, fn, "cleanup_tick", min_backoff=1, max_backoff=2)
        publish(rt, "cleanup_tick", json.dumps({"as_of": iso_utc(created + 31 * M)}).encode())
        (note,) = wait_for(lambda: completions(rt, timeout=0.5), what="the republished completion")
        assert note["body"]["gcs_path"] == f"gs://{rt.bucket}/{name}" and note["body"]["recovery"] is True
        (row,) = wait_for(lambda: ops_rows(rt), what="the cleanup_operations row")
        assert (row["missing_files_found"], row["republished_count"], row["dry_run"]) == (1, 1, False)
        done = [x for x in LogTail(fn.log_path).read() if x["message"] == "cleanup: done"]
        assert done and done[0]["result"]["republished_count"] == 1


def test_a_gcs_failure_in_the_function_is_redelivered_by_pubsub(rt, tmp_path):
    env = function_env(rt, NBA_ORCH_BUCKET=rt.bucket + "-gone")
    with FunctionProcess("cleanup", env=env, log_path=tmp_path / "cleanup.log") as fn:
        wire(rt, fn, "cleanup_tick", min_backoff=1, max_backoff=1)
        publish(rt, "cleanup_tick", json.dumps({"as_of": iso_utc(_now())}).encode())
        tail = LogTail(fn.log_path)
        lines: list[dict] = []

        def retried_twice():
            lines.extend(tail.read())
            return len([x for x in lines if "will be retried" in x["message"]]) >= 2

        wait_for(retried_twice, what="a redelivery after the failure")
        assert "NotFound" in next(x for x in lines if "will be retried" in x["message"])["message"]
    assert ops_rows(rt) == []


def _cli(monkeypatch, capsys, rt, *args: str) -> tuple[int, dict, str]:
    from tooling.cli import main

    for k, v in rt.env().items():
        monkeypatch.setenv(k, v)
    code = main(["cleanup", *args])
    out = capsys.readouterr()
    assert "cleanup: reconciled" in out.err  # the log lines, kept off stdout
    return code, json.loads(out.out), out.err  # stdout is exactly one JSON document


def test_the_cli_prints_the_reconciliation_and_dry_run_publishes_nothing(rt, monkeypatch, capsys):
    name = box_name(_now())
    created = put(rt, name, scraper_meta("bdl_box_scores", "e1", _now()))
    as_of = iso_utc(created + 31 * M)
    code, doc, _ = _cli(monkeypatch, capsys, rt, "--dry-run", "--as-of", as_of)
    assert code == 0 and doc["dry_run"] is True and doc["republished_count"] == 0
    assert [m["gcs_path"] for m in doc["missing_files"]] == [name]
    assert completions(rt, timeout=0.5) == []
    since = iso_utc(created - 3 * M)
    code, doc, _ = _cli(monkeypatch, capsys, rt, "--since", since, "--as-of", as_of)
    assert code == 0 and doc["window"]["basis"] == "since" and doc["window"]["start"] == since
    assert doc["republished_count"] == 1 and len(completions(rt)) == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--as-of", "yesterday"), "not ISO-8601"),
        (("--as-of", "2025-01-15T18:00:00"), "needs a UTC offset"),
        (("--since", "2025-01-15T19:00:00Z", "--as-of", "2025-01-15T18:00:00Z"), "is not before --as-of"),
    ],
)
def test_the_cli_refuses_bad_times_without_touching_anything(monkeypatch, capsys, args, message):
    from tooling.cli import main

    assert main(["cleanup", *args]) == 2
    assert message in capsys.readouterr().err
