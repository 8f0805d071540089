"""stats.nba.com parsers (playerindex, leaguegamelog, boxscoretraditionalv2/v3, scoreboardV2/v3).

The v2-era endpoints answer ``{"resource", "parameters", "resultSets": [{"name", "headers", "rowSet"}]}``
(a few use a single ``resultSet`` object instead). Rows are positional arrays, so everything here goes
through :func:`result_sets`, which zips them with their headers and checks the widths agree: a silently
shifted column would corrupt every downstream table. The v3 endpoints (boxscoretraditionalv3,
scoreboardv3) answer nested camelCase objects ``{"meta", "boxScoreTraditional" | "scoreboard": {...}}``;
their records use the same snake_case names (``fieldGoalsMade`` -> ``field_goals_made``).

Dates: stats.nba.com echoes a requested ISO date as MM/DD/YYYY (``"parameters": {"GameDate":
"02/22/2026"}``) and writes row dates as ``2024-01-15T00:00:00``; every date a summary reports goes
through ``_common.iso_day``, so checks compare days, not spellings.
"""

from __future__ import annotations

from typing import Any

from shared.parsers._common import (
    clean_str,
    expect_dict,
    iso_day,
    load_json,
    lower_keys,
    minutes_seconds,
    require,
    result,
    snake,
    sorted_unique,
    to_int,
)
from shared.parsers.errors import ParseError

SOURCE = "stats.nba.com"


def _headers(raw_headers: Any, name: str) -> list[str]:
    """Plain header list, or the multi-row form ``[{..., "columnNames": [...]}]`` used by a few endpoints."""
    if isinstance(raw_headers, list) and all(isinstance(h, str) for h in raw_headers):
        return raw_headers
    if isinstance(raw_headers, list):
        for item in reversed(raw_headers):
            if isinstance(item, dict) and isinstance(item.get("columnNames"), list):
                return [str(c) for c in item["columnNames"]]
    raise ParseError(f"result set {name!r} has no usable headers", source=SOURCE)


def result_sets(payload: bytes | str | dict) -> dict[str, list[dict[str, Any]]]:
    """Turn ``resultSets``/``resultSet`` into ``{set name: [row dict keyed by header]}``.

    Raises ParseError when neither key exists, a set lacks name/headers/rowSet, or a row's width
    differs from its headers.
    """
    data = expect_dict(load_json(payload, source=SOURCE), source=SOURCE)
    raw_sets = data.get("resultSets", data.get("resultSet"))
    if raw_sets is None:
        keys = ", ".join(sorted(data)[:8]) or "none"
        raise ParseError(f"no 'resultSets' or 'resultSet' key (keys: {keys})", source=SOURCE)
    if isinstance(raw_sets, dict):
        raw_sets = [raw_sets]
    if not isinstance(raw_sets, list):
        raise ParseError(f"resultSets must be a list or object, got {type(raw_sets).__name__}", source=SOURCE)

    out: dict[str, list[dict[str, Any]]] = {}
    for index, raw in enumerate(raw_sets):
        if not isinstance(raw, dict):
            raise ParseError(f"resultSets[{index}] is not an object", source=SOURCE)
        name = raw.get("name")
        if not isinstance(name, str) or not name:
            raise ParseError(f"resultSets[{index}] has no name", source=SOURCE)
        headers = _headers(raw.get("headers"), name)
        rows = raw.get("rowSet")
        if not isinstance(rows, list):
            raise ParseError(f"result set {name!r} has no rowSet list", source=SOURCE)
        parsed: list[dict[str, Any]] = []
        for row_index, row in enumerate(rows):
            if not isinstance(row, list) or len(row) != len(headers):
                width = len(row) if isinstance(row, list) else type(row).__name__
                raise ParseError(
                    f"result set {name!r} row {row_index} has width {width}, headers have {len(headers)}",
                    source=SOURCE,
                )
            parsed.append(dict(zip(headers, row, strict=True)))
        out[name] = parsed
    return out


def _parameters(payload: Any) -> dict[str, Any]:
    data = load_json(payload, source=SOURCE)
    params = data.get("parameters") if isinstance(data, dict) else None
    return params if isinstance(params, dict) else {}


