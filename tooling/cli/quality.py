"""`nba-orch quality --date D | --from D1 --to D2 [--format json|text]`: how far each box-score source agrees
with the reference source over the final games of those dates (from `source_comparisons`), which are
suspect, which source each data kind should rely on, and the worst disagreements."""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("quality", help="cross-source agreement of the box scores (per source, worst disagreements)")
    p.add_argument("--date", help="one game date YYYY-MM-DD (default: yesterday, ET)")
    p.add_argument("--from", dest="start", help="first game date of a range YYYY-MM-DD")
    p.add_argument("--to", dest="end", help="last game date of a range YYYY-MM-DD (default: --from)")
    p.add_argument("--worst", type=int, default=10, help="how many of the worst disagreements to list")
    p.add_argument(
        "--format",
        choices=("json", "text"),
        default=None,
        help="output format (default: text on a terminal, else JSON)",
    )
    p.set_defaults(func=_quality)


def _range(args: argparse.Namespace) -> tuple[date, date]:
    from shared.timeutil import et_date, parse_date

    if args.start:
        first = parse_date(args.start)
        last = parse_date(args.end) if args.end else first
    elif args.date:
        first = last = parse_date(args.date)
    else:
        from datetime import UTC, datetime

        first = last = et_date(datetime.now(UTC)) - timedelta(days=1)
    if last < first:
        raise ValueError(f"--to {last} is before --from {first}")
    if (last - first).days > 366:
        raise ValueError("a range of at most 367 days")
    return first, last


def _quality(args: argparse.Namespace) -> int:
    try:
        first, last = _range(args)
    except ValueError as exc:
        print(f"nba-orch quality: {exc}", file=sys.stderr)
        return 2
    from shared.adapters.bigquery import query
    from shared.quality.config import load_quality_config
    from shared.quality.summary import summarise
    from shared.runtime import Runtime
    from tooling.cli.local import stack_environment

    stack_environment()
    rt = Runtime.from_env()
    rows = query(
        rt,
        "SELECT game_id, teams, source, reference, players_compared, agreeing, disagreement_count, "
        "disagreements, unmatched, compared_at FROM {dataset}.source_comparisons "
        "WHERE game_date BETWEEN @first AND @last",
        params={"first": first, "last": last},
    )
    summary = summarise(load_quality_config(), rows, worst=args.worst)
    out = {"from": first.isoformat(), "to": last.isoformat(), **summary}
    fmt = args.format or ("text" if sys.stdout.isatty() else "json")
    if fmt == "json":
        emit(out)
        return 0
    print(f"box scores {out['from']}..{out['to']}: {out['games']} games compared; trusted: {out['trusted']}")
    print(f"{'source':<14}{'agreement':>10}{'players':>9}{'games':>7}{'disagree':>10}{'unmatched':>11}  suspect")
    for src, s in out["sources"].items():
        rate = "-" if s["agreement"] is None else f"{s['agreement']:.1%}"
        print(
            f"{src:<14}{rate:>10}{s['players']:>9}{s['games']:>7}{s['disagreements']:>10}{s['unmatched']:>11}  "
            f"{'SUSPECT' if s['suspect'] else ''}"
        )
    for d in out["worst"]:
        print(
            f"  {d['source']} {d['teams']} {d.get('team')} {d.get('player') or '(team)'} {d['field']}: "
            f"{d['reference']} ({d['reference_source']}) vs {d['value']}"
        )
    return 0
