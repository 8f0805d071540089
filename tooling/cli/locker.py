"""`nba-orch lock-schedule [--date D] [--force] [--dry-run] [--schedule-file PATH] [--as-of T]`.

Prints the day's rows as JSON (with the summary). `--dry-run` writes nothing; `--schedule-file` reads a
schedule JSON (optionally gzip-compressed) from disk instead of GCS, so a dry run with it needs no cloud at
all. Without emulator variables set and with a local stack running, the command uses the local stack.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "lock-schedule", help="compute and lock a day's expected workflow runs (daily_expected_schedule)"
    )
    p.add_argument(
        "--date",
        help="the day to lock, YYYY-MM-DD: any day from 1946-11-01 to 400 days after --as-of (default: its ET date)",
    )
    p.add_argument("--force", action="store_true", help="replace the day's rows if it is already locked")
    p.add_argument("--dry-run", action="store_true", help="print the rows, write nothing (never scrapes)")
    p.add_argument("--schedule-file", metavar="PATH", help="schedule JSON (.json or .json.gz) instead of GCS")
    p.add_argument("--as-of", help="the instant acted for, ISO-8601 with offset (default: now)")
    # A dry run from a schedule file needs no cloud at all.
    p.set_defaults(func=_lock_schedule, cloud=lambda a: not (a.dry_run and a.schedule_file))


def _lock_schedule(args: argparse.Namespace) -> int:
    from shared.config import get_config
    from shared.errors import PermanentError
    from shared.locker.service import LockRequest, lock_schedule
    from shared.nba.schedule_store import Schedule, parse_schedule_bytes, stamp_of
    from shared.runtime import Runtime
    from shared.timeutil import parse_date, parse_instant

    try:
        # The CLI is an edge: without --as-of, "now" is the moment the person ran it (like a publish time).
        as_of = parse_instant(args.as_of) if args.as_of else datetime.now(UTC)
        d = parse_date(args.date) if args.date else None
    except ValueError as exc:
        print(f"nba-orch lock-schedule: {exc}", file=sys.stderr)
        return 2
    schedule = None
    try:
        if args.schedule_file:
            path = Path(args.schedule_file)
            try:
                data = path.read_bytes()
            except OSError as exc:
                print(f"nba-orch lock-schedule: cannot read {path}: {exc.strerror}", file=sys.stderr)
                return 2
            schedule = Schedule(str(path), stamp_of(path.name), parse_schedule_bytes(data, str(path)))
        if not (args.dry_run and schedule is not None):
            from tooling.cli.local import stack_environment

            stack_environment()
        req = LockRequest(as_of, d, args.force, args.dry_run, generated_by="cli", final_attempt=True)
        result = lock_schedule(Runtime.from_env(), get_config(), req, schedule=schedule)
    except PermanentError as exc:
        print(f"nba-orch lock-schedule: {exc}", file=sys.stderr)
        return 2
    emit({"summary": result.summary(), "rows": result.rows})
    return 0
