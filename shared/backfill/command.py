"""The backfill command, once: its arguments, its plan document and its run.

Two front ends run it: `nba-orch backfill` / `nba-orch gaps` on an operator's machine (tooling/cli/backfill.py:
text or JSON output, exit codes of the command line) and the Cloud Run Job `nba-orch-backfill`
(jobs/backfill/main.py -> shared/backfill/job.py: JSON log lines). Why here and not in the CLI: the job ships
only `shared/` (deploy/stage.py), and both must plan, name and resume a backfill identically, so the same
arguments give the same backfill id and a job execution resumes what a laptop started (and the reverse).

Idempotent by deterministic keys: the backfill id is derived from the arguments (`default_id`), every request
id from the backfill id (shared/backfill/driver.py), so running it again, killed or retried, resumes it.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from shared.runtime import Runtime


class UsageProblem(ValueError):
    """A bad argument or a missing input a person can fix: the CLI exits 2 with it, the job logs it, exit 2."""


def add_range_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--from", dest="first", required=True, help="first operational day, YYYY-MM-DD")
    p.add_argument("--to", dest="last", required=True, help="last operational day, YYYY-MM-DD (included)")
    p.add_argument("--workflows", help="comma-separated workflow names (default: every enabled workflow)")
    p.add_argument("--scrapers", help="comma-separated scraper names (default: every scraper of the workflows)")
    p.add_argument(
        "--schedule-file",
        action="append",
        help="a league schedule JSON (or .json.gz) instead of GCS; repeat to merge several",
    )


def add_backfill_arguments(p: argparse.ArgumentParser, timeout: float = 3600.0) -> None:
    """The options of `backfill` (the range's too); `timeout` is the default of --timeout."""
    add_range_arguments(p)
    p.add_argument("--dry-run", action="store_true", help="print the plan (and what is done) and publish nothing")
    p.add_argument("--gaps", action="store_true", help="fill only the gaps of the range (see `nba-orch gaps`)")
    p.add_argument("--id", dest="backfill_id", help="backfill id (default: derived from the arguments)")
    p.add_argument("--credits-max", type=int, help="Odds API credits this backfill may spend at most")
    p.add_argument("--no-wait", action="store_true", help="return once everything is published")
    p.add_argument("--timeout", type=float, default=timeout, help=f"seconds to follow progress (default {timeout:g})")
    p.add_argument(
        "--pace-scale",
        type=float,
        default=1.0,
        help="multiply every source's publish interval (tests, replays: under 1 is faster than the catalogue)",
    )


def names(value: str | None) -> list[str] | None:
    return [x.strip() for x in value.split(",") if x.strip()] if value else None


def days(args: argparse.Namespace) -> tuple[date, date]:
    from shared.timeutil import parse_date

    try:
        return parse_date(args.first), parse_date(args.last)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None


def load_games(args: argparse.Namespace, rt: Runtime | None, first: date, last: date) -> list[Any]:
    """The games of the range: from --schedule-file, else the season's newest schedule file in GCS."""
    from shared.nba.schedule_store import parse_schedule_bytes

    if args.schedule_file:
        seen: dict[str, Any] = {}
        for path in args.schedule_file:
            try:
                for g in parse_schedule_bytes(Path(path).read_bytes(), path):
                    seen.setdefault(g.game_id, g)
            except (OSError, ValueError) as exc:
                raise UsageProblem(f"--schedule-file {path}: {exc}") from None
        return list(seen.values())
    if rt is None:
        raise UsageProblem("no schedule: no stack or project to read it from; pass --schedule-file")
    from shared.controller import state

    games: dict[str, Any] = {}
    for d in {first, last}:
        try:
            found = state.load_games(rt, d)[0]
        except FileNotFoundError as exc:
            raise UsageProblem(f"{exc}; pass --schedule-file or lock a schedule first") from None
        for g in found:
            games.setdefault(g.game_id, g)
    return list(games.values())


def default_id(kind: str, args: argparse.Namespace, first: date, last: date) -> str:
    """`bf-20250113-20250119-<digest of the filters>` (`heal-...` for --gaps, the base of its rounds: heal_round):
    the same command, the same id."""
    key = json.dumps([names(args.workflows), names(args.scrapers)])
    return f"{kind}-{first:%Y%m%d}-{last:%Y%m%d}-{hashlib.sha256(key.encode()).hexdigest()[:8]}"


def plan_of(args: argparse.Namespace, rt: Runtime | None) -> tuple[Any, Any, date, date]:
    """(configuration, plan, first day, last day) of the range and filters."""
    from shared.backfill.plan import PlanError, plan_range
    from shared.config import get_config

    cfg = get_config()
    first, last = days(args)
    try:
        games = load_games(args, rt, first, last)
        plan = plan_range(cfg, games, first, last, workflows=names(args.workflows), scrapers=names(args.scrapers))
    except PlanError as exc:
        raise UsageProblem(str(exc)) from None
    return cfg, plan, first, last


def gaps_of(cfg: Any, rt: Runtime, plan: Any) -> list[Any]:
    from shared.backfill.driver import read_records, record_days
    from shared.backfill.gaps import assess

    return assess(cfg, plan.items, read_records(rt, record_days(plan.items)))


def gaps_doc(args: argparse.Namespace, rt: Runtime) -> dict[str, Any]:
    """`nba-orch gaps`: what the rules expected in the range and the run ledger does not hold done."""
    from shared.backfill.gaps import report

    cfg, plan, first, last = plan_of(args, rt)
    return {"from": first.isoformat(), "to": last.isoformat(), **report(gaps_of(cfg, rt, plan))}


def check_options(args: argparse.Namespace) -> None:
    if args.credits_max is not None and args.credits_max < 0:
        raise UsageProblem("--credits-max must be 0 or more")
    if args.pace_scale <= 0:
        raise UsageProblem("--pace-scale must be more than 0")
    if args.timeout < 0:
        raise UsageProblem("--timeout must be 0 or more")


@dataclass(frozen=True)
class Prepared:
    """A backfill planned and named, not run: `doc` is the plan document (what --dry-run prints)."""

    cfg: Any
    plan: Any
    backfill_id: str
    arguments: dict[str, Any]
    doc: dict[str, Any]


def prepare(args: argparse.Namespace, rt: Runtime | None) -> Prepared:
    """Plan the range, name the backfill, and (with a stack or project) count what is already done."""
    from shared.backfill import progress
    from shared.backfill.gaps import heal_items
    from shared.backfill.plan import summary

    check_options(args)
    cfg, plan, first, last = plan_of(args, rt)
    kind = "heal" if args.gaps else "bf"
    bid = args.backfill_id or default_id(kind, args, first, last)
    try:
        progress.check_id(bid)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    if args.gaps and rt is None:
        raise UsageProblem("--gaps reads the run ledger: it needs a stack or a project")
    heal: dict[str, Any] = {}
    resumed = None
    if args.gaps and not args.backfill_id:
        assert rt is not None
        bid, resumed, heal = heal_round(cfg, rt, bid)
    if resumed is not None:
        plan = replace(plan, items=resumed)
        verdicts = None
    else:
        verdicts = gaps_of(cfg, rt, plan) if rt is not None else None
        if args.gaps:
            assert verdicts is not None
            plan = replace(plan, items=tuple(heal_items(cfg, verdicts)))
            verdicts = None  # every heal item is a gap
    doc: dict[str, Any] = {"backfill_id": bid, **heal, **summary(cfg, plan)}
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
    arguments = {
        "from": first.isoformat(),
        "to": last.isoformat(),
        "workflows": names(args.workflows),
        "scrapers": names(args.scrapers),
        "gaps": bool(args.gaps),
    }
    return Prepared(cfg, plan, bid, arguments, doc)


def heal_round(cfg: Any, rt: Runtime, base: str) -> tuple[str, tuple[Any, ...] | None, dict[str, Any]]:
    """Which heal of the range `backfill --gaps` runs: the latest round again while any of its requests has
    not run (a killed heal resumes under its id: no duplicate call), else a new round, `base-r<n>`, of the
    gaps as they are now (what failed again gets a new request id, so the scrapers run it once more).
    Returns (id, the resumed round's items or None for a new round, the round's description for the plan)."""
    from shared.backfill import progress
    from shared.backfill.driver import unfinished

    rounds = progress.heal_rounds(base, progress.list_backfills(rt))
    if not rounds:
        return base, None, {"heal_round": 1, "resumes": False}
    n = max(rounds)
    manifest = progress.read_manifest(rt, rounds[n])
    if manifest is None:  # a round whose manifest is gone (deleted by hand): start it again
        return rounds[n], None, {"heal_round": n, "resumes": False}
    if unfinished(rt, cfg, manifest):
        return rounds[n], manifest.items, {"heal_round": n, "resumes": True}
    return progress.round_id(base, n + 1), None, {"heal_round": n + 1, "resumes": False}


def execute(
    rt: Runtime, p: Prepared, args: argparse.Namespace, say: Callable[[dict[str, Any]], None]
) -> tuple[dict[str, Any], int]:
    """Run (or resume) the prepared backfill; returns the result document (`"event": "result"`) and how many
    requests are still unfinished (0 with --no-wait: nothing is followed)."""
    from shared.backfill import progress
    from shared.backfill.driver import Status, run

    if p.arguments["gaps"] and not p.plan.items and progress.read_manifest(rt, p.backfill_id) is None:
        # no gaps: nothing to publish, and no empty round left behind (the next heal would number past it)
        return {"event": "result", **Status(p.backfill_id, 0).to_json(time.monotonic()), "pace": {}}, 0
    fresh = progress.Manifest(p.backfill_id, p.arguments, p.plan.items)
    try:
        st = run(
            rt,
            p.cfg,
            fresh,
            credits_max=args.credits_max,
            wait=not args.no_wait,
            timeout=args.timeout,
            scale=args.pace_scale,
            on_progress=say,
        )
    except progress.ManifestMismatch as exc:
        raise UsageProblem(str(exc)) from None
    final = {"event": "result", **st.to_json(time.monotonic()), "pace": st.pace}
    if st.held:
        final["held"] = [i.to_json() for i in st.held[:50]]
    left = 0 if args.no_wait else final["total"] - final["done"] - final["held_for_credits"]
    return final, left
