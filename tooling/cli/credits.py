"""`nba-orch credits plan [--days N]`: the Odds API credit plan for the days ahead (shared.controller.budget):
which line snapshots the credits left cover, which the planner would skip and why, and the expected spend
against the minimum (one closing snapshot per game). Text by default (also when piped: its default before
--format became global), `--format json` for one document.

The credits remaining are `--remaining`, else the newest `x-requests-remaining` the controller reads from the
records (the local stack or the project), else unknown (then every snapshot is planned and the plan says so).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import UTC, datetime
from typing import Any

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("credits", help="Odds API credits: the snapshot plan for the days ahead")
    s = p.add_subparsers(dest="credits_command", required=True, metavar="ACTION")
    pl = s.add_parser("plan", help="which line snapshots the credits left cover, and the expected spend")
    pl.add_argument("--days", type=int, default=None, help="days ahead (default: until the credits reset)")
    pl.add_argument("--from", dest="start", help="first operational day YYYY-MM-DD (default: today's)")
    pl.add_argument("--remaining", type=int, help="credits remaining (default: the newest recorded reading)")
    pl.add_argument("--schedule-file", help="a league schedule JSON (or .json.gz) on disk instead of GCS")
    pl.set_defaults(func=_plan, cloud="optional")


def _plan(args: argparse.Namespace) -> int:
    from shared import rules
    from shared.config import get_config
    from shared.controller.budget import period_plan
    from shared.controller.decide import _days_to_reset
    from shared.timeutil import parse_date

    cfg = get_config()
    try:
        first = parse_date(args.start) if args.start else rules.operational_day_of(cfg, datetime.now(UTC))
    except ValueError as exc:
        print(f"nba-orch credits plan: {exc}", file=sys.stderr)
        return 2
    days = args.days if args.days is not None else _days_to_reset(cfg, first)
    if days < 1:
        print("nba-orch credits plan: --days must be at least 1", file=sys.stderr)
        return 2
    with contextlib.redirect_stdout(sys.stderr):
        loaded = _inputs(args, cfg, first)
    if isinstance(loaded, int):
        return loaded
    games, remaining, source = loaded
    p = period_plan(cfg, games, first, days, remaining=remaining)
    doc = _document(cfg, p, source, first, games)
    # Text unless JSON is asked for (--format json): this verb's text was its default before --format was global.
    if getattr(args, "output_format", None) == "json":
        emit(doc)
    else:
        _print_text(doc)
    return 0


def _inputs(args: argparse.Namespace, cfg: Any, first: Any) -> tuple[Any, int | None, str] | int:
    from pathlib import Path

    from tooling.cli.controller import _reachable

    games = None
    if args.schedule_file:
        from shared.nba.schedule_store import parse_schedule_bytes

        try:
            games = parse_schedule_bytes(Path(args.schedule_file).read_bytes(), args.schedule_file)
        except (OSError, ValueError) as exc:
            print(f"nba-orch credits plan: {exc}", file=sys.stderr)
            return 2
    remaining = args.remaining
    source = "--remaining" if remaining is not None else "unknown"
    if games is None or remaining is None:
        ok, where = _reachable()
        if not ok:
            if games is None:
                print(f"nba-orch credits plan: no schedule ({where}); pass --schedule-file", file=sys.stderr)
                return 1
        else:
            from shared.controller import state
            from shared.runtime import Runtime

            rt = Runtime.from_env()
            if games is None:
                games = state.load_games(rt, first)[0]
            if remaining is None:
                d_start, _ = _bounds(cfg, first)
                reads = state.read_snapshot(rt, cfg, d_start, games=games)
                hist = reads.snapshot.history.get("betting_lines")
                if hist is not None and hist.odds_remaining is not None:
                    remaining, source = hist.odds_remaining, f"recorded reading ({where})"
    return games, remaining, source


def _bounds(cfg: Any, d: Any) -> Any:
    from shared import rules

    start, end = rules.operational_day_bounds(cfg, d)
    return max(start, min(datetime.now(UTC), end)), end


def _document(cfg: Any, p: Any, source: str, first: Any, games: Any) -> dict[str, Any]:
    from shared import rules

    by_day: dict[str, dict[str, Any]] = {}
    for d in p.days:
        by_day[d.isoformat()] = {"games": len(rules.day_games(cfg, d, games)), "planned": 0, "skipped": 0, "credits": 0}
    rows = []
    for ch in p.choices:
        c = ch.candidate
        day = rules.operational_day_of(cfg, c.due).isoformat() if c.due else c.key.split("/")[0]
        row = {
            "slot": c.key,
            "kind": c.kind,
            "at_et": rules.local(cfg, c.due).strftime("%Y-%m-%d %H:%M") if c.due else None,
            "credits": c.cost,
            "take": ch.take,
            "reason": ch.reason,
        }
        rows.append(row)
        entry = by_day.setdefault(day, {"games": 0, "planned": 0, "skipped": 0, "credits": 0})
        entry["planned" if ch.take else "skipped"] += 1
        entry["credits"] += c.cost if ch.take else 0
    return {
        "first_day": first.isoformat(),
        "days": len(p.days),
        "credits_remaining": p.remaining,
        "credits_source": source,
        "reserve": p.reserve,
        "snapshot_cost": cfg.odds.snapshot_cost(),
        "expected_spend": p.spend,
        "minimum_spend": p.minimum,
        "planned": sum(1 for r in rows if r["take"]),
        "skipped": sum(1 for r in rows if not r["take"]),
        "per_day": by_day,
        "snapshots": rows,
    }


def _print_text(doc: dict[str, Any]) -> None:
    rem = doc["credits_remaining"]
    print(
        f"Odds API credit plan: {doc['days']} day(s) from {doc['first_day']}; credits remaining "
        f"{rem if rem is not None else 'unknown'} ({doc['credits_source']}), reserve {doc['reserve']}, "
        f"{doc['snapshot_cost']} credits per game snapshot"
    )
    print(
        f"expected spend {doc['expected_spend']} credits for {doc['planned']} snapshot(s); minimum "
        f"{doc['minimum_spend']} (one closing snapshot per game); {doc['skipped']} skipped"
    )
    for day, e in doc["per_day"].items():
        print(f"  {day}: {e['planned']} planned, {e['skipped']} skipped, {e['credits']} credits")
    for r in doc["snapshots"]:
        if not r["take"]:
            print(f"  skip {r['slot']} ({r['kind']}, {r['at_et'] or 'any time'}): {r['reason']}")