def _pick_set(sets: dict[str, list[dict[str, Any]]], name: str, required_columns: tuple[str, ...]) -> list[dict]:
    """The named set, or the only set present (names vary slightly between endpoint versions)."""
    if name in sets:
        rows = sets[name]
    elif len(sets) == 1:
        rows = next(iter(sets.values()))
    else:
        raise ParseError(f"result set {name!r} not found (sets: {', '.join(sets) or 'none'})", source=SOURCE)
    if rows:
        missing = [c for c in required_columns if c not in rows[0]]
        if missing:
            raise ParseError(f"result set {name!r} lacks columns {missing}", source=SOURCE)
    return rows


def parse_player_list(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """playerindex: one record per player (lower-cased stats.nba.com columns plus ``player_name``)."""
    data = load_json(payload, source=SOURCE)
    sets = result_sets(data)
    rows = _pick_set(sets, "PlayerIndex", ("PERSON_ID", "PLAYER_LAST_NAME", "PLAYER_FIRST_NAME"))
    records = []
    for row in rows:
        rec = lower_keys(row)
        rec["player_id"] = to_int(row["PERSON_ID"])
        first, last = clean_str(row["PLAYER_FIRST_NAME"]), clean_str(row["PLAYER_LAST_NAME"])
        rec["player_name"] = " ".join(p for p in (first, last) if p)
        rec["team_id"] = to_int(row.get("TEAM_ID")) or None
        records.append(rec)
    season = _parameters(data).get("Season", params.get("season"))
    summary = {
        "season": season,
        "player_count": len(records),
        "team_count": len({r["team_id"] for r in records if r["team_id"]}),
        "rostered_count": sum(1 for r in records if to_int(r.get("roster_status")) == 1),
    }
    return result(records, summary)


def parse_league_game_log(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """leaguegamelog (PlayerOrTeam=P or T): one record per player-game or team-game row."""
    data = load_json(payload, source=SOURCE)
    rows = _pick_set(result_sets(data), "LeagueGameLog", ("GAME_ID", "TEAM_ID", "GAME_DATE"))
    request = _parameters(data)
    kind = request.get("PlayerOrTeam") or params.get("player_or_team")
    if kind not in ("P", "T"):
        kind = "P" if rows and "PLAYER_ID" in rows[0] else "T"
    records = [lower_keys(r) for r in rows]
    for rec in records:
        rec["game_date"] = iso_day(rec.get("game_date"), source=SOURCE)
    dates = sorted_unique(r["game_date"] for r in records)
    game_ids = sorted_unique(r["game_id"] for r in records)
    summary = {
        "player_or_team": kind,
        "season": request.get("Season"),
        "season_type": request.get("SeasonType"),
        "row_count": len(records),
        "game_count": len(game_ids),
        "game_ids": game_ids,
        "first_game_date": dates[0] if dates else None,
        "last_game_date": dates[-1] if dates else None,
    }
    if kind == "P":
        summary["player_count"] = len({r.get("player_id") for r in records})
    return result(records, summary)


def _box_summary(fmt: str, game_id: Any, players: list[dict[str, Any]], teams: list[tuple[Any, Any]]) -> dict:
    """The summary both box score versions share; `teams` is [(tricode, points)]."""
    return {
        "format": fmt,
        "game_id": game_id,
        "player_count": len(players),
        "players_played": sum(1 for r in players if r["played"]),
        "team_count": len(teams),
        "teams": sorted_unique(tri for tri, _ in teams),
        "team_points": dict(teams),
    }


def parse_boxscore_traditional(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """boxscoretraditionalv2: player rows as ``records``, team rows as ``teams``.

    A player with an empty MIN and a COMMENT such as "DNP - Coach's Decision" did not play; ``played``
    makes that explicit so consumers need not re-derive it from strings.
    """
    data = load_json(payload, source=SOURCE)
    sets = result_sets(data)
    players = _pick_set(sets, "PlayerStats", ("GAME_ID", "TEAM_ID", "PLAYER_ID", "MIN"))
    teams = sets.get("TeamStats")
    if teams is None:
        raise ParseError("result set 'TeamStats' not found", source=SOURCE)
    records = []
    for row in players:
        rec = lower_keys(row)
        rec["comment"] = clean_str(row.get("COMMENT"))
        rec["played"] = bool(clean_str(row.get("MIN"))) and not str(row.get("MIN")).startswith("0:00")
        records.append(rec)
    team_records = [lower_keys(t) for t in teams]
    game_ids = sorted_unique(r["game_id"] for r in records + team_records)
    game_id = _parameters(data).get("GameID") or (game_ids[0] if len(game_ids) == 1 else None)
    summary = _box_summary("v2", game_id, records, [(t.get("team_abbreviation"), t.get("pts")) for t in team_records])
    starter_bench = [lower_keys(r) for r in sets.get("TeamStarterBenchStats", [])]
    return result(records, summary, teams=team_records, starter_bench=starter_bench)


def parse_scoreboard_v2(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """scoreboardV2: one record per game (GameHeader de-duplicated by GAME_ID) plus ``line_scores``.

    stats.nba.com sometimes repeats a GameHeader row (e.g. for games with several broadcasters);
    the first occurrence wins and ``summary.duplicate_rows`` reports how many were dropped.
    """
    data = load_json(payload, source=SOURCE)
    sets = result_sets(data)
    header = _pick_set(sets, "GameHeader", ("GAME_ID", "GAME_STATUS_ID", "HOME_TEAM_ID", "VISITOR_TEAM_ID"))
    line_rows = sets.get("LineScore", [])

    games: dict[str, dict[str, Any]] = {}
    duplicates = 0
    for row in header:
        game_id = row["GAME_ID"]
        if game_id in games:
            duplicates += 1
            continue
        games[game_id] = lower_keys(row)

    line_scores: dict[tuple[Any, Any], dict[str, Any]] = {}
    for row in line_rows:
        line_scores.setdefault((row.get("GAME_ID"), row.get("TEAM_ID")), lower_keys(row))

    for game_id, rec in games.items():
        home = line_scores.get((game_id, rec["home_team_id"]), {})
        away = line_scores.get((game_id, rec["visitor_team_id"]), {})
        rec["home_team_abbreviation"] = home.get("team_abbreviation")
        rec["visitor_team_abbreviation"] = away.get("team_abbreviation")
        rec["home_pts"] = home.get("pts")
        rec["visitor_pts"] = away.get("pts")

    records = list(games.values())
    game_date = iso_day(_parameters(data).get("GameDate") or params.get("game_date"), source=SOURCE)
    summary = {
        "game_date": game_date,
        "game_count": len(records),
        "game_ids": sorted(games),
        "duplicate_rows": duplicates,
        "final_count": sum(1 for r in records if r.get("game_status_id") == 3),
        "line_score_count": len(line_scores),
    }
    return result(records, summary, line_scores=list(line_scores.values()))


# ---------------------------------------------------------------------------------------------------------
# v3 (nested camelCase)


def _stats(obj: Any) -> dict[str, Any]:
    """A v3 `statistics` object with snake_case keys ({} when absent)."""
    return {snake(k): v for k, v in obj.items()} if isinstance(obj, dict) else {}


def parse_boxscore_traditional_v3(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """boxscoretraditionalv3: player lines as ``records`` (both teams), team lines as ``teams``.

    The summary has the keys of :func:`parse_boxscore_traditional` (v2), so consumers of either read the
    same view, plus ``player_points`` (each team's sum of its players' points, which must equal the team
    line's). v3 has no starter flag: a starter is a player with a ``position`` (bench players have "").
    A player who did not play has empty ``minutes`` and a ``comment`` ("DNP - Coach's Decision").
    """
    source = f"{SOURCE} boxscoretraditionalv3"
    data = expect_dict(load_json(payload, source=source), source=source)
    box = require(data, "boxScoreTraditional", dict, source=source, where="payload")
    game_id = require(box, "gameId", str, source=source, where="boxScoreTraditional")
    records: list[dict[str, Any]] = []
    teams: list[dict[str, Any]] = []
    starter_bench: list[dict[str, Any]] = []
    for side in ("homeTeam", "awayTeam"):
        team = require(box, side, dict, source=source, where="boxScoreTraditional")
        tricode = team.get("teamTricode")
        base = {"game_id": game_id, "team_id": to_int(team.get("teamId")), "team_tricode": tricode}
        players = require(team, "players", list, source=source, where=f"boxScoreTraditional.{side}")
        for index, player in enumerate(players):
            if not isinstance(player, dict) or "personId" not in player:
                raise ParseError(f"boxScoreTraditional.{side}.players[{index}] lacks personId", source=source)
            stats = _stats(player.get("statistics"))
            seconds = minutes_seconds(stats.get("minutes"))
            first, family = clean_str(player.get("firstName")), clean_str(player.get("familyName"))
            records.append(
                {
                    **base,
                    "home": side == "homeTeam",
                    "person_id": to_int(player["personId"]),
                    "player_name": " ".join(p for p in (first, family) if p) or None,
                    "name_i": clean_str(player.get("nameI")),
                    "player_slug": clean_str(player.get("playerSlug")),
                    "position": clean_str(player.get("position")),
                    "starter": bool(clean_str(player.get("position"))),
                    "jersey_num": clean_str(player.get("jerseyNum")),
                    "comment": clean_str(player.get("comment")),
                    "seconds_played": seconds,
                    "played": bool(seconds),
                    **stats,
                }
            )
        teams.append(
            {
                **base,
                "home": side == "homeTeam",
                "team_city": clean_str(team.get("teamCity")),
                "team_name": clean_str(team.get("teamName")),
                **_stats(team.get("statistics")),
            }
        )
        for label in ("starters", "bench"):
            if isinstance(team.get(label), dict):
                starter_bench.append({**base, "starters_bench": label, **_stats(team[label])})
    summary = _box_summary("v3", game_id, records, [(t["team_tricode"], t.get("points")) for t in teams])
    player_points: dict[Any, int] = {}
    for r in records:
        player_points[r["team_tricode"]] = player_points.get(r["team_tricode"], 0) + (to_int(r.get("points")) or 0)
    summary["player_points"] = player_points
    return result(records, summary, teams=teams, starter_bench=starter_bench)


def parse_scoreboard_v3(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """scoreboardv3?GameDate=: one record per game (status, tip, teams, scores, periods) and the day.

    ``summary.game_date`` is the scoreboard's own ``gameDate`` as YYYY-MM-DD (any form of ``iso_day``).
    """
    source = f"{SOURCE} scoreboardv3"
    data = expect_dict(load_json(payload, source=source), source=source)
    board = require(data, "scoreboard", dict, source=source, where="payload")
    games = require(board, "games", list, source=source, where="scoreboard")
    records = []
    for index, game in enumerate(games):
        if not isinstance(game, dict) or not isinstance(game.get("gameId"), str):
            raise ParseError(f"scoreboard.games[{index}] lacks gameId", source=source)
        home, away = game.get("homeTeam") or {}, game.get("awayTeam") or {}
        records.append(
            {
                "game_id": game["gameId"],
                "game_code": clean_str(game.get("gameCode")),
                "game_status": to_int(game.get("gameStatus")),
                "game_status_text": clean_str(game.get("gameStatusText")),
                "period": to_int(game.get("period")),
                "regulation_periods": to_int(game.get("regulationPeriods")),
                "game_time_utc": clean_str(game.get("gameTimeUTC")),
                "game_label": clean_str(game.get("gameLabel")),
                "game_sub_label": clean_str(game.get("gameSubLabel")),
                "home_team_id": to_int(home.get("teamId")),
                "home_team": clean_str(home.get("teamTricode")),
                "home_score": to_int(home.get("score")),
                "away_team_id": to_int(away.get("teamId")),
                "away_team": clean_str(away.get("teamTricode")),
                "away_score": to_int(away.get("score")),
                "home_periods": [p.get("score") for p in home.get("periods") or [] if isinstance(p, dict)],
                "away_periods": [p.get("score") for p in away.get("periods") or [] if isinstance(p, dict)],
            }
        )
    statuses = [r["game_status"] for r in records]
    summary = {
        "game_date": iso_day(board.get("gameDate") or params.get("game_date"), source=source),
        "league_id": board.get("leagueId"),
        "game_count": len(records),
        "game_ids": [r["game_id"] for r in records],
        "team_tricodes": sorted_unique(t for r in records for t in (r["home_team"], r["away_team"])),
        "scheduled_count": statuses.count(1),
        "in_progress_count": statuses.count(2),
        "final_count": statuses.count(3),
    }
    return result(records, summary)
