"""A stored raw answer of a box-score scraper -> the player lines of each game in it (pure).

Every source is read with its own parser (shared.parsers), so the comparison sees what the pipeline stored,
not a re-implementation of each shape. Minutes are floats (NBA.com and the CDN give seconds, balldontlie and
ESPN whole minutes); a player who did not play has 0 minutes (balldontlie lists every rostered player, with
"00"; ESPN only the dressed ones).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PlayerLine:
    team: str  # NBA tricode
    name: str  # as the source prints it
    source_id: str | None  # the source's own player id (NBA.com person id for NBA.com and the CDN)
    minutes: float
    points: int
    rebounds: int
    assists: int

    @property
    def played(self) -> bool:
        return self.minutes > 0 or self.points > 0 or self.rebounds > 0 or self.assists > 0


@dataclass(frozen=True)
class GameLines:
    """One game of one source: (away, home) tricodes, the source's game id, its player lines."""

    away: str
    home: str
    game_ref: str | None
    lines: tuple[PlayerLine, ...]

    @property
    def teams(self) -> str:
        return f"{self.away}{self.home}"


def _int(v: Any) -> int:
    try:
        return int(v) if v not in (None, "", "-") else 0
    except (TypeError, ValueError):
        return 0


def _minutes(v: Any) -> float:
    """balldontlie's "28" / "28:12" / "" -> minutes."""
    if v in (None, ""):
        return 0.0
    text = str(v)
    if ":" in text:
        mm, ss = text.split(":", 1)
        return _int(mm) + _int(ss) / 60
    try:
        return float(text)
    except ValueError:
        return 0.0


def _nba_stats(body: bytes) -> list[GameLines]:
    from shared.parsers.nbacom_stats import parse_boxscore_traditional_v3

    parsed = parse_boxscore_traditional_v3(body)
    return _by_person(parsed["records"], parsed["teams"], "player_name", "rebounds_total")


def _nba_cdn(body: bytes) -> list[GameLines]:
    from shared.parsers.nbacom_cdn import parse_boxscore_live

    parsed = parse_boxscore_live(body)
    s = parsed["summary"]
    teams = [
        {"home": True, "team_tricode": s["home_team"]["team_tricode"], "game_id": s.get("game_id")},
        {"home": False, "team_tricode": s["away_team"]["team_tricode"], "game_id": s.get("game_id")},
    ]
    return _by_person(parsed["records"], teams, "name", "rebounds")


def _by_person(records: list[dict], teams: list[dict], name_key: str, reb_key: str) -> list[GameLines]:
    home = next(t["team_tricode"] for t in teams if t["home"])
    away = next(t["team_tricode"] for t in teams if not t["home"])
    lines = tuple(
        PlayerLine(
            team=str(r["team_tricode"]),
            name=str(r.get(name_key) or ""),
            source_id=str(r["person_id"]) if r.get("person_id") is not None else None,
            minutes=float(r.get("seconds_played") or 0) / 60,
            points=_int(r.get("points")),
            rebounds=_int(r.get(reb_key)),
            assists=_int(r.get("assists")),
        )
        for r in records
    )
    gid = next((t.get("game_id") for t in teams if t.get("game_id")), None)
    return [GameLines(away, home, str(gid) if gid else None, lines)]


def _balldontlie(body: bytes) -> list[GameLines]:
    """/box_scores?date=: every game of the date, players nested under each team (no game id)."""
    from shared.parsers._common import load_json

    data = load_json(body, source="balldontlie box_scores")
    out = []
    for game in data.get("data") or () if isinstance(data, dict) else ():
        sides = {k: game.get(k) or {} for k in ("home_team", "visitor_team")}
        lines = []
        for side in sides.values():
            for p in side.get("players") or ():
                player = p.get("player") or {}
                lines.append(
                    PlayerLine(
                        team=str(side.get("abbreviation") or ""),
                        name=f"{player.get('first_name') or ''} {player.get('last_name') or ''}".strip(),
                        source_id=str(player["id"]) if player.get("id") is not None else None,
                        minutes=_minutes(p.get("min")),
                        points=_int(p.get("pts")),
                        rebounds=_int(p.get("reb")),
                        assists=_int(p.get("ast")),
                    )
                )
        away, home = sides["visitor_team"].get("abbreviation"), sides["home_team"].get("abbreviation")
        if away and home:
            out.append(GameLines(str(away), str(home), None, tuple(lines)))
    return out


def _espn(body: bytes) -> list[GameLines]:
    """The stored ESPN box score: the HTML page (what the scraper fetches) or its parsed JSON."""
    from shared.parsers.espn import parse_game_boxscore_html

    text = body.lstrip()[:1]
    parsed = json.loads(body) if text in (b"{", b"[") else parse_game_boxscore_html(body)
    s = parsed["summary"]
    lines = tuple(
        PlayerLine(
            team=str(r.get("team_tricode") or ""),
            name=str(r.get("name") or ""),
            source_id=str(r["athlete_id"]) if r.get("athlete_id") else None,
            minutes=float(r.get("minutes") or 0),
            points=_int(r.get("pts")),
            rebounds=_int(r.get("reb")),
            assists=_int(r.get("ast")),
        )
        for r in parsed["records"]
    )
    return [GameLines(str(s["away_team"]), str(s["home_team"]), str(s.get("event_id") or "") or None, lines)]


READERS: dict[str, Callable[[bytes], list[GameLines]]] = {
    "nba_stats": _nba_stats,
    "nba_cdn": _nba_cdn,
    "balldontlie": _balldontlie,
    "espn": _espn,
}


def read_lines(source: str, body: bytes) -> list[GameLines]:
    """The games in one stored answer of `source` (ValueError subclasses from the parsers on a bad body)."""
    return READERS[source](body)
