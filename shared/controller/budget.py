"""The Odds API credit budget planner (pure): which line snapshots to take with the credits left.

Why: every snapshot of a game costs credits (markets x regions per event call, `shared.odds.costs`), the
monthly allowance is fixed, and the closing line is what a props platform needs most. So at each tick the
candidates (snapshots due now) are taken in priority order, closing first, then injury-triggered
re-snapshots, then the regular and opening ones, and a lower class is taken only if what stays after it
still covers the closing snapshots of the games ahead until the credits reset (and, for the regular ones,
the expected injury re-snapshots). Nothing is ever taken that would leave fewer credits than
`controller.odds_quota_reserve`. Every skip says why, starting with "budget: ".

Inputs are plain values (no I/O, no clock): the latest `x-requests-remaining` reading (None when none is
recorded yet: the planner then takes everything and says so), the reserve, the credits the future closing
snapshots need, and the candidates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Lower number = higher priority.
PRIORITY = {"closing": 0, "injury": 1, "regular": 2, "open": 3}


@dataclass(frozen=True)
class Candidate:
    """One snapshot the rules say is due: `kind` is its snapshot_type, or "injury" for an injury-triggered
    re-snapshot (the injury-report hook: `injury_candidates`)."""

    key: str
    game_id: str
    kind: str
    cost: int
    due: datetime | None = None

    @property
    def priority(self) -> int:
        return PRIORITY[self.kind]


@dataclass(frozen=True)
class Choice:
    candidate: Candidate
    take: bool
    reason: str


@dataclass(frozen=True)
class Plan:
    choices: tuple[Choice, ...] = ()
    remaining: int | None = None
    reserve: int = 0
    protected: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def taken(self) -> list[Candidate]:
        return [c.candidate for c in self.choices if c.take]

    @property
    def skipped(self) -> list[Choice]:
        return [c for c in self.choices if not c.take]

    @property
    def spend(self) -> int:
        return sum(c.cost for c in self.taken)


def injury_candidates(game_ids: Iterable[str], cost: int) -> list[Candidate]:
    """Injury-triggered re-snapshot requests (game ids from the injury report's changes) as candidates."""
    return [Candidate(f"{g}/injury", g, "injury", cost) for g in dict.fromkeys(game_ids)]


def plan(
    candidates: Sequence[Candidate],
    *,
    remaining: int | None,
    reserve: int,
    future_closing_cost: int = 0,
    future_injury_cost: int = 0,
) -> Plan:
    """Decide every candidate (see the module docstring). `future_closing_cost`: the credits the closing
    snapshots still ahead until the reset need (after this tick's); `future_injury_cost`: the allowance kept
    for injury re-snapshots ahead. Both protect credits from the lower classes only; the reserve binds all."""
    order = sorted(candidates, key=lambda c: (c.priority, c.due.timestamp() if c.due else 0.0, c.key))
    if remaining is None:
        return Plan(
            tuple(Choice(c, True, "no credit reading recorded yet: taken") for c in order),
            None,
            reserve,
            0,
            ("no x-requests-remaining reading yet",),
        )
    left = remaining - reserve
    choices: list[Choice] = []
    for c in order:
        keep = 0
        if c.kind in ("injury", "regular", "open"):
            keep += future_closing_cost
        if c.kind in ("regular", "open"):
            keep += future_injury_cost
        if c.cost > left:
            choices.append(
                Choice(
                    c,
                    False,
                    f"budget: {c.kind} snapshot costs {c.cost} credits, only {max(left, 0)} above the reserve of "
                    f"{reserve} ({remaining} remaining)",
                )
            )
        elif c.cost > left - keep:
            choices.append(
                Choice(
                    c,
                    False,
                    f"budget: {c.kind} snapshot ({c.cost} credits) would leave {left - c.cost} above the reserve, "
                    f"under the {keep} kept for the closing lines (and injury re-snapshots) ahead",
                )
            )
        else:
            left -= c.cost
            choices.append(Choice(c, True, f"within budget ({c.cost} credits, {left} left above the reserve)"))
    return Plan(tuple(choices), remaining, reserve, future_closing_cost + future_injury_cost)


# ---------------------------------------------------------------------------------------------------------
# The plan for the days ahead (what `nba-orch credits plan` prints)


@dataclass(frozen=True)
class PeriodPlan:
    """Every snapshot of the days ahead with its verdict, the expected spend, and the minimum (one closing
    snapshot per game: one props and one lines call per event)."""

    days: tuple[Any, ...]
    choices: tuple[Choice, ...]
    remaining: int | None
    reserve: int
    minimum: int

    @property
    def spend(self) -> int:
        return sum(c.candidate.cost for c in self.choices if c.take)


def period_plan(
    cfg: Any,
    games: Sequence[Any],
    first_day: Any,
    days: int,
    *,
    remaining: int | None,
    injury_games: Sequence[str] = (),
) -> PeriodPlan:
    """The planner over `days` operational days from `first_day`: every tip slot of every
    game_tip_offsets workflow is a candidate (plus the injury allowance per day), allotted by priority
    over the whole period: all closing snapshots first, then injury re-snapshots, then regular, then open."""
    from datetime import timedelta

    from shared import rules

    cost = cfg.odds.snapshot_cost()
    cands: list[Candidate] = []
    day_list = [first_day + timedelta(days=i) for i in range(days)]
    n_games = 0
    for d in day_list:
        day = rules.day_games(cfg, d, games)
        n_games += len(day)
        for wf in cfg.enabled_workflows():
            if wf.decision_type != "game_tip_offsets":
                continue
            for g, snap, t in rules.tip_slot_ticks(cfg, wf, d, day):
                cands.append(Candidate(f"{g.game_id}/{snap.name}", g.game_id, snap.snapshot_type, cost, t))
        per_day = cfg.odds.injury_resnapshots_per_day
        cands += (
            [Candidate(f"{d.isoformat()}/injury-{k + 1}", "", "injury", cost) for k in range(per_day)] if day else []
        )
    cands += injury_candidates(injury_games, cost)
    p = plan(cands, remaining=remaining, reserve=cfg.controller.odds_quota_reserve)
    return PeriodPlan(tuple(day_list), p.choices, remaining, cfg.controller.odds_quota_reserve, n_games * cost)
