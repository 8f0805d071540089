"""Benchmark: near-tip line capture (issue 18), on dry-run decisions (the pure rules, no cloud).

For the replayed default day (the sample day, 2025-01-15: tips 19:00-22:30 ET) and a 15-game day
(2025-04-13 of the real 2024-25 schedule in the recordings), every controller tick of the operational day is
decided from a history in which every RUN's requests succeed (tests/controller/conftest.World):
1. for every game, the minutes between its closing snapshot and its tip (target: 20-35);
2. the credits the decisions spend (each game snapshot = one props + one game-lines call, markets x regions
   credits) against the planner's plan for the day (`nba-orch credits plan`) and against the minimum (one
   closing snapshot per game), and the event calls made against one call per event per snapshot taken (no
   event is fetched for a game whose slot is not due);
3. the controller's decision cost at the new cadence (hour ticks + quarter ticks) against the hourly
   configuration before issue 18 (the same day, `legacy_config`): per tick and per day. The emulator tick
   cost against publishes + one insert stays bench_controller.py's measure (its baseline is unchanged: a
   quarter tick decides one workflow and publishes at most one request).

    .venv/bin/python tests/benchmarks/bench_near_tip.py [--repeat 5] [--json]
Exit status 1 when a closing snapshot lands outside 20-35 min or a game has none.
"""

from __future__ import annotations

import argparse
import gzip
import json
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SCHEDULE = ROOT.parent / "shared" / "fixtures" / "upstream" / "nbacom_cdn" / "scheduleleaguev2_2024-25_full.json.gz"


def real_games() -> tuple:
    from shared.nba.schedule import parse_schedule

    return tuple(parse_schedule(json.loads(gzip.decompress(SCHEDULE.read_bytes()))))


def sample_games() -> tuple:
    from tooling.sample_day.day import DEFAULT_DATE, build

    return tuple(build(DEFAULT_DATE).schedule_games)


def run_day(cfg: Any, games: tuple, d: date) -> dict[str, Any]:
    """Decide every tick of `d` (dry run, pure) and measure what the brief asks."""
    from shared import rules
    from shared.controller.budget import period_plan
    from tests.controller.conftest import World

    world = World(cfg, games)
    per_tick: list[float] = []
    decisions = []
    ticks = rules.all_ticks(cfg, d)
    for t in ticks:
        t0 = time.perf_counter()
        decisions.extend(world.step(t))
        per_tick.append(time.perf_counter() - t0)
    day = rules.day_games(cfg, d, games)
    tips = {g.game_id: g for g in day}
    closing: dict[str, float] = {}
    snapshots = 0
    event_calls = 0
    for x in decisions:
        if x.workflow != "betting_lines" or x.action != "RUN":
            continue
        taken = x.context.get("slots_taken") or []
        for key in taken:
            gid, name = key.split("/")
            if name == "closing":
                closing[gid] = (tips[gid].commence_utc - x.tick).total_seconds() / 60
        snapshots += len(x.context.get("snapshot_games") or {})
        event_calls += 2 * len(x.context.get("snapshot_games") or {})  # props + game lines per event taken
    cost = cfg.odds.snapshot_cost()
    plan = period_plan(cfg, games, d, 1, remaining=None)
    return {
        "date": d.isoformat(),
        "games": len(day),
        "ticks": len(ticks),
        "closing_minutes_before_tip": {
            f"{tips[g].away}@{tips[g].home} {rules.hm(cfg, tips[g].commence_utc)}": round(m, 1)
            for g, m in sorted(closing.items(), key=lambda kv: tips[kv[0]].commence_utc)
        },
        "games_without_closing": sorted(set(tips) - set(closing)),
        "snapshots_taken": snapshots,
        "credits_spent": snapshots * cost,
        "credits_planned": plan.spend,
        "credits_minimum": len(day) * cost,
        "event_calls": event_calls,
        "event_calls_minimum": 2 * snapshots,
        "decide_ms_per_tick_median": round(statistics.median(per_tick) * 1000, 3),
        "decide_ms_day": round(sum(per_tick) * 1000, 1),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per day; the median decide times are kept")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    from shared.config import load_config
    from tests.controller.conftest import legacy_config

    cfg = load_config()
    legacy = legacy_config(cfg)
    days = [
        ("replayed default day", sample_games(), date(2025, 1, 15)),
        ("15-game day", real_games(), date(2025, 4, 13)),
    ]
    out = []
    ok = True
    for label, games, d in days:
        runs = [run_day(cfg, games, d) for _ in range(args.repeat)]
        olds = [run_day(legacy, games, d) for _ in range(args.repeat)]
        res = runs[-1]
        res["decide_ms_per_tick_median"] = statistics.median(r["decide_ms_per_tick_median"] for r in runs)
        res["decide_ms_day"] = statistics.median(r["decide_ms_day"] for r in runs)
        old_tick = statistics.median(r["decide_ms_per_tick_median"] for r in olds)
        old_day = statistics.median(r["decide_ms_day"] for r in olds)
        res["hourly_before_issue_18"] = {
            "ticks": olds[-1]["ticks"],
            "decide_ms_per_tick_median": old_tick,
            "decide_ms_day": old_day,
        }
        res["ratio_per_tick"] = round(res["decide_ms_per_tick_median"] / old_tick, 2) if old_tick else None
        res["ratio_per_day"] = round(res["decide_ms_day"] / old_day, 2) if old_day else None
        res["label"] = label
        mins = list(res["closing_minutes_before_tip"].values())
        res["closing_ok"] = not res["games_without_closing"] and all(20 <= m <= 35 for m in mins)
        ok = ok and res["closing_ok"]
        out.append(res)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for r in out:
            mins = list(r["closing_minutes_before_tip"].values())
            print(f"{r['label']} {r['date']}: {r['games']} games, {r['ticks']} ticks")
            print(
                f"  closing snapshot before tip: min {min(mins):.0f}, max {max(mins):.0f} min (target 20-35); "
                f"games without one: {len(r['games_without_closing'])}"
            )
            for k, v in r["closing_minutes_before_tip"].items():
                print(f"    {k}: {v:.0f} min")
            print(
                f"  credits: spent {r['credits_spent']}, planned {r['credits_planned']}, minimum (closing only) "
                f"{r['credits_minimum']}; event calls {r['event_calls']} (one per event per snapshot: "
                f"{r['event_calls_minimum']})"
            )
            h = r["hourly_before_issue_18"]
            print(
                f"  decide: {r['decide_ms_per_tick_median']:.2f} ms/tick median, {r['decide_ms_day']:.0f} ms/day; "
                f"hourly config {h['decide_ms_per_tick_median']:.2f} ms/tick, {h['decide_ms_day']:.0f} ms/day "
                f"over {h['ticks']} ticks: ratio {r['ratio_per_tick']} per tick, {r['ratio_per_day']} per day"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
