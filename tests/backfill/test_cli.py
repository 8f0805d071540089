"""`nba-orch backfill` / `gaps` from the command line, offline: the dry-run plan as one JSON document, and
every bad input as one line on stderr, exit 2, no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

NBA_ORCH = Path(sys.executable).with_name("nba-orch")
RECORDING = "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz"


def _run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    # a clean environment: no emulators, no credentials, an empty state folder (no running local stack)
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "NBA_ORCH_STATE_DIR": str(tmp_path / "state")}
    return subprocess.run([str(NBA_ORCH), *args], env=env, capture_output=True, text=True, timeout=120)


def test_dry_run_prints_the_plan_offline(tmp_path, upstream_dir):
    sched = str(upstream_dir / RECORDING)
    r = _run(tmp_path, "backfill", "--from", "2025-01-13", "--to", "2025-01-19", "--dry-run", "--schedule-file", sched)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)  # piped: one JSON document
    assert doc["backfill_id"].startswith("bf-20250113-20250119-") and doc["dry_run"] is True
    assert doc["requests"] == 571 and doc["credits"] == 12806 and doc["already_done"] is None
    assert doc["per_scraper"]["br_season_roster"] == 30
    assert doc["per_source"]["odds_api"]["calls"] == 614
    text = _run(tmp_path, "--format", "text", "backfill", "--from", "2025-01-13", "--to", "2025-01-13", "--dry-run",
                "--schedule-file", sched, "--workflows", "referee_discovery")  # fmt: skip
    assert text.returncode == 0 and "1 request(s)" in text.stdout and "nba_officials" in text.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workflows", "nope"], "unknown or disabled workflow(s) nope"),
        (["--scrapers", "nope"], "unknown scraper(s) nope"),
        (["--credits-max", "-1"], "--credits-max must be 0 or more"),
        (["--id", "Bad Id"], "backfill id 'Bad Id'"),
        (["--from", "2025-02-30"], "not a calendar date"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path, upstream_dir, args, message):
    opts = {"--from": "2025-01-13", "--to": "2025-01-19", "--schedule-file": str(upstream_dir / RECORDING)}
    opts.update(zip(args[::2], args[1::2], strict=True))
    r = _run(tmp_path, "backfill", "--dry-run", *(x for kv in opts.items() for x in kv))
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert message in r.stderr and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr


def test_no_schedule_and_no_stack_says_what_to_do(tmp_path):
    r = _run(tmp_path, "backfill", "--from", "2025-01-13", "--to", "2025-01-19", "--dry-run")
    assert r.returncode == 2 and "pass --schedule-file" in r.stderr and "Traceback" not in r.stderr
    for verb in (["gaps"], ["backfill", "--gaps", "--dry-run"]):  # the gaps come from the run ledger
        r = _run(tmp_path, *verb, "--from", "2025-01-13", "--to", "2025-01-19")
        assert r.returncode in (1, 2) and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    r = _run(tmp_path, "gaps", "--from", "2025-01-13", "--to", "2025-01-19")
    assert r.returncode in (1, 2) and len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
