"""The backfill plan (pure): every request the controller's rules would have made over a range of past days.

Why walk the rules instead of listing scrapers per game: the plan must be what the live system asks for, and
the live system is the locker's expected runs (`rules.expected_runs`) decided by the controller
(`decide.decide_workflow`). So each operational day is replayed in a world where every tick of an expected
run happens and every request it publishes succeeds at that tick, with the controller's own snapshot
builder (`state.build_snapshot`). What falls out is exactly the live day's requests: the morning's 34, one
box score per game per scraper once the game is final (a game still in play at 22:00 is asked again at
01:00), every injury report of the series once, the referee assignments once, a line snapshot of the games
due at each tip-keyed tick. No rule is restated here.

Two adaptations, both because the day is in the past:
- A live Odds API scraper with a historical twin in the catalogue (`<name>_his`) is replaced by the twin,
  asked for the odds at the tick the live system would have snapshotted them (`snapshot` = the tick); its
  follow-ups (props and lines per event) are released by the scrapers for the games of that snapshot only
  (`snapshot_games`, as live). Credits follow the historical cost model (`historical_credits`).
- A request is planned once for the whole range: the same scraper and parameters asked on several days or at
  several ticks (the season schedule, the 30 rosters, a box score re-asked by a later window) is one request,
  at the LAST tick that asks for it, when its data is most final (a box score after the last window).

Pure: configuration, games and dates in, items out; no I/O, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

from shared import rules
from shared.config import Config
from shared.contracts import make_request_id
from shared.controller import decide, state
from shared.controller.model import Run
from shared.controller.params import Planned, unit_of
from shared.nba.schedule import Game
from shared.timeutil import iso_utc

HISTORICAL_SUFFIX = "_his"
# The longest range one command plans (a season with its playoffs fits; a typo such as 2205 does not).
MAX_DAYS = 400


class PlanError(ValueError):
    """The arguments cannot be planned (unknown workflow or scraper, an empty or too long range)."""


@dataclass(frozen=True)
class Item:
    """One planned request: the scraper and parameters the rules of `workflow` asked for on operational day
    `day`, at the tick `as_of` (the request's logical time). `games`: the games it is about (for gaps per
    game); `final_at`: a run counts as this request's work only from this instant on (post-game: the game
    is surely over, `controller.game_final_after_hours`); `calls`: upstream calls it makes (a historical
    events call releases two more per game); `credits`: Odds API credits (historical cost model)."""

    day: date
    workflow: str
    scraper: str
    params: Mapping[str, str]
    as_of: datetime
    context: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)
    games: tuple[str, ...] = ()
    final_at: datetime | None = None
    calls: int = 1
    credits: int = 0

    @property
    def key(self) -> tuple[str, tuple[tuple[str, str], ...]]:
        """What makes two requests the same work: scraper and parameters."""
        return self.scraper, tuple(sorted(self.params.items()))

    def request_id(self, backfill_id: str) -> str:
        """Deterministic per (backfill, scraper, params): a re-publish is a duplicate the scrapers' claim drops."""
        return make_request_id(self.scraper, dict(self.params), f"backfill:{backfill_id}")

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "day": self.day.isoformat(),
            "workflow": self.workflow,
            "scraper": self.scraper,
            "params": dict(self.params),
            "as_of": iso_utc(self.as_of),
            "calls": self.calls,
            "credits": self.credits,
        }
        if self.games:
            out["games"] = list(self.games)
        if self.context:
            out["context"] = dict(self.context)
        return out


@dataclass(frozen=True)
class Plan:
    first: date
    last: date
    items: tuple[Item, ...]
    workflows: tuple[str, ...]
    scrapers: tuple[str, ...] | None = None
    notes: tuple[str, ...] = ()  # ABORTs of the rules on some day (e.g. a decision that failed), never hidden

    @property
    def credits(self) -> int:
        return sum(i.credits for i in self.items)


# ---------------------------------------------------------------------------------------------------------
# The historical cost model


def historical_twin(cfg: Config, scraper: str) -> str | None:
    """The catalogue's historical counterpart of a live Odds API scraper (`oddsa_events` -> `oddsa_events_his`)."""
    twin = scraper + HISTORICAL_SUFFIX
    spec = cfg.scrapers.get(scraper)
    return twin if spec is not None and spec.source == "odds_api" and twin in cfg.scrapers else None


def follow_ups(cfg: Config, scraper: str) -> list[str]:
    """The scrapers a successful run of `scraper` releases (those that depend on it), in catalogue order."""
    return [name for name, s in cfg.scrapers.items() if scraper in s.depends_on]


