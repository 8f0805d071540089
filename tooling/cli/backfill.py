"""`nba-orch backfill --from D1 --to D2` and `nba-orch gaps --from D1 --to D2` (shared/backfill, docs/backfill.md).

`backfill` plans a range of past operational days by the controller's own rules, prints the plan (requests
per scraper and per source, time at each source's rate, Odds API credits, what is already done), and unless
`--dry-run` publishes what is not done yet, paced per source, then follows it to the end (done / total, rate,
ETA on stderr; with `--format json` one JSON line per progress report on stdout, then the final document).
The same command again resumes it: the backfill id is derived from the arguments (or `--id`), and every
request id from the backfill id. `gaps` lists what the rules expected and the run ledger does not hold done;
`backfill --gaps` fills exactly those, in rounds (`heal-...`, then `heal-...-r2` once a round has run; a
killed round resumes). The arguments, planning and run are
shared/backfill/command.py's (the Cloud Run Job runs the same code); this module prints.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tooling.cli import emit
from tooling.cli.common import Output, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    from shared.backfill.command import add_backfill_arguments, add_range_arguments

    p = sub.add_parser("backfill", help="replay a range of past days by the same rules: plan, publish, resume")
    add_backfill_arguments(p)
    p.set_defaults(func=_backfill, cloud=lambda a: "optional" if a.dry_run and not a.gaps else True)

    g = sub.add_parser("gaps", help="what the rules expected in a range and the run ledger does not hold done")
    add_range_arguments(g)
    g.set_defaults(func=_gaps, cloud=True)


def _runtime(required: bool) -> Any:
    from shared.runtime import Runtime
    from tooling.cli.controller import _reachable

    ok, where = _reachable()
    if not ok:
        if required:
            raise UsageError(where)
        return None
    return Runtime.from_env()


@contextmanager
def _usage() -> Iterator[None]:
    """shared.backfill.command's UsageProblem as the command line's UsageError (one line, exit 2)."""
    from shared.backfill.command import UsageProblem

    try:
        yield
    except UsageProblem as exc:
        raise UsageError(str(exc)) from None


def _gaps(args: argparse.Namespace) -> int:
    from shared.backfill.command import gaps_doc

    rt = _runtime(required=True)
    with _usage():
        doc = gaps_doc(args, rt)
    if Output.format == "json":
        emit(doc)
    else:
        _print_gaps(doc)
    return 0


def _backfill(args: argparse.Namespace) -> int:
    from shared.backfill.command import check_options, execute, prepare

    with _usage():
        check_options(args)
        rt = _runtime(required=not args.dry_run or args.gaps)  # the gaps come from the run ledger
        prepared = prepare(args, rt)
    doc = prepared.doc
    if args.dry_run:
        _out(doc)
        return 0
    json_lines = Output.format == "json"

    def say(p: dict[str, Any]) -> None:
        if json_lines:
            print(json.dumps(p, separators=(",", ":")), flush=True)
        else:
            print(_progress_line(p), file=sys.stderr, flush=True)

    if not json_lines:
        _print_plan(doc)
    with _usage():
        final, left = execute(rt, prepared, args, say)
    if json_lines:
        print(json.dumps(final, separators=(",", ":")), flush=True)
    else:
        _print_result(final)
    if left > 0:
        print(
            f"nba-orch backfill: {left} request(s) not finished within --timeout {args.timeout:g} s; run the same "
            "command to follow them again (`nba-orch gaps` lists what never ran)",
            file=sys.stderr,
        )
        return 1
    return 0


# ---------------------------------------------------------------------------------------------------------
# Text


def _out(doc: dict[str, Any]) -> None:
    if Output.format == "json":
        emit(doc)
    else:
        _print_plan(doc)


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    s = int(round(seconds))
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def _print_plan(doc: dict[str, Any]) -> None:
    done = doc.get("already_done")
    print(
        f"backfill {doc['backfill_id']}: {doc['days']} day(s) {doc['from']}..{doc['to']}, {doc['requests']} "
        f"request(s), {doc['calls']} upstream call(s), {doc['credits']} Odds API credit(s) (historical), about "
        f"{_duration(doc['seconds_at_rate'])} at the sources' rates"
        + (f"; {done} already done, skipped" if done is not None else "; what is done: unknown (no stack)")
    )
    if doc.get("heal_round") is not None:
        how = "resumes it (some of its requests have not run)" if doc["resumes"] else "the gaps as they are now"
        print(f"  heal round {doc['heal_round']}: {how}")
    if doc.get("credits_max") is not None:
        print(f"  credit ceiling: {doc['credits_max']}")
    print("  per source:")
    for src, e in doc["per_source"].items():
        print(
            f"    {src:22} {e['requests']:6} requests {e['calls']:6} calls  1 per {e['interval_seconds']:g} s"
            f"  {_duration(e['seconds_at_rate']):>8}  {e['credits']} credits"
        )
    print("  per scraper:")
    for name, n in doc["per_scraper"].items():
        print(f"    {name:28} {n:6}")
    for note in doc.get("notes") or ():
        print(f"  note: {note}")


def _progress_line(p: dict[str, Any]) -> str:
    return (
        f"backfill {p['backfill_id']}: {p['done']}/{p['total']} done ({p['done_before']} were done, "
        f"{p['failed']} failed, {p['held_for_credits']} held for credits), {p['published_now']} published now, "
        f"{p['rate_per_second']}/s, ETA {_duration(p['eta_seconds'])}"
    )


def _print_result(doc: dict[str, Any]) -> None:
    print(_progress_line(doc))
    for src, e in doc.get("pace", {}).items():
        print(
            f"  published {src}: {e['calls']} calls in {e['seconds']} s ({e['calls_per_second']}/s, "
            f"limit {e['limit_per_second']}/s)"
        )
    if doc.get("held_for_credits"):
        print(
            f"  {doc['held_for_credits']} Odds API request(s) held: they would cross --credits-max "
            f"{doc['credits_max']} ({doc['credits_published']} published)"
        )


def _print_gaps(doc: dict[str, Any]) -> None:
    print(
        f"gaps {doc['from']}..{doc['to']}: {doc['expected']} expected, {doc['done']} done, {doc['failed']} "
        f"failed, {doc['missing']} missing"
    )
    for name, e in doc["per_scraper"].items():
        print(f"  {name:28} {e['failed']:5} failed {e['missing']:5} missing")
    for g in doc["gaps"][:200]:
        games = f" games {','.join(g['games'])}" if g.get("games") else ""
        params = " ".join(f"{k}={v}" for k, v in g["params"].items())
        print(f"  {g['state']:7} {g['day']} {g['scraper']} {params}{games}: {g.get('detail', '')}")
