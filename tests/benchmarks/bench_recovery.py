"""Benchmark: the morning recovery's cost on the controller's 06:00 tick (issue 19), pure (no cloud).

A 15-game night of the real 2024-25 schedule (2025-02-12) is decided tick by tick with every RUN succeeding
(tests/controller/conftest.World), then a share of its finals' runs is dropped (every k-th run of a post-game
scraper without a catalogue fallback: the injected losses). The 06:00 tick of the next morning (snapshot
build + every decision, as `nba-orch evaluate --dry-run` does it) is timed with the recovery enabled against
the same tick with the recovery disabled (the configuration before issue 19), interleaved in the same run, so
the ratio is what the recovery adds: reading the night's runs (the day before's records, from its 05:00 ET)
and judging every (game, scraper) pair. Also checked: the recovery asks for exactly the pairs dropped.

    .venv/bin/python tests/benchmarks/bench_recovery.py [--runs 15] [--drop-every 7] [--json]
Exit status 1 when the recovery's requests are not exactly the dropped pairs.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
SCHEDULE = ROOT.parent / "shared" / "fixtures" / "upstream" / "nbacom_cdn" / "scheduleleaguev2_2024-25_full.json.gz"
NIGHT = date(2025, 2, 12)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15)
    ap.add_argument("--drop-every", type=int, default=7, help="drop every k-th run of a post-game scraper")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)

    from shared import rules
    from shared.config import load_config
    from shared.controller.decide import decide_tick
    from shared.nba.schedule import parse_schedule
    from tests.controller.conftest import World

    cfg = load_config()
    games = tuple(parse_schedule(json.loads(gzip.decompress(SCHEDULE.read_bytes()))))
    world = World(cfg, games)
    for t in rules.all_ticks(cfg, NIGHT):
        world.step(t)
    finals = set(cfg.workflows["morning_recovery"].scrapers)
    kept, dropped, i = [], set(), 0
    for r in world.runs:
        # scrapers a catalogue fallback can stand in for are left alone: a lost run of theirs may be served
        if r.scraper in finals and r.scraper != "bdl_box_scores" and not cfg.fallbacks_of(r.scraper):
            i += 1
            if i % args.drop_every == 0:
                dropped.add((r.scraper, tuple(sorted(r.params.items()))))
                continue
        kept.append(r)
    # a pair asked in several windows counts once; its earlier (not yet final) runs do not collect it
    world.runs = [r for r in kept if (r.scraper, tuple(sorted(r.params.items()))) not in dropped]
    morning = rules.recovery_tick(cfg, cfg.workflows["morning_recovery"], NIGHT)
    assert morning is not None
    off = dataclasses.replace(
        cfg,
        workflows={
            **cfg.workflows,
            "morning_recovery": dataclasses.replace(cfg.workflows["morning_recovery"], enabled=False),
        },
    )
    baseline = World(off, games, runs=world.runs, ledger=world.ledger)

    def tick(w: World) -> tuple[float, list[Any]]:
        t0 = time.perf_counter()
        out = decide_tick(w.cfg, w.snapshot(morning))
        return (time.perf_counter() - t0) * 1000, out

    with_rec, without = [], []
    for _ in range(max(args.runs, 1)):
        ms, out = tick(world)
        with_rec.append(ms)
        ms, _ = tick(baseline)
        without.append(ms)
    rec = next(d for d in out if d.workflow == "morning_recovery")
    asked = {(p.scraper, tuple(sorted(p.params.items()))) for p in rec.requests}
    exact = asked == dropped
    a, b = statistics.median(with_rec), statistics.median(without)
    doc = {
        "night": NIGHT.isoformat(),
        "morning_tick": rules.tick_key(cfg, morning),
        "games": len(rules.day_games(cfg, NIGHT, games)),
        "runs_of_the_night": len([r for r in world.runs if r.at < morning - timedelta(hours=1)]),
        "pairs_dropped": len(dropped),
        "recovery_requests": len(rec.requests),
        "exactly_the_dropped_pairs": exact,
        "tick_ms_with_recovery_p50": round(a, 2),
        "tick_ms_without_recovery_p50": round(b, 2),
        "ratio": round(a / b, 2) if b else None,
        "runs": args.runs,
    }
    if args.json:
        print(json.dumps(doc, indent=2))
    else:
        print(
            f"06:00 tick after the night of {doc['night']} ({doc['games']} games, {doc['runs_of_the_night']} runs, "
            f"{doc['pairs_dropped']} (game, scraper) pairs dropped):\n"
            f"  recovery requests {doc['recovery_requests']} (exactly the dropped pairs: {exact})\n"
            f"  tick (snapshot + decisions) p50 {a:.2f} ms with the recovery, {b:.2f} ms without: ratio {doc['ratio']}"
        )
    return 0 if exact else 1


if __name__ == "__main__":
    sys.exit(main())
