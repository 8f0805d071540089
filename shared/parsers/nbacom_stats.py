"""stats.nba.com parsers (playerindex, leaguegamelog, boxscoretraditionalv2, scoreboardV2).

stats.nba.com answers ``{"resource", "parameters", "resultSets": [{"name", "headers", "rowSet"}]}``
(a few endpoints use a single ``resultSet`` object instead). Rows are positional arrays, so everything
here goes through :func:`result_sets`, which zips them with their headers and checks the widths agree:
a silently shifted column would corrupt every downstream table.
"""

from __future__ import annotations

from typing import Any

from shared.parsers._common import (
    clean_str,
    expect_dict,
    load_json,
    lower_keys,
    result,
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
    summary = {
        "game_id": game_id,
        "player_count": len(records),
        "players_played": sum(1 for r in records if r["played"]),
        "team_count": len(team_records),
        "teams": sorted_unique(t.get("team_abbreviation") for t in team_records),
        "team_points": {t.get("team_abbreviation"): t.get("pts") for t in team_records},
    }
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
    game_date = _parameters(data).get("GameDate") or params.get("game_date")
    summary = {
        "game_date": game_date,
        "game_count": len(records),
        "game_ids": sorted(games),
        "duplicate_rows": duplicates,
        "final_count": sum(1 for r in records if r.get("game_status_id") == 3),
        "line_score_count": len(line_scores),
    }
    return result(records, summary, line_scores=list(line_scores.values()))
