"""The README's "Publishing by hand" walk-through, run as written, in subprocesses: `nba-orch local up --functions
--replay-day D`, `gcloud pubsub topics publish` of a locker tick then a controller tick, wait, `nba-orch status
--date D`, `nba-orch local down`; then no process of the walk-through is left.

It uses the session's emulators (the same ports: `up` reuses a stack it did not start and never stops it) in a
project of its own, so its topics and dataset are its own, and a bucket of its own (bucket names are global in
fake-gcs-server, and the day's locker claim and run ledger live there); its state folder is its own too.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from tooling.local import pipeline
from tooling.local.functions import NOTIFIER, PIPELINE
from tooling.local.stack import pid_alive, port_open

DAY = "2025-01-15"
LOCKER_TICK = '{"as_of": "2025-01-15T10:00:00Z"}'  # 05:00 ET: the lock time
CONTROLLER_TICK = '{"as_of": "2025-01-15T11:00:00Z"}'  # 06:00 ET: morning_operations is due


def _run(args: list[str], env: dict[str, str], timeout: float = 180) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)


def _status(env: dict[str, str]) -> dict:
    out = _run(["nba-orch", "status", "--date", DAY], env, timeout=60)
    assert out.stdout, out.stderr
    return json.loads(out.stdout)


def _wait_for(env: dict[str, str], done, timeout: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout
    st = _status(env)
    while not done(st) and time.monotonic() < deadline:
        time.sleep(1.0)
        st = _status(env)
    return st


def _exported(stdout: str) -> dict[str, str]:
    """What `eval "$(nba-orch local up ...)"` would export."""
    out = {}
    for line in stdout.splitlines():
        k, _, v = line.removeprefix("export ").partition("=")
        out[k] = v
    return out


@pytest.mark.emulators
def test_publishing_by_hand_walk_through(stack, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PUBSUB_", "STORAGE_", "BIGQUERY_", "CLOUDSDK_"))}
    for k in pipeline.ALERT_SETTINGS:
        env.pop(k, None)
    env.update(
        NBA_ORCH_STATE_DIR=str(tmp_path / "state"),
        GOOGLE_CLOUD_PROJECT=f"walk-{uuid.uuid4().hex[:8]}",
        NBA_ORCH_BUCKET=f"nba-walk-{uuid.uuid4().hex[:8]}",
        CLOUDSDK_CONFIG=str(tmp_path / "gcloud"),
    )
    up = _run(["nba-orch", "local", "up", "--functions", "--replay-day", DAY], env)
    state_file = tmp_path / "state" / "stack.json"
    try:
        assert up.returncode == 0, up.stderr
        assert "emulators started: nothing (already running)" in up.stderr  # the session's, reused
        env.update(_exported(up.stdout))
        state = json.loads(state_file.read_text())
        ours = [*(f["pid"] for f in state["functions"].values()), state["replay"]["pid"], *state["pids"].values()]
        assert sorted(state["functions"]) == sorted(t for t, _ in PIPELINE) and state["pids"] == {}
        again = _run(["nba-orch", "local", "up", "--functions", "--replay-day", DAY], env)  # idempotent
        assert again.returncode == 0, again.stderr
        assert json.loads(state_file.read_text())["functions"] == state["functions"]
        other = _run(["nba-orch", "local", "up", "--functions", "--replay-day", "2025-01-16"], env)
        assert other.returncode == 1 and "already running with replay day 2025-01-15" in other.stderr

        status = _run(["nba-orch", "local", "status"], env)
        assert status.returncode == 0, status.stdout + status.stderr
        shown = json.loads(status.stdout)["functions"]
        assert shown["master_controller"]["topic"] == "nba-orch-controller-tick"
        assert shown["master_controller"]["subscription"] == "nba-orch-controller-tick-local-push"
        assert all(f["pid_alive"] and port_open(f["port"]) for f in shown.values())
        assert shown["replay"]["date"] == DAY

        pub = _run(
            ["gcloud", "pubsub", "topics", "publish", "nba-orch-schedule-locker-tick", "--message", LOCKER_TICK], env
        )
        assert pub.returncode == 0, pub.stderr
        st = _wait_for(env, lambda s: s["checks"][0]["ok"])
        # 43: the sample day's workflows, with the morning recovery of the night before (2025-01-14 had games)
        assert st["checks"][0] == {"check": "schedule_locked", "ok": True, "detail": "43 rows locked at 05:00 ET"}

        pub = _run(
            ["gcloud", "pubsub", "topics", "publish", "nba-orch-controller-tick", "--message", CONTROLLER_TICK], env
        )
        assert pub.returncode == 0, pub.stderr
        st = _wait_for(env, lambda s: s["workflows"]["morning_operations"]["executions"].get("success", 0) >= 6)
        morning = st["workflows"]["morning_operations"]
        assert (morning["run"], morning["executions"]) == (1, {"success": 6}), morning
        assert st["failures"] == []

        logs = _run(["nba-orch", "local", "logs", "master_controller"], env)
        assert logs.returncode == 0 and "master_controller: done" in logs.stdout
    finally:
        down = _run(["nba-orch", "local", "down"], env)
    assert down.returncode == 0, down.stderr
    assert "stopped: scrapers, schedule_locker, master_controller, cleanup, replay" in down.stdout
    time.sleep(0.5)
    assert [p for p in ours if pid_alive(p)] == []
    assert not state_file.exists()
    assert port_open(int(os.environ["PUBSUB_EMULATOR_HOST"].rsplit(":", 1)[1]))  # the session's stack stays


def test_replay_day_needs_functions_and_a_date(tmp_path: Path) -> None:
    env = {**os.environ, "NBA_ORCH_STATE_DIR": str(tmp_path / "state")}
    out = _run(["nba-orch", "local", "up", "--replay-day", DAY], env, timeout=60)
    assert out.returncode == 2 and "--replay-day needs --functions" in out.stderr
    out = _run(["nba-orch", "local", "up", "--functions", "--replay-day", "2025-13-01"], env, timeout=60)
    assert out.returncode == 2 and "bad date" in out.stderr
    out = _run(["nba-orch", "local", "logs"], env, timeout=60)
    assert out.returncode == 2 and "NAME goes with `logs`" in out.stderr
    assert not (tmp_path / "state" / "stack.json").exists()


def test_notifier_runs_only_with_an_alert_channel() -> None:
    assert pipeline.roles({}) == PIPELINE
    assert pipeline.roles({"NBA_ORCH_ALERT_WEBHOOK_URL": "http://127.0.0.1:1/hook"}) == (*PIPELINE, NOTIFIER)


def test_logs_know_functions_replay_and_emulators(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBA_ORCH_STATE_DIR", str(tmp_path))
    recorded = {"functions": {"scrapers": {"log": str(tmp_path / "elsewhere.log")}}}
    assert pipeline.log_path("scrapers", recorded) == tmp_path / "elsewhere.log"
    assert pipeline.log_path("pubsub", None) == tmp_path / "logs" / "pubsub.log"
    with pytest.raises(pipeline.stack.StackError, match="no log named 'nope'; known: scrapers"):
        pipeline.log_path("nope", None)


def test_follow_prints_what_is_appended(tmp_path: Path) -> None:
    log = tmp_path / "f.log"
    log.write_text("one\n")
    out = io.StringIO()
    proc = subprocess.Popen(["sh", "-c", f"sleep 0.4; echo two >> {log}"])
    pipeline.follow(log, out, poll=0.05, stop_after=1.5)
    proc.wait()
    assert out.getvalue() == "one\ntwo\n"
