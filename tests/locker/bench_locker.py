"""Benchmark: the schedule locker's costs, each printed beside a baseline measured in the same run.

1. Cold start: importing functions/schedule_locker/main.py in a fresh interpreter vs importing only
   functions_framework (the locker imports its core and the clients lazily, on the first message).
2. Planning (pure): rules.expected_runs for one day, and the controller's view of the same day
   (rules.due_runs at each of its 20 ticks), vs parsing the season's schedule file (paid once per lock).
3. Locking on the local emulators (skipped when no stack is running): first lock, a redelivered tick
   (no-op), and a force, vs one trivial BigQuery query round trip (SELECT 1).

    .venv/bin/python tests/locker/bench_locker.py [--runs 7] [--days 5]

Prints figures only (no pass/fail): medians, and ratios to each baseline.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORDING = ROOT.parent / "shared/fixtures/upstream/nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz"


def median_time(fn, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def import_time(snippet: str) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-c", snippet], cwd=ROOT, check=True)
    return time.perf_counter() - t


def bench_cold_start(runs: int) -> None:
    base = "import functions_framework\n"
    main = "import sys\nsys.path.insert(0, 'functions/schedule_locker')\nimport main\n"
    a, b = [], []
    for _ in range(runs):  # alternate so drift hits both alike
        a.append(import_time(base))
        b.append(import_time(main))
    ma, mb = statistics.median(a), statistics.median(b)
    print(
        f"cold start: functions_framework only {ma * 1000:7.1f} ms | schedule_locker main.py {mb * 1000:7.1f} ms "
        f"| ratio {mb / ma:.2f}"
    )


def bench_planning(runs: int) -> None:
    from shared import rules
    from shared.config import get_config
    from shared.nba.schedule import parse_schedule

    cfg = get_config()
    data = RECORDING.read_bytes()
    games = parse_schedule(json.loads(gzip.decompress(data)))
    parse = median_time(lambda: parse_schedule(json.loads(gzip.decompress(data))), runs)
    d = date(2025, 1, 15)
    plan = median_time(lambda: rules.expected_runs(cfg, d, games), runs * 5)
    ticks = rules.controller_ticks(cfg, d)
    per_tick = median_time(lambda: [rules.due_runs(cfg, t, games) for t in ticks], runs * 5)
    print(
        f"planning: parse season schedule (baseline) {parse * 1000:7.1f} ms | expected_runs(day) "
        f"{plan * 1000:6.2f} ms ({plan / parse:.3f}x) | due_runs at all {len(ticks)} ticks {per_tick * 1000:6.2f} ms "
        f"({per_tick / parse:.3f}x)"
    )


def bench_locking(runs: int, days: int) -> None:
    from tooling.local import stack

    state = stack.read_state()
    if not state:
        print("locking: skipped (no local stack running: nba-orch local up)")
        return
    os.environ.update(state["env"])
    from google.cloud import bigquery

    from shared.adapters.gcs import bucket
    from shared.clients import bigquery_client
    from shared.config import get_config
    from shared.locker.service import LockRequest, lock_schedule
    from shared.runtime import Runtime
    from tooling.provision import ensure_all

    cfg = get_config()
    rt = Runtime.from_env().with_suffix("bench" + uuid.uuid4().hex[:6])
    ensure_all(rt)
    bucket(rt).blob("nba-com/schedule/2024-25/20241210_000000.json").upload_from_string(RECORDING.read_bytes())
    client = bigquery_client(rt.project)
    select1 = median_time(lambda: list(client.query_and_wait("SELECT 1", job_config=bigquery.QueryJobConfig())), runs)
    first, again, force = [], [], []
    for i in range(days):
        as_of = datetime(2024, 12, 2, 10, tzinfo=UTC) + timedelta(days=i)
        for bucket_, req in (
            (first, LockRequest(as_of)),
            (again, LockRequest(as_of + timedelta(minutes=5))),
            (force, LockRequest(as_of + timedelta(minutes=10), force=True)),
        ):
            t = time.perf_counter()
            lock_schedule(rt, cfg, req)
            bucket_.append(time.perf_counter() - t)
    f, a, fo = (statistics.median(x) for x in (first, again, force))
    print(
        f"locking ({days} days): SELECT 1 round trip (baseline) {select1 * 1000:6.1f} ms | first lock "
        f"{f * 1000:6.1f} ms ({f / select1:.1f}x) | redelivered tick {a * 1000:6.1f} ms ({a / select1:.1f}x) "
        f"| force {fo * 1000:6.1f} ms ({fo / select1:.1f}x)"
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--days", type=int, default=5)
    args = p.parse_args()
    sys.path.insert(0, str(ROOT))
    bench_cold_start(args.runs)
    bench_planning(args.runs)
    bench_locking(args.runs, args.days)


if __name__ == "__main__":
    main()
