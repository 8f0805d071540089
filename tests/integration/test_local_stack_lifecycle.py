"""`nba-orch local up | down | status` on its own ports and state folder: up twice is harmless, down stops
exactly what up started, and a missing emulator says how to install it."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from tooling.local.stack import pid_alive, port_open

pytestmark = pytest.mark.emulators


def _cli(args, env, timeout=180):
    return subprocess.run(["nba-orch", "local", *args], env=env, capture_output=True, text=True, timeout=timeout)


def test_up_twice_then_down_stops_exactly_what_it_started(stack, tmp_path):
    env = {
        **os.environ,
        "NBA_ORCH_STATE_DIR": str(tmp_path / "state"),
        "NBA_ORCH_PUBSUB_PORT": "18185",
        "NBA_ORCH_BQ_PORT": "19150",
        "NBA_ORCH_BQ_GRPC_PORT": "19160",
        "NBA_ORCH_GCS_PORT": "19123",
        "GOOGLE_CLOUD_PROJECT": "lifecycle-test",
    }
    for k in ("PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "BIGQUERY_EMULATOR_HOST"):
        env.pop(k, None)
    first = _cli(["up"], env)
    try:
        assert first.returncode == 0, first.stderr
        assert "started: pubsub, gcs, bigquery" in first.stderr
        assert "export PUBSUB_EMULATOR_HOST=127.0.0.1:18185" in first.stdout
        pids = json.loads((tmp_path / "state/stack.json").read_text())["pids"]
        second = _cli(["up"], env)
        assert second.returncode == 0 and "already running" in second.stderr
        assert json.loads((tmp_path / "state/stack.json").read_text())["pids"] == pids
        status = _cli(["status"], env)
        assert status.returncode == 0
        assert {s: v["answers"] for s, v in json.loads(status.stdout)["services"].items()} == {
            "pubsub": True,
            "gcs": True,
            "bigquery": True,
        }
    finally:
        down = _cli(["down"], env)
    assert down.returncode == 0 and "pubsub" in down.stdout
    assert not any(pid_alive(p) for p in pids.values())
    assert not any(port_open(p) for p in (18185, 19150, 19123))
    # the session's own stack is untouched
    assert port_open(int(os.environ["PUBSUB_EMULATOR_HOST"].rsplit(":", 1)[1]))
    after = _cli(["status"], env)
    assert after.returncode == 1


def test_missing_emulator_says_how_to_install(tmp_path):
    env = {
        **os.environ,
        "NBA_ORCH_STATE_DIR": str(tmp_path / "state"),
        "NBA_ORCH_PUBSUB_PORT": "18285",
        "NBA_ORCH_BQ_PORT": "19250",
        "NBA_ORCH_GCS_PORT": "19223",
        "NBA_ORCH_BQ_PYTHON": "/nonexistent/python",
        "NBA_ORCH_PUBSUB_EMULATOR": "/nonexistent/cloud-pubsub-emulator",
    }
    # the explicit path is missing but the gcloud one exists: pubsub starts; bigquery is missing
    out = _cli(["up"], env)
    try:
        assert out.returncode == 1
        assert "BigQuery emulator virtualenv not found" in out.stderr and "make venv-bq" in out.stderr
    finally:
        _cli(["down"], env)
