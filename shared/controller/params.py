"""Scraper parameters for a RUN decision (pure): which requests a scraper needs, and their values.

Why one module: every request the controller publishes must pass the scrapers' validation (the catalogue's
`required` parameters and `param_patterns`), and per-game scrapers must run for EVERY target game (the system
we replace ran only the first). The catalogue decides the fan-out unit of each scraper:

- a scraper that requires `game_id` or `game_code` runs once per target game;
- one that requires a team parameter (`teamAbbr`, `team_abbr`, `team_id`) runs once per team (all 30);
- one that requires `event_id` is a follow-up, released per event by its dependency's success (the scrapers
  function publishes those; the controller never does);
- any other runs once for the day.

Values: `date`/`game_date` (the ET date the data is about), `season` ("2024-25"; balldontlie counts seasons
by their first year: "2024"), `season_year` (2024), `year` (the season's last year, Basketball-Reference's
2025), `gamedate` (YYYYMMDD), `game_code` ("YYYYMMDD/AWYHOM"), `teams` (AWYHOM), `teamAbbr` (Basketball-
Reference codes PHO, BRK, CHO), `team_id` (NBA.com id; ESPN's for ESPN), and the injury report's `hour`
(1-12), `period` (AM/PM) and, from 2025-12-23, `minute`. Optional parameters are filled only when the
scraper's URL or path uses them (directly or through a built-in placeholder such as {hour_token}).

Pending teams: a game whose teams are not decided yet (an NBA Cup knockout game, `Game.teams_known` False)
has no `game_code` or `teams` value, so a per-game scraper that needs one (`needs_teams`: the game book's
"YYYYMMDD/AWYHOM") gets no request for that game: it waits until the schedule names the teams (the
controller says so in its decision, see `waiting_for_teams`); scrapers keyed by `game_id` alone still run.
No request ever carries an empty or "None" value (`_fill` refuses one as a ParamError).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from shared.config import Config, ScraperSpec, Workflow
from shared.nba.injury_slots import newest_due
from shared.nba.schedule import Game
from shared.nba.teams import TEAMS, br_code, espn_team_id, nba_team_id
from shared.paths.template import placeholders
from shared.timeutil import season_of

GAME_KEYS = ("game_id", "game_code")
TEAM_KEYS = ("teamAbbr", "team_abbr", "team_id")
# Per-game values built from the game's two teams (absent while they are pending).
GAME_TEAM_KEYS = ("game_code", "teams")
EVENT_KEYS = ("event_id",)
# Sources that name a season by its first year ("2024") rather than "2024-25".
SEASON_AS_YEAR = frozenset({"balldontlie"})


class ParamError(ValueError):
    """A scraper needs a parameter the controller cannot supply, or a value breaks its pattern (a config bug)."""


@dataclass(frozen=True)
class Planned:
    """One request to publish: a scraper and its parameters (the request id is derived from the decision)."""

    scraper: str
    params: Mapping[str, str] = field(default_factory=dict)
    # Extra request context (not part of the request id): e.g. the snapshot_type and the games a line
    # snapshot is for, which the request's follow-ups inherit.
    context: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"scraper": self.scraper, "params": dict(self.params)}
        if self.context:
            out["context"] = dict(self.context)
        return out

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Planned:
        params = {str(k): str(v) for k, v in (d.get("params") or {}).items()}
        return cls(str(d["scraper"]), params, dict(d.get("context") or {}))


def unit_of(spec: ScraperSpec) -> str:
    """The fan-out unit of a scraper: "event", "game", "team" or "day" (see the module docstring)."""
    req = set(spec.required)
    if req & set(EVENT_KEYS):
        return "event"
    if req & set(GAME_KEYS):
        return "game"
    if req & set(TEAM_KEYS):
        return "team"
    return "day"


def published_scrapers(cfg: Config, wf: Workflow) -> list[str]:
    """The workflow's scrapers the controller publishes: those not waiting for another scraper of the same
    workflow (e.g. betting_lines publishes oddsa_events; its success releases props and lines per event)."""
    inside = set(wf.scrapers)
    return [s for s in wf.scrapers if not set(cfg.scrapers[s].depends_on) & inside]


def follow_ups_of(cfg: Config, wf: Workflow, scraper: str) -> list[str]:
    """The workflow's scrapers released by `scraper`'s success (its dependants inside the workflow)."""
    return [s for s in wf.scrapers if scraper in cfg.scrapers[s].depends_on]


def season_values(d: date) -> dict[str, str]:
    season, start = season_of(d)
    return {"season": season, "season_year": str(start), "year": str(start + 1)}


def day_values(d: date) -> dict[str, str]:
    """Values about an ET date: the date itself and its NBA season."""
    iso = d.isoformat()
    return {"date": iso, "game_date": iso, "gamedate": d.strftime("%Y%m%d"), **season_values(d)}


def game_values(g: Game) -> dict[str, str]:
    """Values about one game (its own date: a game belongs to the ET date of its tip); `game_code` and
    `teams` only once both teams are known."""
    out = {**day_values(g.game_date), "game_id": g.game_id}
    if g.teams_known:
        out["game_code"] = g.game_code or f"{g.game_date:%Y%m%d}/{g.away}{g.home}"
        out["teams"] = g.teams
    return out


def needs_teams(spec: ScraperSpec) -> bool:
    """Whether a per-game scraper's request names the game's teams (required, or used by its URL or path)."""
    used = set(spec.required) | (set(spec.optional) & _template_fields(spec))
    return bool(used & set(GAME_TEAM_KEYS))


def waiting_for_teams(cfg: Config, scraper: str, games: Iterable[Game]) -> list[str]:
    """The ids of `games` for which `scraper` has no request yet because their teams are pending."""
    spec = cfg.scrapers[scraper]
    if unit_of(spec) != "game" or not needs_teams(spec):
        return []
    return [g.game_id for g in games if not g.teams_known]


def team_values(tricode: str, source: str) -> dict[str, str]:
    team_id = espn_team_id(tricode) if source == "espn" else nba_team_id(tricode)
    return {"teamAbbr": br_code(tricode), "team_abbr": tricode, "team_id": str(team_id)}


def injury_report_values(cfg: Config, tick: datetime) -> dict[str, str]:
    """The injury report to ask for at `tick`: the newest one due (shared.nba.injury_slots), named in its
    date's era: at 08:00 the hourly era's 7 AM report (printed 07:30), the 15-minute era's 07:45 one."""
    return newest_due(tick, cfg.timezone).params