def historical_credits(cfg: Config, scraper: str) -> int:
    """Credits of one historical call: an events list costs `odds.historical_events_credits`; an event odds
    call the markets x regions of its catalogue URL (`markets=`, `regions=`; the settings' regions when the
    URL names none) x `credits_per_market_region` x `historical_multiplier`."""
    spec = cfg.scrapers[scraper]
    query = parse_qs(urlsplit(spec.url).query)
    markets = [m for v in query.get("markets", []) for m in v.split(",") if m]
    if not markets:
        return cfg.odds.historical_events_credits
    regions = [r for v in query.get("regions", []) for r in v.split(",") if r] or list(cfg.odds.regions)
    return cfg.odds.credits_per_market_region * len(markets) * len(regions) * cfg.odds.historical_multiplier


def snapshot_cost(cfg: Config, scraper: str, games: int) -> tuple[int, int]:
    """(upstream calls, credits) of one historical events request whose follow-ups are released for `games`
    games: the events call, then each follow-up once per game."""
    released = follow_ups(cfg, scraper)
    per_game = sum(historical_credits(cfg, f) for f in released)
    return 1 + len(released) * games, historical_credits(cfg, scraper) + per_game * games


# ---------------------------------------------------------------------------------------------------------
# The plan


def check_names(cfg: Config, workflows: Iterable[str] | None, scrapers: Iterable[str] | None) -> None:
    """Refuse unknown or disabled workflows and unknown scrapers, naming what exists."""
    enabled = [w.name for w in cfg.enabled_workflows()]
    bad = [w for w in workflows or () if w not in enabled]
    if bad:
        raise PlanError(f"unknown or disabled workflow(s) {', '.join(bad)} (enabled: {', '.join(enabled)})")
    bad = [s for s in scrapers or () if s not in cfg.scrapers]
    if bad:
        raise PlanError(f"unknown scraper(s) {', '.join(bad)} (see `nba-orch scrapers`)")


def days_of(first: date, last: date) -> list[date]:
    if last < first:
        raise PlanError(f"--to {last} is before --from {first}")
    n = (last - first).days + 1
    if n > MAX_DAYS:
        raise PlanError(f"{n} days from {first} to {last}: at most {MAX_DAYS} per backfill")
    return [first + timedelta(days=i) for i in range(n)]


def plan_range(
    cfg: Config,
    games: Sequence[Game],
    first: date,
    last: date,
    *,
    workflows: Iterable[str] | None = None,
    scrapers: Iterable[str] | None = None,
) -> Plan:
    """Every request of the enabled `workflows` (default all) on operational days `first`..`last`, planned
    once each (see the module docstring), ordered by their tick; `scrapers` keeps only those scrapers (a
    historical events request is kept for any of its follow-ups too: it is what releases them)."""
    wanted = tuple(workflows or [w.name for w in cfg.enabled_workflows()])
    only = tuple(scrapers) if scrapers else None
    check_names(cfg, wanted, only)
    by_date: dict[date, list[Game]] = defaultdict(list)
    for g in games:
        by_date[g.game_date].append(g)
    latest: dict[tuple[str, tuple[tuple[str, str], ...]], Item] = {}
    notes: list[str] = []
    for d in days_of(first, last):
        near = [g for k in (-1, 0, 1) for g in by_date.get(d + timedelta(days=k), ())]
        for item in plan_day(cfg, d, near, wanted, notes):
            latest.pop(item.key, None)  # the later ask wins, and moves to its own place in the order
            latest[item.key] = item
    items = [i for i in latest.values() if only is None or _selected(cfg, i.scraper, only)]
    items.sort(key=lambda i: (i.as_of, i.workflow, i.key))
    return Plan(first, last, tuple(items), wanted, only, tuple(notes))


def _selected(cfg: Config, scraper: str, only: Sequence[str]) -> bool:
    return scraper in only or any(f in only for f in follow_ups(cfg, scraper))


def plan_day(cfg: Config, d: date, games: Sequence[Game], workflows: Sequence[str], notes: list[str]) -> list[Item]:
    """The requests of operational day `d`: its expected runs decided in order, every request succeeding at
    its tick (the run and the slot are recorded as the service would), so later ticks ask only for what the
    rules still miss."""
    runs: list[Run] = []
    ledger: list[state.LedgerEntry] = []
    by_id = {g.game_id: g for g in games}
    out: list[Item] = []
    ticks: dict[datetime, list[str]] = defaultdict(list)
    for r in rules.expected_runs(cfg, d, games):
        if r.workflow_name in workflows and r.workflow_name not in ticks[r.expected_run_time]:
            ticks[r.expected_run_time].append(r.workflow_name)
    for tick in sorted(ticks):
        snap, _ = state.build_snapshot(cfg, tick, runs=runs, ledger=ledger, games=games)
        decisions = [decide.decide_workflow(cfg, cfg.workflows[name], snap) for name in ticks[tick]]
        for x in decisions:
            if x.action == "ABORT":
                notes.append(f"{d}: {x.decision_id} ABORT: {x.reason}")
            if x.action != "RUN":
                continue
            night = date.fromisoformat(str(x.context.get("game_night") or x.context.get("day") or d.isoformat()))
            ids = [g.game_id for g in rules.day_games(cfg, night, games)]
            for p in x.requests:
                out.append(_item(cfg, d, x.workflow, tick, p, x.target_games, by_id))
                runs.append(Run(p.scraper, tick, "success", dict(p.params), {"game_ids": ids}, 1))
        ran = tuple(x.workflow for x in decisions if x.action == "RUN")
        ledger.append(
            state.LedgerEntry(f"plan/{iso_utc(tick)}", tick, ran, None, tuple(state.taken_slots_of(decisions)))
        )
    return out


