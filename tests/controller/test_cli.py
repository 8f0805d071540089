"""`nba-orch evaluate` and `nba-orch explain`: offline from a schedule file, and against the emulators."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.controller.conftest import RECORDING, decision_rows, et

REPO = Path(__file__).resolve().parents[2]


def offline(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI in a process with no stack running, no emulator settings and no Google credentials."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_EMULATOR_HOST") and not k.startswith("CLOUDSDK")}
    env.update(NBA_ORCH_STATE_DIR=str(tmp_path / "state"), HOME=str(tmp_path), CLOUDSDK_CONFIG=str(tmp_path / "gc"))
    env.pop("GOOGLE_APPLICATION_CREDENTIALS", None)
    cmd = [sys.executable, "-c", "import sys; from tooling.cli import main; sys.exit(main())", *args]
    return subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_evaluate_dry_run_offline_from_a_schedule_file(tmp_path, upstream_dir):
    p = offline(
        tmp_path,
        "evaluate",
        "--at",
        "2025-01-15T18:00:00Z",
        "--dry-run",
        "--schedule-file",
        str(upstream_dir / RECORDING),
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["slot"] == "2025-01-15T13" and out["dry_run"] is True
    assert out["records"].startswith("none, history assumed empty")
    got = {d["workflow"]: d for d in out["decisions"]}
    assert got["betting_lines"]["action"] == "RUN" and got["betting_lines"]["context"]["games_today"] == 11
    assert got["morning_operations"]["alert_level"] == "WARNING"  # nothing on record: late
    assert len(out["requests"]) == out["requests_published"] + 39  # dry run: 39 planned, none published
    assert out["actions"] == {"RUN": 4, "SKIP": 5, "ABORT": 0}


def test_explain_offline(tmp_path, upstream_dir):
    p = offline(
        tmp_path,
        "explain",
        "post_game_window_2",
        "--at",
        "2025-01-16T06:00:00Z",
        "--dry-run",
        "--schedule-file",
        str(upstream_dir / RECORDING),
    )
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    d, inputs = out["decision"], out["inputs"]
    assert d["action"] == "RUN" and d["context"]["game_night"] == "2025-01-15" and len(d["target_games"]) == 11
    assert inputs["tick_et"] == "2025-01-16T01:00:00-05:00" and inputs["operational_day"] == "2025-01-15"
    assert len(inputs["games"]) == 11 and inputs["games"][0] == {
        "game_id": "0022400561",
        "teams": "NYKPHI",
        "tip_et": "19:00",
        "type": "regular_season",
    }
    assert inputs["workflow_config"]["fixed_time"] == "01:00:00"
    assert inputs["expected_runs_today"][0]["at_et"] == "01:00"
    assert inputs["history"] == {
        "runs": [],
        "run_decisions": [],
        "odds_requests_remaining": None,
        "odds_recorded_at": None,
        "error": None,
    }


def test_cli_errors(tmp_path):
    p = offline(tmp_path, "explain", "no_such_workflow", "--dry-run")
    assert p.returncode == 2 and "unknown workflow 'no_such_workflow'" in p.stderr
    p = offline(tmp_path, "evaluate", "--at", "2025-01-15T18:00:00Z")
    assert p.returncode == 1 and "use --dry-run" in p.stderr
    p = offline(tmp_path, "evaluate", "--at", "2025-01-15 18:00", "--dry-run")
    assert p.returncode == 2 and "needs a UTC offset" in p.stderr


@pytest.mark.emulators
def test_evaluate_writes_and_explain_shows_the_record(ctl_rt, monkeypatch, capsys):
    from tooling.cli import main

    for k, v in ctl_rt.env().items():
        monkeypatch.setenv(k, v)
    at = "2025-01-17T15:00:00Z"  # 10:00 ET
    assert main(["evaluate", "--at", at, "--dry-run"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["decisions_written"] == 0 and decision_rows(ctl_rt, et("2025-01-17", "10:00")) == []
    assert main(["evaluate", "--at", at]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["decisions_written"] == 9 and out["records"].startswith(f"{ctl_rt.project}.{ctl_rt.dataset}")
    assert out["schedule_file"].endswith(".json")
    rows = decision_rows(ctl_rt, et("2025-01-17", "10:00"))
    assert len(rows) == 9 and {r["triggered_by"] for r in rows} == {"cli"}
    assert main(["explain", "referee_discovery", "--at", at]) == 0
    ex = json.loads(capsys.readouterr().out)
    assert ex["recorded"] is True and ex["decision"]["decision_id"] == "referee_discovery@2025-01-17T10"
    assert ex["decision"]["reason"] == "discovery attempt 1 of 6"  # 08:00 and 09:00 were never evaluated


def test_credits_plan_text_and_json_offline(tmp_path, upstream_dir):
    args = ["credits", "plan", "--from", "2025-01-15", "--days", "2", "--schedule-file", str(upstream_dir / RECORDING)]
    p = offline(tmp_path, *args, "--remaining", "700", "--format", "json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert (doc["days"], doc["credits_remaining"], doc["reserve"]) == (2, 700, 500)
    assert doc["per_day"]["2025-01-15"]["games"] == 11
    assert doc["expected_spend"] <= 700 - 500  # never below the reserve
    closing = [s for s in doc["snapshots"] if s["kind"] == "closing"]
    assert closing and all(s["take"] for s in closing)  # 200 credits cover every closing line of both days
    assert all(s["reason"].startswith("budget: ") for s in doc["snapshots"] if not s["take"])
    assert doc["minimum_spend"] == len(closing) * doc["snapshot_cost"]
    text = offline(tmp_path, *args, "--remaining", "700")
    assert text.returncode == 0 and text.stdout.startswith("Odds API credit plan: 2 day(s) from 2025-01-15")
    assert "expected spend" in text.stdout and "skip " in text.stdout
    # No reading and no stack: every snapshot is planned, and the plan says the credits are unknown.
    unknown = json.loads(offline(tmp_path, *args, "--format", "json").stdout)
    assert unknown["credits_remaining"] is None and unknown["skipped"] == 0
    bad = offline(tmp_path, "credits", "plan", "--days", "0", "--schedule-file", str(upstream_dir / RECORDING))
    assert bad.returncode == 2
