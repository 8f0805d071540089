"""Turn an NBA.com league schedule (cdn scheduleLeagueV2 or stats scheduleleaguev2int) into games.

Times come from `gameDateTimeUTC` (a real UTC instant); `gameDateTimeEst` is ET wall time written with a
misleading `Z` and is not used. The game's ET date is the ET date of its start instant.

A game whose teams are not decided yet (an NBA Cup knockout game of the coming season: `teamId` 0, null
names and tricodes, `gameCode` "") is a game of its day all the same: its teams are `PENDING` ("TBD") and
`teams_known` is False, so nothing builds a team-keyed request from it (see shared.controller.params).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.timeutil import et_date, parse_instant

PENDING = "TBD"  # the team of a game whose participants are not known yet


class ScheduleError(ValueError):
    """The schedule document does not have the expected shape."""


@dataclass(frozen=True)
class Game:
    game_id: str
    game_code: str
    game_date: date  # ET date
    commence_utc: datetime
    home: str
    away: str
    status: int
    game_type: str
    label: str = ""

    @property
    def teams(self) -> str:
        return f"{self.away}{self.home}"

    @property
    def teams_known(self) -> bool:
        """Both teams are decided (False for a pending NBA Cup knockout game)."""
        return PENDING not in (self.home, self.away)

    def to_json(self) -> dict[str, Any]:
        return {
            "game_id": self.game_id,
            "game_code": self.game_code,
            "game_date": self.game_date.isoformat(),
            "commence_utc": self.commence_utc.isoformat().replace("+00:00", "Z"),
            "home_team": self.home,
            "away_team": self.away,
            "status": self.status,
            "game_type": self.game_type,
            "label": self.label,
        }

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Game:
        return cls(
            game_id=d["game_id"],
            game_code=d["game_code"],
            game_date=date.fromisoformat(d["game_date"]),
            commence_utc=parse_instant(d["commence_utc"]),
            home=d["home_team"],
            away=d["away_team"],
            status=int(d.get("status", 1)),
            game_type=d["game_type"],
            label=d.get("label", ""),
        )


def game_type(game_id: str, label: str) -> str:
    """Game type from the id's prefix (001 preseason, 002 regular, 003 All-Star, 004 playoffs, 005 play-in,
    006 NBA Cup final) and, for regular-season NBA Cup games, the label."""
    prefix = game_id[:3]
    if prefix == "001":
        return "preseason"
    if prefix == "003":
        return "all_star"
    if prefix == "004":
        return "playoffs"
    if prefix == "005":
        return "play_in"
    if prefix == "006" or "NBA Cup" in (label or ""):
        return "nba_cup"
    return "regular_season"


def _tricode(team: dict[str, Any]) -> str:
    """The team's tricode, or PENDING when the schedule has no team yet (teamId 0, null tricode)."""
    tricode = team["teamTricode"]
    if not team.get("teamId") or not isinstance(tricode, str) or not tricode.strip():
        return PENDING
    return tricode.strip()


def parse_schedule(payload: Any) -> list[Game]:
    """Every game of the schedule document, sorted by start time."""
    if not isinstance(payload, dict) or not isinstance(payload.get("leagueSchedule"), dict):
        raise ScheduleError("not a league schedule: no leagueSchedule object")
    dates = payload["leagueSchedule"].get("gameDates")
    if not isinstance(dates, list):
        raise ScheduleError("leagueSchedule.gameDates is missing or not a list")
    games: list[Game] = []
    for gd in dates:
        for g in (gd or {}).get("games") or []:
            try:
                gid = str(g["gameId"])
                start = parse_instant(g["gameDateTimeUTC"])
                label = g.get("gameLabel") or ""
                games.append(
                    Game(
                        game_id=gid,
                        game_code=str(g.get("gameCode") or ""),
                        game_date=et_date(start),
                        commence_utc=start,
                        home=_tricode(g["homeTeam"]),
                        away=_tricode(g["awayTeam"]),
                        status=int(g.get("gameStatus") or 1),
                        game_type=game_type(gid, label),
                        label=label,
                    )
                )
            except (KeyError, TypeError, ValueError) as exc:
                raise ScheduleError(f"game {g.get('gameId') if isinstance(g, dict) else g!r}: {exc!r}") from None
    games.sort(key=lambda x: (x.commence_utc, x.game_id))
    return games


def season_label(payload: Any) -> str | None:
    try:
        return str(payload["leagueSchedule"]["seasonYear"])
    except (KeyError, TypeError):
        return None


def games_on(games: Iterable[Game], d: date, include_types: Iterable[str] | None = None) -> list[Game]:
    """Games whose ET date is `d`, limited to `include_types` when given."""
    types = set(include_types) if include_types is not None else None
    return [g for g in games if g.game_date == d and (types is None or g.game_type in types)]
