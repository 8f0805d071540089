"""The Cloud Run Job's entry point (jobs/backfill/), staged as deploy stages it and started as the buildpacks
start it (the Procfile's web command under `bash -c`, the execution's arguments appended), against the
emulators: the same plan as `nba-orch backfill`, its exit codes, its JSON log lines, a retry that resumes.
No scrapers function listens: the run record the scraper would write is written by the test in between."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, time
from pathlib import Path

import pytest

from shared.config import CONFIG_DIR

pytestmark = pytest.mark.emulators

DAY = date(2025, 1, 15)
RANGE = ["--from", "2025-01-15", "--to", "2025-01-15", "--workflows", "referee_discovery"]
RECORDING = "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz"


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from deploy.settings import load_settings
    from deploy.stage import build_stage

    folder, _ = build_stage(load_settings().backfill_job, tmp_path_factory.mktemp("build"), CONFIG_DIR, kind="jobs")
    (web,) = [x.split(":", 1)[1].strip() for x in (folder / "Procfile").read_text().splitlines() if x.strip()]
    return folder, web


@pytest.fixture
def scheduled(rt, upstream_dir):
    """The season's schedule file in the bucket, where the locker keeps it (what the job reads in the cloud)."""
    import gzip

    from shared.adapters import gcs
    from shared.nba.schedule_store import schedule_prefix
    from shared.timeutil import et_at, utc_stamp

    data = gzip.decompress((upstream_dir / RECORDING).read_bytes())
    gcs.create_object(rt, f"{schedule_prefix(DAY)}{utc_stamp(et_at(DAY, time(5, 0)))}.json", data)
    return rt


def _job(stage: tuple[Path, str], rt, *args: str, **env: str) -> tuple[int, list[dict]]:
    folder, web = stage
    full = {**os.environ, **rt.env(), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}", **env}
    res = subprocess.run(["bash", "-c", web, *args], cwd=folder, env=full, capture_output=True, text=True, timeout=180)
    assert "Traceback" not in res.stdout + res.stderr, res.stderr[-3000:]
    lines = [json.loads(x) for x in res.stdout.splitlines() if x.strip()]  # every line of stdout is JSON
    return res.returncode, lines


def _event(lines: list[dict], name: str) -> dict:
    (found,) = [x for x in lines if x.get("event") == name]
    return found


def test_the_job_plans_like_the_cli_and_a_retry_resumes(stage, scheduled, cfg):
    from shared import run_ledger
    from shared.backfill.driver import execution_id
    from tooling.provision import ensure_pull_subscription

    rt = scheduled
    sub = ensure_pull_subscription(rt, "scraper_requests")
    # The arguments from the environment (gcloud run jobs execute --update-env-vars), none appended: a dry run.
    code, lines = _job(stage, rt, NBA_ORCH_BACKFILL_ARGS=" ".join([*RANGE, "--dry-run"]))
    assert code == 0, lines
    plan = _event(lines, "plan")
    assert plan["requests"] == 1 and plan["already_done"] == 0 and plan["dry_run"] is True
    assert plan["severity"] == "INFO" and plan["function"] == "backfill_job"
    # ...which is what `nba-orch backfill --dry-run` plans for the same arguments: the same code, the same id.
    cli = subprocess.run(
        [str(Path(sys.executable).with_name("nba-orch")), "--format", "json", "backfill", *RANGE, "--dry-run"],
        env={**os.environ, **rt.env()},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    doc = json.loads(cli.stdout)
    assert {k: plan[k] for k in doc} == doc

    # A real execution, the arguments as the container's (--args): published, never run -> exit 1 (retried).
    code, lines = _job(stage, rt, *RANGE, "--timeout", "1", "--format", "json")  # the CLI's flag, accepted
    assert code == 1, lines
    result = _event(lines, "result")
    assert (result["published_now"], result["done"], result["total"]) == (1, 0, 1)
    assert _event(lines, "unfinished")["severity"] == "ERROR"
    from tests.conftest import pull_all

    (msg,) = [json.loads(m.data) for m in pull_all(rt, "scraper_requests", sub, expect=1, timeout=10)]
    assert msg["source"] == "BACKFILL" and msg["decision_id"] == f"backfill:{plan['backfill_id']}"
    assert msg["scraper_name"] == "nbac_referee_assignments"

    # The scraper ran it (its run record, as the scrapers function files it); Cloud Run's retry of the task
    # resumes: nothing published again, done, exit 0.
    run_ledger.write(
        rt,
        cfg,
        {
            "execution_id": execution_id(msg["request_id"]),
            "scraper_name": msg["scraper_name"],
            "workflow": msg["workflow"],
            "status": "success",
            "triggered_at": msg["as_of"],  # its logical time
            "opts": {"params": msg["params"]},
            "data_summary": {"record_count": 3},
        },
    )
    code, lines = _job(stage, rt, *RANGE, "--timeout", "30", CLOUD_RUN_TASK_ATTEMPT="1")
    assert code == 0, lines
    result = _event(lines, "result")
    assert (result["published_now"], result["published_before"], result["done"]) == (0, 1, 1)
    assert all(x.get("attempt") == "1" for x in lines)
    assert pull_all(rt, "scraper_requests", sub, expect=1, timeout=2) == []


def test_bad_arguments_exit_2_and_other_tasks_do_nothing(stage, scheduled):
    rt = scheduled
    code, lines = _job(stage, rt, "--from", "2025-02-30", "--to", "2025-03-01")
    assert code == 2
    (line,) = lines
    assert line["severity"] == "ERROR" and "not a calendar date" in line["message"] and line["event"] == "usage"
    code, lines = _job(stage, rt, "--to", "2025-03-01")  # argparse's own error: a JSON line too
    assert code == 2 and len(lines) == 1 and "--from" in lines[0]["message"]
    code, lines = _job(stage, rt, NBA_ORCH_BACKFILL_ARGS="--from '2025-01-15")
    assert code == 2 and "NBA_ORCH_BACKFILL_ARGS" in lines[0]["message"]
    code, lines = _job(stage, rt, *RANGE, CLOUD_RUN_TASK_INDEX="1")
    assert code == 0 and [x["severity"] for x in lines] == ["WARNING"] and "only task 0" in lines[0]["message"]
