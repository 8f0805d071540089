"""Benchmark: backfill planning of a whole season, resume overhead, and the driver's publish pace.

1. Planning the 2024-25 regular season (2024-10-22..2025-04-13, 1,230 games) with every workflow
   (`shared.backfill.plan.plan_range`: each day's expected runs decided by the controller's rules): wall
   time and peak memory (tracemalloc), against a baseline measured in the same run: the locker's expected
   runs of the same days (`rules.expected_runs`, what the plan walks) for the time, and holding the parsed
   schedule for the memory.
2. Resume overhead (local emulators; needs the stack): a week's backfill published once (everything new),
   then the same command again with everything already published (it reads the manifest, the run ledger of
   the week and the progress markers, and publishes nothing). The ratio is the second run's time over the
   first's.
3. The driver's achieved publish pace per source against each source's limit (the catalogue's rate), at
   `--pace-scale` (default 1: the real rates; the post-game windows and referee assignments of one 15-game
   day, about 20 s bound by stats.nba.com's 0.6 s).

    .venv/bin/python tests/benchmarks/bench_backfill_plan.py [--repeat 3] [--no-stack] [--json]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import time
import tracemalloc
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SCHEDULE = ROOT.parent / "shared" / "fixtures" / "upstream" / "nbacom_cdn" / "scheduleleaguev2_2024-25_full.json.gz"
SEASON = (date(2024, 10, 22), date(2025, 4, 13))
WEEK = (date(2025, 1, 13), date(2025, 1, 19))
PACE_DAY = date(2025, 2, 12)  # a 15-game day


def _games() -> tuple:
    from shared.nba.schedule import parse_schedule

    return tuple(parse_schedule(json.loads(gzip.decompress(SCHEDULE.read_bytes()))))


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def bench_plan(cfg: Any, repeat: int) -> dict[str, Any]:
    from shared import rules
    from shared.backfill.plan import plan_range, summary

    games = _games()
    n_games = sum(len(rules.day_games(cfg, d, games)) for d in _days(*SEASON))
    plan_s, base_s = [], []
    plan = None
    for _ in range(repeat):  # interleaved: both see the same machine load
        t0 = time.perf_counter()
        for d in _days(*SEASON):
            rules.expected_runs(cfg, d, games)
        base_s.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        plan = plan_range(cfg, games, *SEASON)
        plan_s.append(time.perf_counter() - t0)
    assert plan is not None
    tracemalloc.start()
    parsed = _games()
    _, base_peak = tracemalloc.get_traced_memory()
    del parsed
    tracemalloc.reset_peak()
    plan_range(cfg, games, *SEASON)
    _, plan_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    s = summary(cfg, plan)
    return {
        "days": len(_days(*SEASON)),
        "games": n_games,
        "requests": s["requests"],
        "credits": s["credits"],
        "plan_seconds": round(statistics.median(plan_s), 3),
        "baseline_expected_runs_seconds": round(statistics.median(base_s), 3),
        "time_ratio": round(statistics.median(plan_s) / statistics.median(base_s), 2),
        "plan_peak_mib": round(plan_peak / 2**20, 1),
        "baseline_schedule_peak_mib": round(base_peak / 2**20, 1),
        "memory_ratio": round(plan_peak / base_peak, 2),
    }


def _runtime() -> Any:
    from shared.runtime import Runtime
    from tooling.provision import ensure_all

    rt = Runtime.from_env().with_suffix("bench" + uuid.uuid4().hex[:6])
    ensure_all(rt, views=False)
    return rt


def bench_resume(cfg: Any, repeat: int, pace_scale: float) -> dict[str, Any]:
    from shared.backfill.driver import run
    from shared.backfill.plan import plan_range
    from shared.backfill.progress import Manifest

    games = _games()
    week = plan_range(cfg, games, *WEEK)
    first_s, again_s = [], []
    for k in range(repeat):
        rt = _runtime()
        m = Manifest(f"bf-bench-{k}", {"from": str(WEEK[0]), "to": str(WEEK[1])}, week.items)
        t0 = time.perf_counter()
        st = run(rt, cfg, m, wait=False, scale=1e-6)
        first_s.append(time.perf_counter() - t0)
        assert st.published_now == len(week.items)
        t0 = time.perf_counter()
        st = run(rt, cfg, m, wait=False, scale=1e-6)
        again_s.append(time.perf_counter() - t0)
        assert st.published_now == 0 and st.published_before == len(week.items)
    day = plan_range(cfg, games, PACE_DAY, PACE_DAY, workflows=["post_game_window_3", "referee_discovery"])
    rt = _runtime()
    t0 = time.perf_counter()
    st = run(rt, cfg, Manifest("bf-bench-pace", {"day": str(PACE_DAY)}, day.items), wait=False, scale=pace_scale)
    pace_s = time.perf_counter() - t0
    return {
        "week_requests": len(week.items),
        "first_run_seconds": round(statistics.median(first_s), 3),
        "resume_seconds": round(statistics.median(again_s), 3),
        "resume_ratio": round(statistics.median(again_s) / statistics.median(first_s), 3),
        "pace_day": PACE_DAY.isoformat(),
        "pace_scale": pace_scale,
        "pace_requests": len(day.items),
        "pace_seconds": round(pace_s, 2),
        "pace": {
            src: {**e, "fraction_of_limit": round((e["calls_per_second"] or 0) / e["limit_per_second"], 2)}
            for src, e in st.pace.items()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--pace-scale", type=float, default=1.0)
    parser.add_argument("--no-stack", action="store_true", help="only the pure planning benchmark")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from shared.config import get_config

    cfg = get_config()
    out: dict[str, Any] = {"plan": bench_plan(cfg, args.repeat)}
    p = out["plan"]
    if not args.json:
        print(
            f"season plan: {p['days']} days, {p['games']} games -> {p['requests']} requests, {p['credits']} credits; "
            f"{p['plan_seconds']} s (baseline expected runs {p['baseline_expected_runs_seconds']} s, ratio "
            f"{p['time_ratio']}); peak {p['plan_peak_mib']} MiB (baseline parsed schedule "
            f"{p['baseline_schedule_peak_mib']} MiB, ratio {p['memory_ratio']})",
            flush=True,
        )
    if not args.no_stack:
        from shared import clients
        from tooling.local import stack

        state = stack.up()
        os.environ.update(state["env"])
        clients.reset()
        try:
            out["resume"] = r = bench_resume(cfg, args.repeat, args.pace_scale)
        finally:
            if state["started"]:
                stack.down(only=state["started"])
        if not args.json:
            print(
                f"resume: a week of {r['week_requests']} requests published in {r['first_run_seconds']} s; the same "
                f"command again {r['resume_seconds']} s (ratio {r['resume_ratio']})"
            )
            print(f"publish pace ({r['pace_requests']} requests of {r['pace_day']}, scale {r['pace_scale']}):")
            for src, e in r["pace"].items():
                print(
                    f"  {src:22} {e['calls']:5} calls in {e['seconds']:7} s: {e['calls_per_second']}/s of "
                    f"{e['limit_per_second']}/s ({e['fraction_of_limit']:.0%} of the limit)"
                )
    if args.json:
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
