"""`nba-orch dlq list` and `nba-orch dlq replay [--id ID ...|--all] [--dry-run]`: the dead letters (what, why,
how many attempts) and their replay to the topic they came from (tooling/dlq.py). Stdout is a JSON document.
Exit status: 0; 1 when a replay left errors; 2 for bad arguments."""

from __future__ import annotations

import argparse
import sys

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("dlq", help="list and replay dead-lettered messages")
    dsub = p.add_subparsers(dest="dlq_command", required=True, metavar="SUBCOMMAND")
    ls = dsub.add_parser("list", help="the dead letters: what, why, how many delivery attempts (changes nothing)")
    ls.add_argument("--subscription", help="full subscription path (default: the dead-letter topic's -pull one)")
    ls.set_defaults(func=_list)
    rp = dsub.add_parser("replay", help="republish dead letters to their original topic, then acknowledge them")
    which = rp.add_mutually_exclusive_group(required=True)
    which.add_argument("--id", action="append", dest="ids", metavar="ID", help="a dead letter's id (repeatable)")
    which.add_argument("--all", action="store_true", help="every dead letter")
    rp.add_argument("--dry-run", action="store_true", help="say what would be replayed, publish nothing")
    rp.add_argument("--subscription", help="full subscription path (default: the dead-letter topic's -pull one)")
    rp.set_defaults(func=_replay)


def _list(args: argparse.Namespace) -> int:
    from shared.runtime import Runtime
    from tooling.cli.local import stack_environment
    from tooling.dlq import list_dead_letters

    stack_environment()
    letters = list_dead_letters(Runtime.from_env(), args.subscription)
    emit({"count": len(letters), "dead_letters": letters})
    return 0


def _replay(args: argparse.Namespace) -> int:
    from shared.runtime import Runtime
    from tooling.cli.local import stack_environment
    from tooling.dlq import replay

    stack_environment()
    result = replay(
        Runtime.from_env(), ids=None if args.all else args.ids, dry_run=args.dry_run, subscription=args.subscription
    )
    emit(result)
    if result["errors"]:
        print(f"nba-orch dlq replay: {len(result['errors'])} not replayed (see errors)", file=sys.stderr)
        return 1
    return 0
