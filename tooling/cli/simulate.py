"""`nba-orch simulate --date D`: the main job, a whole operational day through the real pipeline offline."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="run a whole operational day (05:00 ET to 05:00 ET) through the pipeline "
        "on the local emulators, then report",
    )
    p.add_argument("--date", default=None, help="operational day YYYY-MM-DD (default: the sample day, 2025-01-15)")
    p.add_argument(
        "--speed",
        type=float,
        default=0.0,
        help="simulated seconds per real second (default 0: as fast as the pipeline goes)",
    )
    p.add_argument(
        "--live",
        action="store_true",
        help="call the real upstream APIs with keys from the environment instead of the sample day",
    )
    p.add_argument(
        "--hours", default=None, help="a shortened day: only the ticks of these ET hours, e.g. 5,6,18,22,1,4"
    )
    p.add_argument("--out", default=".nba-orch/simulation", help="folder for function logs and report.html")
    p.add_argument(
        "--duplicate-deliveries",
        type=int,
        default=1,
        metavar="N",
        help="deliver every message N times (N push subscriptions per topic): at-least-once, for real",
    )
    p.add_argument(
        "--upstream-fault-rate",
        type=float,
        default=0.0,
        metavar="R",
        help="answer this share of upstream requests with a random fault (500/503/429/timeout/garbage)",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the random upstream faults")
    p.add_argument(
        "--source-skew",
        action="append",
        default=[],
        metavar="SOURCE=F",
        help="that source's box scores report minutes and points times F (e.g. balldontlie=0.5): the "
        "cross-source comparison should flag it (repeatable)",
    )
    p.set_defaults(func=_simulate, cloud=False)  # it starts (or reuses) the local stack itself


def parse_skew(values: list[str]) -> dict[str, float]:
    """["balldontlie=0.5"] -> {"balldontlie": 0.5} (ValueError on a bad item)."""
    import math

    out = {}
    for v in values:
        src, sep, factor = v.partition("=")
        f = float(factor) if sep else float("nan")
        if not src or not math.isfinite(f) or f < 0:
            raise ValueError(f"--source-skew {v!r}: expected SOURCE=FACTOR with a finite factor >= 0")
        out[src] = f
    return out


def _simulate(args: argparse.Namespace) -> int:
    from shared.timeutil import parse_date
    from tooling.local.stack import StackError
    from tooling.simulate import run

    try:
        if args.date:
            d = parse_date(args.date)
        else:
            from tooling.sample_day import DEFAULT_DATE

            d = DEFAULT_DATE
        hours = {int(h) for h in args.hours.split(",")} if args.hours else None
        skew = parse_skew(args.source_skew)
        if skew:
            from tooling.sample_day.day import SKEWABLE

            bad = sorted(set(skew) - set(SKEWABLE))
            if bad:
                raise ValueError(f"--source-skew: cannot skew {', '.join(bad)} (skewable: {', '.join(SKEWABLE)})")
    except ValueError as exc:
        print(f"nba-orch simulate: {exc}", file=sys.stderr)
        return 2
    import signal

    # A TERM (CI timeout, `kill`) unwinds like Ctrl-C, so the functions and the replay server are stopped.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        result = run(
            d,
            out_dir=Path(args.out),
            live=args.live,
            hours=hours,
            speed=args.speed,
            duplicates=args.duplicate_deliveries,
            upstream_faults=args.upstream_fault_rate,
            seed=args.seed,
            source_skew=skew,
        )
    except StackError as exc:
        print(f"nba-orch simulate: {exc}", file=sys.stderr)
        return 1
    emit(
        {
            **result.summary,
            "simulation": {
                "ticks": result.ticks,
                "wall_seconds": round(result.wall_seconds, 1),
                "waiting_seconds": round(result.waiting_seconds, 1),
                "stalled": result.stalled,
                "injected_faults": result.faults,
                "report": str(Path(args.out) / "report.html"),
            },
        }
    )
    for c in result.summary.get("checks", []):
        print(f"{'PASS' if c['ok'] else 'FAIL'} {c['check']}: {c['detail']}", file=sys.stderr)
    print(
        f"simulated {d} in {result.wall_seconds:.1f} s; report: {Path(args.out) / 'report.html'}; data stays "
        "queryable until `nba-orch local down`",
        file=sys.stderr,
    )
    return 0 if result.ok else 1
