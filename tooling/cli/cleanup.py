"""`nba-orch cleanup [--dry-run] [--since ISO] [--as-of ISO]`: reconcile scraper files with their completion
notifications, republish the missed ones, and print the reconciliation as JSON.

`--dry-run` reports without publishing (it still records a dry-run row in cleanup_operations). `--since`
starts the window there instead of at the last successful run (a manual catch-up). Without emulator
variables set and with a local stack running, the command uses the local stack. Stdout is the JSON document
only (log lines go to stderr). Exit status: 0, or 1 when
the run recorded errors (a failed publish, a failed processed-files query), 2 for bad arguments.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import UTC, datetime

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("cleanup", help="republish completion notifications of scraper files that missed theirs")
    p.add_argument("--dry-run", action="store_true", help="report the missing files, publish nothing")
    p.add_argument("--since", help="window start, ISO-8601 with offset (default: the last successful cleanup)")
    p.add_argument("--as-of", help="the instant acted for, ISO-8601 with offset (default: now)")
    p.set_defaults(func=_cleanup)


def _cleanup(args: argparse.Namespace) -> int:
    from shared.cleanup.service import run_cleanup
    from shared.config import get_config
    from shared.contracts import Tick
    from shared.runtime import Runtime
    from shared.timeutil import parse_instant
    from tooling.cli.local import stack_environment

    try:
        # The CLI is an edge: without --as-of, "now" is the moment the person ran it (like a publish time).
        as_of = parse_instant(args.as_of) if args.as_of else datetime.now(UTC)
        since = parse_instant(args.since) if args.since else None
    except ValueError as exc:
        print(f"nba-orch cleanup: {exc}", file=sys.stderr)
        return 2
    if since is not None and since >= as_of:
        print(f"nba-orch cleanup: --since {args.since} is not before --as-of", file=sys.stderr)
        return 2
    stack_environment()
    # Log lines go to stderr here, so stdout is exactly the JSON document (pipe it to jq).
    with contextlib.redirect_stdout(sys.stderr):
        result = run_cleanup(Runtime.from_env(), get_config(), Tick(as_of=as_of, dry_run=args.dry_run, since=since))
    emit(result)
    return 1 if result.get("errors") else 0
