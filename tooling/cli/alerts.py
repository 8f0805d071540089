"""`nba-orch alerts test` (one test notification through every configured channel, saying which worked) and
`nba-orch alerts list [--date D] [--open]` (the alerts of an operational day, from the `alerts` table)."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("alerts", help="alerts: send a test notification, list alerts")
    s = p.add_subparsers(dest="alerts_command", required=True, metavar="ACTION")
    t = s.add_parser("test", help="send one test notification through every configured channel")
    t.set_defaults(func=_test, cloud=False)  # the channels only
    ls = s.add_parser("list", help="the alerts of an operational day (newest state of each)")
    ls.add_argument("--date", help="operational day YYYY-MM-DD (default: today's)")
    ls.add_argument("--open", action="store_true", help="only the alerts still open")
    ls.set_defaults(func=_list)


def _test(args: argparse.Namespace) -> int:
    from shared.alerts import channels
    from shared.alerts.notify import Notification
    from shared.notifier.service import deliver

    chans = channels.configured()
    if not chans:
        print(
            f"nba-orch alerts test: no channel configured (set {channels.WEBHOOK}, or {channels.SMTP} and "
            f"{channels.EMAIL_TO})",
            file=sys.stderr,
        )
        return 2
    now = datetime.now(UTC).isoformat(timespec="seconds")
    n = Notification("test", "test", "INFO", "TEST nba-orch notification", f"A test notification sent at {now}.")
    results = deliver(n, chans)
    emit({"channels": [{"channel": c.name, "target": c.target, "result": results[c.name]} for c in chans]})
    return 0 if all(v == "ok" for v in results.values()) else 1


def _list(args: argparse.Namespace) -> int:
    from shared import rules
    from shared.config import get_config
    from shared.runtime import Runtime
    from shared.timeutil import parse_date
    from tooling.cli.local import stack_environment

    stack_environment()
    cfg = get_config()
    try:
        d = parse_date(args.date) if args.date else rules.operational_day_of(cfg, datetime.now(UTC))
    except ValueError as exc:
        print(f"nba-orch alerts list: {exc}", file=sys.stderr)
        return 2
    from tooling.status import list_alerts

    alerts = list_alerts(Runtime.from_env(), cfg, d, only_open=args.open)
    emit({"date": d.isoformat(), "open_only": args.open, "count": len(alerts), "alerts": alerts})
    return 0
