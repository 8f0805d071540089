"""The schedule locker's pure part: the target date and the rows of `daily_expected_schedule` for a day
(`plan`, which is `shared.rules.expected_runs` plus the lock columns), with a deterministic version.

The semantics of the lock (claim, single-statement replace, force) are in `shared.locker.service`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from shared import rules
from shared.config import Config
from shared.contracts import Tick
from shared.errors import PermanentError
from shared.nba.schedule import Game
from shared.timeutil import check_nba_date, et_date, iso_utc

TABLE = "daily_expected_schedule"


@dataclass(frozen=True)
class LockRequest:
    """What to lock: `as_of` is the event's instant (the tick's as_of, else its publish time)."""

    as_of: datetime
    date: date | None = None
    force: bool = False
    dry_run: bool = False
    generated_by: str = "schedule_locker"
    # Pub/Sub's delivery attempt when known. On the last one (or with `final_attempt`, e.g. the CLI, which
    # will not retry) an upstream outage is recorded as a failed scraper run; before it, the scraper leaves no
    # trace and raises, so a redelivery scrapes again. Unknown (no dead-letter policy): not the last.
    delivery_attempt: int | None = None
    final_attempt: bool = False

    @classmethod
    def from_tick(cls, tick: Tick, delivery_attempt: int | None = None) -> LockRequest:
        return cls(tick.as_of, tick.date, tick.force, tick.dry_run, "schedule_locker", delivery_attempt)


@dataclass(frozen=True)
class Plan:
    date: date
    rows: list[dict[str, Any]]
    schedule_version: str
    games_scheduled: int
    workflows_evaluated: int
    schedule_source: str


@dataclass
class LockResult:
    """The outcome. `status`: locked | already_locked | completed (an interrupted lock finished) | replaced
    (force) | dry_run."""

    status: str
    date: date
    rows: list[dict[str, Any]]
    locked_at: str | None
    schedule_version: str | None
    games_scheduled: int | None
    workflows_evaluated: int | None
    schedule_source: str | None = None
    scraped: bool = False
    notes: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "date": self.date.isoformat(),
            "games_scheduled": self.games_scheduled,
            "workflows_evaluated": self.workflows_evaluated,
            "expected_runs": len(self.rows),
            "locked_at": self.locked_at,
            "schedule_version": self.schedule_version,
            "schedule_source": self.schedule_source,
            "scraped": self.scraped,
            **({"notes": self.notes} if self.notes else {}),
        }


# ---------------------------------------------------------------------------------------------------------
# Pure rules


def target_date(req: LockRequest) -> date:
    """The date to lock: the request's, else the ET date of `as_of`.

    An explicit date is an operator's (`lock-schedule --date`, a hand-published tick): any plausible NBA date
    is accepted, past days included (`timeutil.check_nba_date`: from 1946-11-01 up to 400 days after as_of's
    date). A scheduler tick carries no date, so what it could get wrong is its as_of, which the tick contract
    already bounds (at most 15 min after its publish time unless forced, years 1970-2199): the day it names
    is as_of's own."""
    today = et_date(req.as_of)
    d = req.date or today
    try:
        check_nba_date(d, today)
    except ValueError as exc:
        raise PermanentError(f"{exc} (as_of {iso_utc(req.as_of)})") from None
    return d


def _version(d: date, schedule_source: str, runs: list[rules.ExpectedRun]) -> str:
    """Deterministic version: the schedule file's stamp (or name) plus a hash of the planned runs."""
    canon = json.dumps(
        [d.isoformat()]
        + [
            [r.workflow_name, iso_utc(r.expected_run_time), r.reason, list(r.scrapers), r.games_today, r.priority]
            for r in runs
        ],
        separators=(",", ":"),
    )
    base = schedule_source.rsplit("/", 1)[-1]
    base = base.split(".", 1)[0][:40] or "schedule"
    return f"{base}:{hashlib.sha256(canon.encode()).hexdigest()[:12]}"


def plan(
    cfg: Config,
    d: date,
    games: list[Game],
    *,
    locked_at: datetime,
    schedule_source: str,
    generated_by: str,
    environment: str,
) -> Plan:
    """The rows of `daily_expected_schedule` for day `d` (pure): the shared rules plus the lock columns."""
    runs = rules.expected_runs(cfg, d, games)
    version = _version(d, schedule_source, runs)
    rows = [
        {
            "date": d.isoformat(),
            "locked_at": iso_utc(locked_at),
            "workflow_name": r.workflow_name,
            "expected_run_time": iso_utc(r.expected_run_time),
            "reason": r.reason,
            "scrapers": list(r.scrapers),
            "games_today": r.games_today,
            "priority": r.priority,
            "schedule_version": version,
            "generated_by": generated_by,
            "environment": environment,
        }
        for r in runs
    ]
    return Plan(d, rows, version, len(rules.day_games(cfg, d, games)), len(cfg.enabled_workflows()), schedule_source)