# Parameters the built-in placeholders are derived from (shared.paths.template.derived_values).
_DERIVED_FROM = {"hour24": ("hour", "period"), "hour_token": ("hour", "minute")}


@lru_cache(maxsize=256)
def _template_fields(spec: ScraperSpec) -> frozenset[str]:
    """Placeholders of the scraper's URL and paths, and the parameters of its built-in ones (cached: specs
    are frozen)."""
    out: set[str] = set()
    for tpl in (spec.url, spec.gcs_path, spec.gcs_data_path or ""):
        out |= set(placeholders(tpl))
    return frozenset(out.union(*(_DERIVED_FROM.get(name, ()) for name in out)))


def _fill(cfg: Config, spec: ScraperSpec, values: Mapping[str, str]) -> dict[str, str]:
    used = _template_fields(spec)
    wanted = list(spec.required) + [p for p in spec.optional if p in used]
    out: dict[str, str] = {}
    for name in wanted:
        value = values.get(name)
        if value is None:
            if name in spec.required:
                raise ParamError(f"{spec.name}: the controller has no value for required parameter {name!r}")
            continue
        if not value.strip() or value.strip() == "None":
            raise ParamError(f"{spec.name}: parameter {name!r} would be {value!r}")
        if name == "season" and spec.source in SEASON_AS_YEAR:
            value = values.get("season_year", value)
        pattern = cfg.param_patterns.get(name)
        if pattern is not None and not pattern.fullmatch(value):
            raise ParamError(f"{spec.name}: value {value!r} of {name!r} does not match {pattern.pattern}")
        out[name] = value
    return out


def resolve(
    cfg: Config, scraper: str, *, day: date, tick: datetime, games: Sequence[Game] = (), teams: Iterable[str] = ()
) -> list[Planned]:
    """The requests of one scraper for a RUN: one per game, per team, or for the day (see `unit_of`).

    `day` is the ET date the data is about (the game night for post-game windows); `games` the target games
    (a game whose teams are pending gets no request from a scraper that `needs_teams`); `teams` the team
    tricodes (default: all 30). Raises ParamError when the scraper cannot be filled.
    """
    spec = cfg.scrapers[scraper]
    unit = unit_of(spec)
    base = day_values(day)
    if {"hour", "period"} <= set(spec.params):
        base = {**base, **injury_report_values(cfg, tick)}
    if unit == "event":
        raise ParamError(f"{scraper}: per-event scrapers are released by their dependency, not the controller")
    if unit == "game":
        wait = needs_teams(spec)
        return [
            Planned(scraper, _fill(cfg, spec, {**base, **game_values(g)})) for g in games if g.teams_known or not wait
        ]
    if unit == "team":
        codes = list(teams) or sorted(TEAMS)
        return [Planned(scraper, _fill(cfg, spec, {**base, **team_values(t, spec.source)})) for t in codes]
    return [Planned(scraper, _fill(cfg, spec, base))]


def covers(planned: Planned, params: Mapping[str, Any]) -> bool:
    """Whether a recorded run with `params` did the planned request's work (its parameters all match)."""
    return all(str(params.get(k)) == v for k, v in planned.params.items())
