"""`nba-orch status --date D` (the day's checks as JSON; exit 1 when one fails) and
`nba-orch report --date D --out report.html` (the day as a self-contained page); with `--from D1 --to D2`
instead of `--date`, several days at a glance (per-day SLA results and alerts; the report writes one page per
day beside an overview page linking them)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="the day's automatic checks (schedule locked, controller hours, cleanup...)")
    _days(p)
    p.set_defaults(func=_status)
    p = sub.add_parser("report", help="write the day's timeline and tables as one HTML page")
    _days(p)
    p.add_argument("--out", default="report.html", help="the page to write (default: report.html)")
    p.set_defaults(func=_report)


def _days(p: argparse.ArgumentParser) -> None:
    p.add_argument("--date", help="operational day YYYY-MM-DD (05:00 ET to 05:00 ET next day)")
    p.add_argument("--from", dest="date_from", help="first day of a range (with --to)")
    p.add_argument("--to", dest="date_to", help="last day of a range (inclusive)")


def _range(args: argparse.Namespace) -> list:
    """The days asked for: --date, or --from..--to (at most 92)."""
    from datetime import timedelta

    from shared.timeutil import parse_date

    try:
        if args.date and not (args.date_from or args.date_to):
            return [parse_date(args.date)]
        if args.date or not (args.date_from and args.date_to):
            raise ValueError("give --date D, or --from D1 --to D2")
        a, b = parse_date(args.date_from), parse_date(args.date_to)
        if b < a or (b - a).days > 91:
            raise ValueError("--to must be on or after --from, at most 92 days")
    except ValueError as exc:
        print(f"nba-orch {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return [a + timedelta(days=i) for i in range((b - a).days + 1)]


def _console() -> Any:
    """Cloud Console links for a deployed project: none for the local emulators (nothing to open there)."""
    from shared.runtime import Runtime
    from tooling.cli.common import LOCAL_PROJECT, emulators_in_use
    from tooling.report_html import Console

    rt = Runtime.from_env()
    return None if emulators_in_use() or rt.project == LOCAL_PROJECT else Console(rt.project, rt.bucket)


def _load(args: argparse.Namespace) -> list:
    from shared.config import get_config
    from shared.runtime import Runtime
    from tooling.cli.local import stack_environment
    from tooling.status import collect, evaluate

    days = _range(args)
    stack_environment()
    cfg, rt = get_config(), Runtime.from_env()
    out = []
    for d in days:
        data = collect(rt, cfg, d, check_files=len(days) == 1)
        out.append((data, evaluate(cfg, data)))
    return out


def _status(args: argparse.Namespace) -> int:
    from tooling.status import overview

    loaded = _load(args)
    if len(loaded) == 1 and not args.date_from:
        summary = loaded[0][1]
        emit(summary)
        return 0 if summary["ok"] else 1
    rows = overview([s for _, s in loaded])
    emit({"from": rows[0]["date"], "to": rows[-1]["date"], "ok": all(r["ok"] for r in rows), "days": rows})
    return 0 if all(r["ok"] for r in rows) else 1


def _report(args: argparse.Namespace) -> int:
    from tooling.report_html import render, render_overview
    from tooling.status import overview

    loaded = _load(args)
    console = _console()
    out = Path(args.out)
    if len(loaded) == 1 and not args.date_from:
        data, summary = loaded[0]
        out.write_text(render(data, summary, console=console))
        print(f"wrote {out} ({'all checks passed' if summary['ok'] else 'some checks failed'})", file=sys.stderr)
        return 0
    links = {}
    for data, summary in loaded:
        page = out.with_name(f"{out.stem}-{data.date.isoformat()}.html")
        page.write_text(render(data, summary, console=console))
        links[data.date.isoformat()] = page.name
    out.write_text(render_overview(overview([s for _, s in loaded]), links))
    print(f"wrote {out} and {len(links)} day page(s)", file=sys.stderr)
    return 0
