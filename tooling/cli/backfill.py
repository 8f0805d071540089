"""`nba-orch backfill --from D1 --to D2` and `nba-orch gaps --from D1 --to D2` (shared/backfill, docs/backfill.md).

`backfill` plans a range of past operational days by the controller's own rules, prints the plan (requests
per scraper and per source, time at each source's rate, Odds API credits, what is already done), and unless
`--dry-run` publishes what is not done yet, paced per source, then follows it to the end (done / total, rate,
ETA on stderr; with `--format json` one JSON line per progress report on stdout, then the final document).
The same command again resumes it: the backfill id is derived from the arguments (or `--id`), and every
request id from the backfill id. `gaps` lists what the rules expected and the run ledger does not hold done;
`backfill --gaps` fills exactly those (its own id, `heal-...`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from tooling.cli import emit
from tooling.cli.common import Output, UsageError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("backfill", help="replay a range of past days by the same rules: plan, publish, resume")
    _range(p)
    p.add_argument("--dry-run", action="store_true", help="print the plan (and what is done) and publish nothing")
    p.add_argument("--gaps", action="store_true", help="fill only the gaps of the range (see `nba-orch gaps`)")
    p.add_argument("--id", dest="backfill_id", help="backfill id (default: derived from the arguments)")
    p.add_argument("--credits-max", type=int, help="Odds API credits this backfill may spend at most")
    p.add_argument("--no-wait", action="store_true", help="return once everything is published")
    p.add_argument("--timeout", type=float, default=3600.0, help="seconds to follow progress (default 3600)")
    p.add_argument(
        "--pace-scale",
        type=float,
        default=1.0,
        help="multiply every source's publish interval (tests, replays: under 1 is faster than the catalogue)",
    )
    p.set_defaults(func=_backfill, cloud=lambda a: "optional" if a.dry_run and not a.gaps else True)

    g = sub.add_parser("gaps", help="what the rules expected in a range and the run ledger does not hold done")
    _range(g)
    g.set_defaults(func=_gaps, cloud=True)


def _range(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="first", required=True, help="first operational day, YYYY-MM-DD")
    p.add_argument("--to", dest="last", required=True, help="last operational day, YYYY-MM-DD (included)")
    p.add_argument("--workflows", help="comma-separated workflow names (default: every enabled workflow)")
    p.add_argument("--scrapers", help="comma-separated scraper names (default: every scraper of the workflows)")
    p.add_argument(
        "--schedule-file",
        action="append",
        help="a league schedule JSON (or .json.gz) instead of GCS; repeat to merge several",
    )


def _names(value: str | None) -> list[str] | None:
    return [x.strip() for x in value.split(",") if x.strip()] if value else None


def _days(args: argparse.Namespace) -> tuple[date, date]:
    from shared.timeutil import parse_date

    try:
        return parse_date(args.first), parse_date(args.last)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _games(args: argparse.Namespace, rt: Any, first: date, last: date) -> list[Any]:
    from shared.nba.schedule_store import parse_schedule_bytes

    if args.schedule_file:
        seen: dict[str, Any] = {}
        for path in args.schedule_file:
            try:
                for g in parse_schedule_bytes(Path(path).read_bytes(), path):
                    seen.setdefault(g.game_id, g)
            except (OSError, ValueError) as exc:
                raise UsageError(f"--schedule-file {path}: {exc}") from None
        return list(seen.values())
    if rt is None:
        raise UsageError("no schedule: no stack or project to read it from; pass --schedule-file")
    from shared.controller import state

    games: dict[str, Any] = {}
    for d in {first, last}:
        for g in state.load_games(rt, d)[0]:
            games.setdefault(g.game_id, g)
    return list(games.values())


def _runtime(required: bool) -> Any:
    from shared.runtime import Runtime
    from tooling.cli.controller import _reachable

    ok, where = _reachable()
    if not ok:
        if required:
            raise UsageError(where)
        return None
    return Runtime.from_env()


def default_id(kind: str, args: argparse.Namespace, first: date, last: date) -> str:
    """`bf-20250113-20250119-<digest of the filters>` (`heal-...` for --gaps): the same command, the same id."""
    key = json.dumps([_names(args.workflows), _names(args.scrapers)])
    return f"{kind}-{first:%Y%m%d}-{last:%Y%m%d}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def _plan(args: argparse.Namespace, rt: Any) -> tuple[Any, Any, date, date]:
    from shared.backfill.plan import PlanError, plan_range
    from shared.config import get_config

    cfg = get_config()
    first, last = _days(args)
    try:
        games = _games(args, rt, first, last)
        return (
            cfg,
            plan_range(cfg, games, first, last, workflows=_names(args.workflows), scrapers=_names(args.scrapers)),
            first,
            last,
        )
    except PlanError as exc:
        raise UsageError(str(exc)) from None


def _gaps_of(cfg: Any, rt: Any, plan: Any) -> list[Any]:
    from shared.backfill.driver import read_records, record_days
    from shared.backfill.gaps import assess

    return assess(cfg, plan.items, read_records(rt, record_days(plan.items)))


def _gaps(args: argparse.Namespace) -> int:
    from shared.backfill.gaps import report

    rt = _runtime(required=True)
    cfg, plan, first, last = _plan(args, rt)
    doc = {"from": first.isoformat(), "to": last.isoformat(), **report(_gaps_of(cfg, rt, plan))}
    if Output.format == "json":
        emit(doc)
    else:
        _print_gaps(doc)
    return 0


def _backfill(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from shared.backfill import progress
    from shared.backfill.driver import run
    from shared.backfill.gaps import heal_items
    from shared.backfill.plan import summary

    if args.credits_max is not None and args.credits_max < 0:
        raise UsageError("--credits-max must be 0 or more")
    if args.pace_scale <= 0:
        raise UsageError("--pace-scale must be more than 0")
    rt = _runtime(required=not args.dry_run or args.gaps)  # the gaps come from the run ledger
    cfg, plan, first, last = _plan(args, rt)
    kind = "heal" if args.gaps else "bf"
    bid = args.backfill_id or default_id(kind, args, first, last)
    try:
        progress.check_id(bid)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    verdicts = _gaps_of(cfg, rt, plan) if rt is not None else None
    if args.gaps:
        assert verdicts is not None
        plan = replace(plan, items=tuple(heal_items(cfg, verdicts)))
        verdicts = None  # every heal item is a gap
    doc: dict[str, Any] = {"backfill_id": bid, **summary(cfg, plan)}
    if verdicts is not None:
        done = [v for v in verdicts if v.state == "done"]
        doc["already_done"] = len(done)
        doc["to_publish"] = len(plan.items) - len(done)
    else:
        doc["already_done"] = None if not args.gaps else 0
    if args.credits_max is not None:
        doc["credits_max"] = args.credits_max
    if args.dry_run:
        doc["dry_run"] = True
        _out(doc)
        return 0
    arguments = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "workflows": _names(args.workflows),
        "scrapers": _names(args.scrapers),
        "gaps": bool(args.gaps),
    }
    fresh = progress.Manifest(bid, arguments, plan.items)
    json_lines = Output.format == "json"

    def say(p: dict[str, Any]) -> None:
        if json_lines:
            print(json.dumps(p, separators=(",", ":")), flush=True)
        else:
            print(_progress_line(p), file=sys.stderr, flush=True)

    if not json_lines:
        _print_plan(doc)
    try:
        st = run(
            rt,
            cfg,
            fresh,
            credits_max=args.credits_max,
            wait=not args.no_wait,
            timeout=args.timeout,
            scale=args.pace_scale,
            on_progress=say,
        )
    except progress.ManifestMismatch as exc:
        raise UsageError(str(exc)) from None
    import time

    final = {"event": "result", **st.to_json(time.monotonic()), "pace": st.pace}
    if st.held:
        final["held"] = [i.to_json() for i in st.held[:50]]
    if json_lines:
        print(json.dumps(final, separators=(",", ":")), flush=True)
    else:
        _print_result(final)
    left = final["total"] - final["done"] - final["held_for_credits"]
    if not args.no_wait and left > 0:
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
