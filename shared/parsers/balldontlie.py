"""balldontlie API v1 parsers (box_scores, games, players/active, player_injuries, standings, stats).

Every endpoint answers ``{"data": [...], "meta": {"next_cursor": ..., "per_page": ...}}`` (meta may be
missing on single-page endpoints). :func:`parse_page` handles one page generically; the endpoint
helpers accept one page or the list of pages fetched while following ``next_cursor`` and flatten them
into normalized rows. The ``/box_scores`` rows carry no game id, so games are keyed by
date + teams there.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from shared.parsers._common import expect_dict, load_json, require, result
from shared.parsers.errors import ParseError

SOURCE = "balldontlie"


def parse_page(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """One API page: ``records`` = ``data`` rows as-is; summary with row count and pagination cursor."""
    data = expect_dict(load_json(payload, source=SOURCE), source=SOURCE)
    rows = require(data, "data", list, source=SOURCE, where="payload")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ParseError(f"data[{index}] is not an object", source=SOURCE)
    meta = data.get("meta") if isinstance(data.get("meta"), dict) else {}
    summary = {
        "row_count": len(rows),
        "next_cursor": meta.get("next_cursor"),
        "per_page": meta.get("per_page"),
        "has_more": meta.get("next_cursor") is not None,
    }
    return result(rows, summary)


def _rows(pages: Any) -> tuple[list[dict[str, Any]], int, Any]:
    """Flatten one page or a list of pages; returns (rows, page count, last next_cursor)."""
    if isinstance(pages, (dict, bytes, bytearray, str)):
        pages = [pages]
    if not isinstance(pages, list):
        raise ParseError(f"expected a page or a list of pages, got {type(pages).__name__}", source=SOURCE)
    rows: list[dict[str, Any]] = []
    cursor = None
    for page in pages:
        parsed = parse_page(page)
        rows.extend(parsed["records"])
        cursor = parsed["summary"]["next_cursor"]
    return rows, len(pages), cursor


def _team(team: Any) -> dict[str, Any]:
    return team if isinstance(team, dict) else {}


def _player_name(player: dict[str, Any]) -> str | None:
    name = " ".join(p for p in (player.get("first_name"), player.get("last_name")) if p)
    return name or None


def summarize_box_scores(pages: Any, **params: Any) -> dict[str, Any]:
    """/box_scores?date= -> one record per game (teams, scores, player counts); rows lack game ids."""
    rows, page_count, cursor = _rows(pages)
    records = []
    player_count = 0
    for index, game in enumerate(rows):
        home, away = _team(game.get("home_team")), _team(game.get("visitor_team"))
        if not home.get("abbreviation") or not away.get("abbreviation"):
            raise ParseError(f"box score {index} lacks home_team/visitor_team abbreviation", source=SOURCE)
        home_players = home.get("players") if isinstance(home.get("players"), list) else []
        away_players = away.get("players") if isinstance(away.get("players"), list) else []
        player_count += len(home_players) + len(away_players)
        records.append(
            {
                "game_date": game.get("date"),
                "season": game.get("season"),
                "status": game.get("status"),
                "period": game.get("period"),
                "postseason": game.get("postseason"),
                "home_team": home["abbreviation"],
                "away_team": away["abbreviation"],
                "home_score": game.get("home_team_score"),
                "away_score": game.get("visitor_team_score"),
                "home_player_count": len(home_players),
                "away_player_count": len(away_players),
            }
        )
    teams = sorted({r["home_team"] for r in records} | {r["away_team"] for r in records})
    summary = {
        "game_count": len(records),
        "team_tricodes": teams,
        "team_count": len(teams),
        "player_row_count": player_count,
        "dates": sorted({r["game_date"] for r in records if r["game_date"]}),
        "statuses": dict(Counter(r["status"] for r in records)),
        "pages": page_count,
        "next_cursor": cursor,
    }
    return result(records, summary)


def parse_games(pages: Any, **params: Any) -> dict[str, Any]:
    """/games -> one record per game with bdl game id, teams and scores."""
    rows, page_count, cursor = _rows(pages)
    records = []
    for index, game in enumerate(rows):
        home, away = _team(game.get("home_team")), _team(game.get("visitor_team"))
        if game.get("id") is None or not home.get("abbreviation") or not away.get("abbreviation"):
            raise ParseError(f"games[{index}] lacks id or team abbreviations", source=SOURCE)
        records.append(
            {
                "game_id": game["id"],
                "game_date": game.get("date"),
                "datetime_utc": game.get("datetime"),
                "season": game.get("season"),
                "status": game.get("status"),
                "postseason": game.get("postseason"),
                "home_team": home["abbreviation"],
                "away_team": away["abbreviation"],
                "home_score": game.get("home_team_score"),
                "away_score": game.get("visitor_team_score"),
            }
        )
    summary = {
        "game_count": len(records),
        "game_ids": [r["game_id"] for r in records],
        "team_tricodes": sorted({r["home_team"] for r in records} | {r["away_team"] for r in records}),
        "statuses": dict(Counter(r["status"] for r in records)),
        "pages": page_count,
        "next_cursor": cursor,
    }
    return result(records, summary)


def parse_active_players(pages: Any, **params: Any) -> dict[str, Any]:
    """/players/active -> one record per player with team tricode."""
    rows, page_count, cursor = _rows(pages)
    records = []
    for index, player in enumerate(rows):
        if player.get("id") is None:
            raise ParseError(f"players[{index}] has no id", source=SOURCE)
        team = _team(player.get("team"))
        records.append(
            {
                "player_id": player["id"],
                "player_name": _player_name(player),
                "position": player.get("position") or None,
                "jersey_number": player.get("jersey_number"),
                "team_id": team.get("id"),
                "team": team.get("abbreviation"),
            }
        )
    summary = {
        "player_count": len(records),
        "team_count": len({r["team"] for r in records if r["team"]}),
        "pages": page_count,
        "next_cursor": cursor,
    }
    return result(records, summary)


def parse_injuries(pages: Any, **params: Any) -> dict[str, Any]:
    """/player_injuries -> one record per injured player (status, expected return, note)."""
    rows, page_count, cursor = _rows(pages)
    records = []
    for index, row in enumerate(rows):
        player = row.get("player")
        if not isinstance(player, dict) or player.get("id") is None:
            raise ParseError(f"player_injuries[{index}] lacks player.id", source=SOURCE)
        records.append(
            {
                "player_id": player["id"],
                "player_name": _player_name(player),
                "team_id": player.get("team_id"),
                "status": row.get("status"),
                "return_date": row.get("return_date"),
                "description": row.get("description"),
            }
        )
    summary = {
        "injury_count": len(records),
        "statuses": dict(Counter(r["status"] for r in records)),
        "team_ids": sorted({r["team_id"] for r in records if r["team_id"] is not None}),
        "pages": page_count,
        "next_cursor": cursor,
    }
    return result(records, summary)


def parse_standings(pages: Any, **params: Any) -> dict[str, Any]:
    """/standings?season= -> one record per team."""
    rows, page_count, cursor = _rows(pages)
    records = []
    for index, row in enumerate(rows):
        team = _team(row.get("team"))
        if not team.get("abbreviation"):
            raise ParseError(f"standings[{index}] lacks team.abbreviation", source=SOURCE)
        records.append(
            {
                "season": row.get("season"),
                "team": team["abbreviation"],
                "conference": team.get("conference"),
                "conference_rank": row.get("conference_rank"),
                "division_rank": row.get("division_rank"),
                "wins": row.get("wins"),
                "losses": row.get("losses"),
                "home_record": row.get("home_record"),
                "road_record": row.get("road_record"),
            }
        )
    seasons = sorted({r["season"] for r in records if r["season"] is not None})
    summary = {
        "team_count": len(records),
        "season": seasons[0] if len(seasons) == 1 else None,
        "conference_leaders": {
            r["conference"]: r["team"] for r in records if r["conference_rank"] == 1 and r["conference"]
        },
        "pages": page_count,
        "next_cursor": cursor,
    }
    return result(records, summary)


def parse_stats(pages: Any, **params: Any) -> dict[str, Any]:
    """/stats -> one record per player-game line (player box scores)."""
    rows, page_count, cursor = _rows(pages)
    records = []
    for index, row in enumerate(rows):
        player, game, team = row.get("player"), row.get("game"), _team(row.get("team"))
        if not isinstance(player, dict) or not isinstance(game, dict) or game.get("id") is None:
            raise ParseError(f"stats[{index}] lacks player or game.id", source=SOURCE)
        records.append(
            {
                "stat_id": row.get("id"),
                "game_id": game["id"],
                "game_date": game.get("date"),
                "player_id": player.get("id"),
                "player_name": _player_name(player),
                "team": team.get("abbreviation"),
                "min": row.get("min"),
                "pts": row.get("pts"),
                "reb": row.get("reb"),
                "ast": row.get("ast"),
                "stl": row.get("stl"),
                "blk": row.get("blk"),
                "turnover": row.get("turnover"),
                "fg3m": row.get("fg3m"),
            }
        )
    team_points: dict[str, int] = {}
    for rec in records:
        if rec["team"]:
            team_points[rec["team"]] = team_points.get(rec["team"], 0) + (rec["pts"] or 0)
    summary = {
        "row_count": len(records),
        "game_ids": sorted({r["game_id"] for r in records}),
        "player_count": len({r["player_id"] for r in records}),
        "team_points": dict(sorted(team_points.items())),
        "pages": page_count,
        "next_cursor": cursor,
    }
    return result(records, summary)
