"""`nba-orch status --date D` (the day's checks as JSON; exit 1 when one fails) and
`nba-orch report --date D --out report.html` (the day as a self-contained page)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("status", help="the day's automatic checks (schedule locked, controller hours, cleanup...)")
    p.add_argument("--date", required=True, help="operational day YYYY-MM-DD (05:00 ET to 05:00 ET next day)")
    p.set_defaults(func=_status)
    p = sub.add_parser("report", help="write the day's timeline and tables as one HTML page")
    p.add_argument("--date", required=True)
    p.add_argument("--out", default="report.html")
    p.set_defaults(func=_report)


def _load(args: argparse.Namespace):
    from shared.config import get_config
    from shared.runtime import Runtime
    from shared.timeutil import parse_date
    from tooling.cli.local import stack_environment
    from tooling.status import collect, evaluate

    stack_environment()
    try:
        d = parse_date(args.date)
    except ValueError as exc:
        print(f"nba-orch {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    cfg = get_config()
    data = collect(Runtime.from_env(), cfg, d)
    return data, evaluate(cfg, data)


def _status(args: argparse.Namespace) -> int:
    _, summary = _load(args)
    emit(summary)
    return 0 if summary["ok"] else 1


def _report(args: argparse.Namespace) -> int:
    from tooling.report_html import render

    data, summary = _load(args)
    out = Path(args.out)
    out.write_text(render(data, summary))
    print(f"wrote {out} ({'all checks passed' if summary['ok'] else 'some checks failed'})", file=sys.stderr)
    return 0
