"""The controller's data: the state snapshot a tick is decided from, and the decisions (pure, no I/O).

A decision is a function of (configuration, snapshot); the snapshot holds everything read from BigQuery and
GCS for one tick, so tests build it by hand and `nba-orch explain` prints it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.controller.params import Planned
from shared.nba.schedule import Game
from shared.timeutil import iso_utc, parse_instant

ACTIONS = ("RUN", "SKIP", "ABORT")
ALERT_LEVELS = ("NONE", "INFO", "WARNING", "CRITICAL")
# The schedule freshness check is recorded like a workflow, under this name (it is not in workflows.yaml).
FRESHNESS = "schedule_freshness"
CONTROLLER_VERSION = "nba-orch-controller/1"


@dataclass(frozen=True)
class Run:
    """A recorded scraper run that did its work: status success, or no_data where the catalogue allows it.

    `at` is its triggered_at, the logical time of its request (the tick that asked for it).
    """

    scraper: str
    at: datetime
    status: str
    params: Mapping[str, str] = field(default_factory=dict)
    summary: Mapping[str, Any] = field(default_factory=dict)  # data_summary, kept for per-date scrapers only
    records: int | None = None  # data_summary.record_count

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scraper": self.scraper, "at": iso_utc(self.at), "status": self.status}
        if self.params:
            out["params"] = dict(self.params)
        if self.records is not None:
            out["records"] = self.records
        return out


@dataclass(frozen=True)
class History:
    """What one workflow's decision needs from the records, up to the tick.

    `runs`: done runs of the workflow's scrapers during the operational day; `run_decisions`: times of this
    workflow's earlier RUN decisions (the last day); `odds_remaining`: the newest recorded Odds API
    `x-requests-remaining` (None when none was recorded); `error`: why the records could not be read (the
    decision is then ABORT, never a silent SKIP).
    """

    runs: tuple[Run, ...] = ()
    run_decisions: tuple[datetime, ...] = ()
    odds_remaining: int | None = None
    odds_remaining_at: datetime | None = None
    error: str | None = None
    # game_tip_offsets: the (game, snapshot) slots earlier RUNs took ("0022400123/closing") -> their tick.
    taken_slots: Mapping[str, datetime] = field(default_factory=dict)
    # The injury-report hook: game id -> the newest injury report run (its tick) whose changes ask for a
    # re-snapshot of that game (`state.injury_news`); answered once a snapshot of the game follows it.
    injury_news: Mapping[str, datetime] = field(default_factory=dict)


@dataclass(frozen=True)
class Snapshot:
    """Everything a tick is decided from.

    `games`: the schedule's games from the day before the tick's operational day to the day after (None when
    no schedule could be read; `games_error` says why); `last_schedule_success`: the newest successful run
    of the schedule scraper or of one of its catalogue fallbacks, `schedule_served_by` that run's scraper
    (`freshness_error` when they could not be read).
    """

    tick: datetime
    games: tuple[Game, ...] | None
    history: Mapping[str, History]
    last_schedule_success: datetime | None = None
    games_error: str | None = None
    freshness_error: str | None = None
    schedule_file: str | None = None
    schedule_served_by: str | None = None
    # The earliest controller slot on record in the lookback (None: none before this tick). The recovery
    # judges only games that tipped after it: a new installation (or a simulation starting in the morning)
    # does not re-request a whole night it never watched, as the SLAs judge games from the first tick.
    first_slot: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """One row of `workflow_decisions`, plus the requests a RUN publishes (kept in context["requests"], so a
    redelivered tick republishes exactly the same requests without deciding again)."""

    decision_id: str
    workflow: str
    tick: datetime
    action: str
    reason: str
    priority: str
    alert_level: str = "NONE"
    context: Mapping[str, Any] = field(default_factory=dict)
    target_games: tuple[str, ...] = ()
    requests: tuple[Planned, ...] = ()
    next_check_time: datetime | None = None

    def __post_init__(self) -> None:
        assert self.action in ACTIONS, self.action
        assert self.alert_level in ALERT_LEVELS, self.alert_level
        assert self.action == "RUN" or not self.requests, "only a RUN publishes requests"

    @property
    def scrapers(self) -> list[str]:
        """The scrapers this decision triggers, in request order, once each."""
        return list(dict.fromkeys(p.scraper for p in self.requests))

    def row(self, *, environment: str, triggered_by: str) -> dict[str, Any]:
        context = {**self.context, "requests": [p.to_json() for p in self.requests]}
        return {
            "decision_id": self.decision_id,
            "decision_time": self.tick,
            "workflow_name": self.workflow,
            "action": self.action,
            "reason": self.reason,
            "context": context,
            "scrapers_triggered": self.scrapers,
            "target_games": list(self.target_games),
            "next_check_time": self.next_check_time,
            "priority": self.priority,
            "alert_level": self.alert_level,
            "controller_version": CONTROLLER_VERSION,
            "environment": environment,
            "triggered_by": triggered_by,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "decision_id": self.decision_id,
            "workflow": self.workflow,
            "tick": iso_utc(self.tick),
            "action": self.action,
            "reason": self.reason,
            "priority": self.priority,
            "alert_level": self.alert_level,
            "target_games": list(self.target_games),
            "scrapers_triggered": self.scrapers,
            "next_check_time": iso_utc(self.next_check_time) if self.next_check_time else None,
            "context": dict(self.context),
            "requests": [p.to_json() for p in self.requests],
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Decision:
        """A decision read back from `workflow_decisions` (context as a dict or JSON text)."""
        context = row.get("context") or {}
        if isinstance(context, str):
            context = json.loads(context)
        context = dict(context)
        requests = tuple(Planned.from_json(p) for p in context.pop("requests", None) or [])
        nct = row.get("next_check_time")
        if isinstance(nct, str):
            nct = parse_instant(nct)
        tick = row["decision_time"]
        if isinstance(tick, str):
            tick = parse_instant(tick)
        return cls(
            decision_id=str(row["decision_id"]),
            workflow=str(row["workflow_name"]),
            tick=tick,
            action=str(row["action"]),
            reason=str(row.get("reason") or ""),
            priority=str(row.get("priority") or "MEDIUM"),
            alert_level=str(row.get("alert_level") or "NONE"),
            context=context,
            target_games=tuple(row.get("target_games") or ()),
            requests=requests,
            next_check_time=nct,
        )