def _item(
    cfg: Config,
    d: date,
    workflow: str,
    tick: datetime,
    p: Planned,
    targets: Sequence[str],
    games: Mapping[str, Game],
) -> Item:
    twin = historical_twin(cfg, p.scraper)
    if twin is not None:
        spec = cfg.scrapers[twin]
        params = spec.accepted({**p.params, "snapshot": iso_utc(tick)})
        taken = p.context.get("snapshot_games")
        teams = dict(taken) if isinstance(taken, Mapping) else {}
        ids = tuple(g for g in targets if g in games and games[g].teams in teams) or tuple(targets)
        calls, credits = snapshot_cost(cfg, twin, len(teams))
        return Item(d, workflow, twin, params, tick, dict(p.context), ids, calls=calls, credits=credits)
    spec = cfg.scrapers[p.scraper]
    wf = cfg.workflows[workflow]
    ids: tuple[str, ...] = ()
    final_at = None
    after = timedelta(hours=cfg.controller.game_final_after_hours)
    if unit_of(spec) == "game":
        g = games.get(str(p.params.get("game_id", "")))
        if g is None and "game_code" in p.params:
            g = next((x for x in games.values() if x.game_code == p.params["game_code"]), None)
        if g is not None:
            ids = (g.game_id,)
            final_at = g.commence_utc + after if wf.decision_type == "game_aware_yesterday" else None
    elif wf.decision_type == "game_aware_yesterday":
        ids = tuple(targets)
        tips = [games[t].commence_utc for t in targets if t in games]
        final_at = max(tips) + after if tips else None
    return Item(d, workflow, p.scraper, dict(p.params), tick, dict(p.context), ids, final_at)


# ---------------------------------------------------------------------------------------------------------
# What the plan costs


def summary(cfg: Config, plan: Plan) -> dict[str, Any]:
    """Requests per scraper, per source and per day (a request asked on several days counts on the last),
    upstream calls, the time each source needs at its rate (the catalogue's `min_interval_seconds` per call,
    else `backfill.default_interval_seconds`) and Odds API credits."""
    per_scraper: dict[str, int] = defaultdict(int)
    per_source: dict[str, dict[str, Any]] = {}
    per_day: dict[str, int] = {d.isoformat(): 0 for d in days_of(plan.first, plan.last)}
    for i in plan.items:
        per_scraper[i.scraper] += 1
        per_day[i.day.isoformat()] += 1
        src = cfg.scrapers[i.scraper].source
        e = per_source.setdefault(src, {"requests": 0, "calls": 0, "credits": 0})
        e["requests"] += 1
        e["calls"] += i.calls
        e["credits"] += i.credits
    for src, e in per_source.items():
        interval = source_interval(cfg, src)
        e["interval_seconds"] = interval
        e["seconds_at_rate"] = round(e["calls"] * interval, 1)
    return {
        "from": plan.first.isoformat(),
        "to": plan.last.isoformat(),
        "days": len(per_day),
        "workflows": list(plan.workflows),
        "scrapers": list(plan.scrapers) if plan.scrapers else None,
        "requests": len(plan.items),
        "calls": sum(i.calls for i in plan.items),
        "credits": plan.credits,
        "per_scraper": dict(sorted(per_scraper.items())),
        "per_source": dict(sorted(per_source.items())),
        # Sources are called in parallel, each at its own rate: the slowest one bounds the whole backfill.
        "seconds_at_rate": max((e["seconds_at_rate"] for e in per_source.values()), default=0.0),
        "per_day": per_day,
        "notes": list(plan.notes),
    }


def source_interval(cfg: Config, source: str) -> float:
    """Seconds between two upstream calls of `source` at its catalogue rate (or the backfill default)."""
    s = cfg.sources.get(source)
    interval = s.min_interval_seconds if s is not None else 0.0
    return interval or cfg.backfill.default_interval_seconds
