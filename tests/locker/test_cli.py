"""`nba-orch lock-schedule`: prints the rows as JSON; --dry-run writes nothing; --schedule-file reads a file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.locker.conftest import seed_schedule, table_rows
from tooling.cli import main

AS_OF = ["--as-of", "2025-01-15T10:00:00Z"]


def run_cli(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(["lock-schedule", *args])
    out, err = capsys.readouterr()
    return code, json.loads(out) if out.strip() else None, err


def test_dry_run_from_a_file_needs_no_cloud(recording, tmp_path):
    """The real entry point, in a process with no emulator variables and no local stack state."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST")}
    env["NBA_ORCH_STATE_DIR"] = str(tmp_path)  # no stack here
    exe = Path(sys.executable).with_name("nba-orch")
    proc = subprocess.run(
        [str(exe), "lock-schedule", "--dry-run", "--schedule-file", str(recording), "--date", "2025-03-09", *AS_OF],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["summary"]["status"] == "dry_run" and doc["summary"]["date"] == "2025-03-09"
    assert doc["summary"]["games_scheduled"] == 8 and len(doc["rows"]) == doc["summary"]["expected_runs"] == 47
    assert doc["rows"][0]["workflow_name"] == "morning_operations"
    assert doc["rows"][0]["expected_run_time"] == "2025-03-09T10:00:00Z" and doc["rows"][0]["generated_by"] == "cli"


@pytest.mark.emulators
def test_lock_then_noop_then_force(rt, capsys, monkeypatch, schedule_gz, recording):
    for k, v in rt.env().items():
        monkeypatch.setenv(k, v)
    seed_schedule(rt, schedule_gz)
    code, doc, _ = run_cli(capsys, "--date", "2025-01-15", *AS_OF)
    assert code == 0 and doc["summary"]["status"] == "locked" and len(doc["rows"]) == 46
    assert len(table_rows(rt, "2025-01-15")) == 46
    code, doc, _ = run_cli(capsys, "--date", "2025-01-15", "--as-of", "2025-01-15T11:00:00Z")
    assert code == 0 and doc["summary"]["status"] == "already_locked"
    assert doc["summary"]["locked_at"] == "2025-01-15T10:00:00Z"
    # --force with --schedule-file: the file from disk replaces the day.
    code, doc, _ = run_cli(capsys, "--date", "2025-01-15", "--force", "--schedule-file", str(recording), *AS_OF)
    assert code == 0 and doc["summary"]["status"] == "replaced"
    assert {r["schedule_version"] for r in table_rows(rt, "2025-01-15")} == {doc["summary"]["schedule_version"]}
    assert doc["summary"]["schedule_version"].startswith("scheduleleaguev2_2024-25_full:")


@pytest.mark.emulators
def test_dry_run_writes_nothing(rt, capsys, monkeypatch, schedule_gz):
    for k, v in rt.env().items():
        monkeypatch.setenv(k, v)
    seed_schedule(rt, schedule_gz)
    code, doc, _ = run_cli(capsys, "--dry-run", *AS_OF)
    assert code == 0 and doc["summary"]["status"] == "dry_run" and doc["summary"]["date"] == "2025-01-15"
    assert table_rows(rt, "2025-01-15") == []


NOW = ["--as-of", "2026-12-03T15:00:00Z"]  # more than 400 days after the day locked below


def test_a_past_day_is_locked_offline(capsys, recording):
    # Issue 19: an operator's explicit past day (the fall-back Sunday of 2024-25, 760 days before as_of).
    code, doc, err = run_cli(capsys, "--date", "2024-11-03", "--dry-run", "--schedule-file", str(recording), *NOW)
    assert code == 0, err
    assert (doc["summary"]["status"], doc["summary"]["date"], doc["summary"]["games_scheduled"]) == (
        "dry_run",
        "2024-11-03",
        3,
    )
    assert {r["date"] for r in doc["rows"]} == {"2024-11-03"} and doc["rows"][0]["locked_at"] == "2026-12-03T15:00:00Z"


@pytest.mark.emulators
def test_a_past_day_is_locked_on_the_emulators(rt, capsys, monkeypatch, schedule_gz, recording):
    for k, v in rt.env().items():
        monkeypatch.setenv(k, v)
    # from the recording on disk
    code, doc, err = run_cli(capsys, "--date", "2024-11-03", "--schedule-file", str(recording), *NOW)
    assert code == 0 and doc["summary"]["status"] == "locked", err
    rows = table_rows(rt, "2024-11-03")
    assert len(rows) == doc["summary"]["expected_runs"] > 0
    # 01:00 of the fall-back night is one expected run (its first occurrence), post_game_window_2 of the 3rd
    pg2 = [r["expected_run_time"].isoformat() for r in rows if r["workflow_name"] == "post_game_window_2"]
    assert pg2 == ["2024-11-04T06:00:00+00:00"]
    # from the schedule stored in GCS: stamped after the day was over, it has the day as played, so the
    # locker uses it although it is two years older than as_of (no scrape: nothing answers upstream here)
    seed_schedule(rt, schedule_gz)  # 20250115_095500
    code, doc, err = run_cli(capsys, "--date", "2024-11-02", *NOW)
    assert code == 0 and doc["summary"]["status"] == "locked" and not doc["summary"]["scraped"], err
    assert doc["summary"]["schedule_source"] == "nba-com/schedule/2024-25/20250115_095500.json"
    assert len(table_rows(rt, "2024-11-02")) == doc["summary"]["expected_runs"] > 0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--date", "2025-13-01"], "bad date '2025-13-01'"),
        (["--date", "15/01/2025"], "expected YYYY-MM-DD"),
        (["--as-of", "2025-01-15T10:00:00"], "needs a UTC offset"),
        (["--date", "2027-01-01", "--dry-run", "--schedule-file", "SCHEDULE"], "more than 400 days ahead"),
        (["--date", "1946-10-31", "--dry-run", "--schedule-file", "SCHEDULE"], "before the first NBA game"),
        (["--dry-run", "--schedule-file", "/nonexistent/schedule.json"], "cannot read /nonexistent/schedule.json"),
        (["--dry-run", "--schedule-file", "BAD"], "is not a readable league schedule"),
    ],
)
def test_bad_input(capsys, tmp_path, recording, args, message):
    bad = tmp_path / "bad.json"
    bad.write_text("<html>blocked</html>")
    args = [{"SCHEDULE": str(recording), "BAD": str(bad)}.get(a, a) for a in args]
    if "--as-of" not in args:
        args += AS_OF
    code, doc, err = run_cli(capsys, *args)
    assert code == 2 and doc is None and message in err
