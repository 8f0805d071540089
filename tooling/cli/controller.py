"""`nba-orch evaluate` and `nba-orch explain WORKFLOW`: the master controller's decisions from the command line.

Both read the records from the local stack when one is running (or the project in the environment), and the
schedule from GCS or `--schedule-file`. With `--dry-run` nothing is written or published, and without a
reachable stack the history is assumed empty. `explain` never writes. Stdout is exactly one JSON document
(log lines go to stderr).
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tooling.cli import emit
from tooling.cli.common import answers


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("evaluate", help="the master controller's decisions and scraper requests at a tick, as JSON")
    _common(p)
    p.set_defaults(func=_evaluate, cloud="optional")

    p = sub.add_parser("explain", help="one workflow's decision at a tick, with every input that drove it")
    p.add_argument("workflow", help="a workflow name, or schedule_freshness")
    _common(p)
    p.set_defaults(func=_explain, cloud="optional")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--as-of",
        "--at",
        dest="as_of",
        help="the tick's instant, ISO-8601 with offset (default: now); floored to its ET hour or quarter tick",
    )
    p.add_argument("--dry-run", action="store_true", help="write and publish nothing (history empty if no stack)")
    p.add_argument("--schedule-file", help="a league schedule JSON (or .json.gz) on disk instead of GCS")


def _instant(value: str | None) -> datetime:
    from shared.timeutil import parse_instant

    return parse_instant(value) if value else datetime.now(UTC)  # the CLI's default; functions never do this


def _reachable() -> tuple[bool, str]:
    """Whether records can be read: the emulators answer, or (no emulators configured) credentials exist."""
    from tooling.cli.local import stack_environment

    stack_environment()
    endpoints = [os.environ.get(k) for k in ("BIGQUERY_EMULATOR_HOST", "STORAGE_EMULATOR_HOST")]
    if any(endpoints):
        down = [e for e in endpoints if e and not answers(e)]
        return (not down, f"emulator not answering at {', '.join(down)}" if down else "local emulators")
    adc = Path(os.environ.get("CLOUDSDK_CONFIG", Path.home() / ".config" / "gcloud"))
    if os.environ.get("GOOGLE_APPLICATION_CREDENTIALS") or (adc / "application_default_credentials.json").exists():
        return True, "Google Cloud (application default credentials)"
    return False, "no local stack running and no Google Cloud credentials"


def _games(path: str | None) -> tuple[Any, str | None]:
    if not path:
        return None, None
    from shared.nba.schedule_store import parse_schedule_bytes

    return parse_schedule_bytes(Path(path).read_bytes(), path), path


def _evaluate_at(args: argparse.Namespace, *, write: bool) -> tuple[Any, dict[str, Any]] | int:
    from shared.config import get_config
    from shared.controller import service
    from shared.runtime import Runtime

    cfg = get_config()
    try:
        as_of = _instant(args.as_of)
        games, source = _games(args.schedule_file)
    except (OSError, ValueError) as exc:
        print(f"nba-orch {args.command}: {exc}", file=sys.stderr)
        return 2
    ok, where = _reachable()
    if not ok and not args.dry_run:
        print(f"nba-orch {args.command}: cannot read the records ({where}); use --dry-run", file=sys.stderr)
        return 1
    rt = Runtime.from_env() if ok else None
    info = {"records": f"{rt.project}.{rt.dataset} ({where})" if rt else f"none, history assumed empty ({where})"}
    if write and rt is not None and not args.dry_run:
        result = service.run_tick(rt, cfg, as_of, games=games, triggered_by="cli")
    else:
        result = service.evaluate(rt, cfg, as_of, games=games, schedule_file=source)
        result.dry_run = True
    if source:
        result.snapshot = dataclasses.replace(result.snapshot, schedule_file=source)
    return result, info


def _evaluate(args: argparse.Namespace) -> int:
    # Log lines go to stderr here, so stdout is exactly the JSON document (pipe it to jq).
    with contextlib.redirect_stdout(sys.stderr):
        out = _evaluate_at(args, write=True)
    if isinstance(out, int):
        return out
    result, info = out
    summary = result.summary()
    summary["actions"] = summary.pop("decisions")
    emit(
        {
            **summary,
            "schedule_file": result.snapshot.schedule_file,
            **info,
            "decisions": [d.to_json() for d in result.decisions],
            "requests": [r.to_json() for r in result.requests],
        }
    )
    return 0


def _explain(args: argparse.Namespace) -> int:
    from shared import rules
    from shared.config import get_config
    from shared.controller.model import FRESHNESS
    from shared.timeutil import iso_utc

    cfg = get_config()
    if args.workflow != FRESHNESS and args.workflow not in cfg.workflows:
        known = ", ".join([FRESHNESS, *cfg.workflows])
        print(f"nba-orch explain: unknown workflow {args.workflow!r} (known: {known})", file=sys.stderr)
        return 2
    args.dry_run = True  # explaining never writes
    with contextlib.redirect_stdout(sys.stderr):
        out = _evaluate_at(args, write=False)
    if isinstance(out, int):
        return out
    result, info = out
    decision = next((d for d in result.decisions if d.workflow == args.workflow), None)
    if decision is None:
        print(f"nba-orch explain: workflow {args.workflow!r} is disabled", file=sys.stderr)
        return 2
    snap = result.snapshot
    d = rules.operational_day_of(cfg, result.tick)
    inputs: dict[str, Any] = {
        "tick": iso_utc(result.tick),
        "tick_et": rules.local(cfg, result.tick).isoformat(),
        "slot": result.slot,
        "operational_day": d.isoformat(),
        "schedule_file": snap.schedule_file,
        "games_error": snap.games_error,
        **info,
    }
    if snap.games is not None:
        night = decision.context.get("game_night") or d.isoformat()
        from shared.timeutil import parse_date

        inputs["games"] = [
            {"game_id": g.game_id, "teams": g.teams, "tip_et": rules.hm(cfg, g.commence_utc), "type": g.game_type}
            for g in rules.day_games(cfg, parse_date(night), snap.games)
        ]
    if args.workflow == FRESHNESS:
        inputs["last_schedule_success"] = iso_utc(snap.last_schedule_success) if snap.last_schedule_success else None
        inputs["schedule_served_by"] = snap.schedule_served_by
        inputs["freshness_error"] = snap.freshness_error
    else:
        wf = cfg.workflows[args.workflow]
        inputs["workflow_config"] = _jsonable(dataclasses.asdict(wf))
        hist = snap.history.get(wf.name)
        if hist is not None:
            inputs["history"] = {
                "runs": [r.to_json() for r in hist.runs],
                "run_decisions": [iso_utc(t) for t in hist.run_decisions],
                "odds_requests_remaining": hist.odds_remaining,
                "odds_recorded_at": iso_utc(hist.odds_remaining_at) if hist.odds_remaining_at else None,
                "error": hist.error,
            }
        if snap.games is not None:
            inputs["expected_runs_today"] = [
                {"at_et": rules.hm(cfg, r.expected_run_time), "reason": r.reason}
                for r in rules.workflow_runs(cfg, wf, d, rules.day_games(cfg, d, snap.games))
            ]
    recorded = decision.decision_id in result.reused
    emit(
        {
            "workflow": args.workflow,
            "decision": decision.to_json(),
            "recorded": recorded,
            **({"note": "this slot was already decided: the recorded decision is shown"} if recorded else {}),
            "inputs": inputs,
        }
    )
    return 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
