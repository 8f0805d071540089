"""cdn.nba.com parsers: liveData play-by-play / boxscore / scoreboard, schedule, player movement.

The liveData documents wrap everything in ``{"meta": {...}, "game": {...}}``; an answer without the
``game`` object (e.g. an Akamai error page or a game id that does not exist yet) is a ParseError rather
than an empty result, so a wrong id is not mistaken for "no plays yet".
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from shared.parsers._common import (
    clean_str,
    expect_dict,
    expect_list,
    load_json,
    pt_seconds,
    require,
    result,
    sorted_unique,
    to_int,
)
from shared.parsers.errors import ParseError

SOURCE = "cdn.nba.com"


def clock_seconds(value: Any) -> float | None:
    """``"PT11M44.00S"`` -> 704.0 (ISO-8601 duration used for game clocks and minutes played)."""
    return pt_seconds(value)


def _game(payload: Any, source: str) -> dict[str, Any]:
    data = expect_dict(load_json(payload, source=source), source=source)
    return require(data, "game", dict, source=source, where="payload")


def parse_play_by_play(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """liveData playbyplay_{gameId}.json -> one record per action, summary with final period/score."""
    source = f"{SOURCE} playbyplay"
    game = _game(payload, source)
    game_id = require(game, "gameId", str, source=source, where="game")
    actions = require(game, "actions", list, source=source, where="game")
    records = []
    for index, action in enumerate(actions):
        if not isinstance(action, dict) or "actionNumber" not in action or "period" not in action:
            raise ParseError(f"game.actions[{index}] lacks actionNumber/period", source=source)
        records.append(
            {
                "game_id": game_id,
                "action_number": action["actionNumber"],
                "order_number": action.get("orderNumber"),
                "period": action["period"],
                "period_type": action.get("periodType"),
                "clock": action.get("clock"),
                "clock_seconds": clock_seconds(action.get("clock")),
                "time_actual": action.get("timeActual"),
                "action_type": action.get("actionType"),
                "sub_type": clean_str(action.get("subType")),
                "team_id": action.get("teamId"),
                "team_tricode": action.get("teamTricode"),
                "person_id": action.get("personId") or None,
                "player_name": action.get("playerNameI") or action.get("playerName"),
                "shot_result": action.get("shotResult"),
                "is_field_goal": bool(action.get("isFieldGoal")),
                "score_home": to_int(action.get("scoreHome")),
                "score_away": to_int(action.get("scoreAway")),
                "description": action.get("description"),
            }
        )
    last = records[-1] if records else None
    final_period = max((r["period"] for r in records), default=None)
    summary = {
        "game_id": game_id,
        "action_count": len(records),
        "final_period": final_period,
        "overtime_periods": max(0, (final_period or 0) - 4),
        "has_game_end": any(r["action_type"] == "game" and r["sub_type"] == "end" for r in records),
        "final_score": {"home": last["score_home"], "away": last["score_away"]} if last else None,
    }
    return result(records, summary)


def parse_player_movement(
    payload: bytes | str | dict, *, since: str | date | None = None, **params: Any
) -> dict[str, Any]:
    """NBA_Player_Movement.json -> one record per transaction row (optionally only rows on/after ``since``).

    The file holds ~10 seasons of signings/waivers/trades; a trade is several rows sharing ``GroupSort``,
    so the summary counts both rows and distinct transaction groups.
    """
    source = f"{SOURCE} player movement"
    data = expect_dict(load_json(payload, source=source), source=source)
    block = require(data, "NBA_Player_Movement", dict, source=source, where="payload")
    rows = require(block, "rows", list, source=source, where="NBA_Player_Movement")
    cutoff = since.isoformat() if isinstance(since, date) else since
    records = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict) or "Transaction_Type" not in row or "TRANSACTION_DATE" not in row:
            raise ParseError(f"rows[{index}] lacks Transaction_Type/TRANSACTION_DATE", source=source)
        day = str(row["TRANSACTION_DATE"])[:10]
        if cutoff and day < cutoff:
            continue
        transaction_type = row["Transaction_Type"]
        other_team = to_int(row.get("Additional_Sort"))
        records.append(
            {
                "transaction_type": transaction_type,
                "transaction_date": day,
                "description": clean_str(row.get("TRANSACTION_DESCRIPTION")),
                "team_id": to_int(row.get("TEAM_ID")) or None,
                "team_slug": clean_str(row.get("TEAM_SLUG")),
                # PLAYER_ID 0 marks non-player assets (draft picks, cash) in trades.
                "player_id": to_int(row.get("PLAYER_ID")) or None,
                "player_slug": clean_str(row.get("PLAYER_SLUG")),
                "other_team_id": other_team if transaction_type == "Trade" and other_team else None,
                "group_sort": clean_str(row.get("GroupSort")),
            }
        )
    dates = [r["transaction_date"] for r in records]
    summary = {
        "transaction_count": len(records),
        "transaction_group_count": len({r["group_sort"] for r in records}),
        "by_type": dict(sorted(Counter(r["transaction_type"] for r in records).items())),
        "first_date": min(dates, default=None),
        "last_date": max(dates, default=None),
        "since": cutoff,
    }
    return result(records, summary)


def _periods(team: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"period": to_int(p.get("period")), "period_type": p.get("periodType"), "score": to_int(p.get("score"))}
        for p in team.get("periods") or []
        if isinstance(p, dict)
    ]


def _team_summary(team: dict[str, Any]) -> dict[str, Any]:
    return {
        "team_id": team.get("teamId"),
        "team_tricode": team.get("teamTricode"),
        "team_city": team.get("teamCity"),
        "team_name": team.get("teamName"),
        "score": team.get("score"),
        "periods": _periods(team),
    }


def parse_boxscore_live(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """liveData boxscore_{gameId}.json -> one record per player (both teams), game info in summary.

    The summary says whether the game is over (``final``: gameStatus 3; 1 is before tip-off, 2 in play),
    its periods (each team's ``periods`` with OVERTIME ones, ``overtime_periods``) and every player listed
    as not playing with the reason and its description (``not_playing``: INACTIVE_INJURY "Back; Nerve
    Impingement", DNP_INJURY, INACTIVE_GLEAGUE_ON_ASSIGNMENT, ...).
    """
    source = f"{SOURCE} boxscore"
    game = _game(payload, source)
    game_id = require(game, "gameId", str, source=source, where="game")
    records = []
    teams = {}
    for side in ("homeTeam", "awayTeam"):
        team = require(game, side, dict, source=source, where="game")
        tricode = team.get("teamTricode")
        teams[side] = _team_summary(team)
        for index, player in enumerate(require(team, "players", list, source=source, where=f"game.{side}")):
            if not isinstance(player, dict) or "personId" not in player:
                raise ParseError(f"game.{side}.players[{index}] lacks personId", source=source)
            stats = player.get("statistics") or {}
            records.append(
                {
                    "game_id": game_id,
                    "team_id": team.get("teamId"),
                    "team_tricode": tricode,
                    "home": side == "homeTeam",
                    "person_id": player.get("personId"),
                    "name": player.get("name"),
                    "jersey_num": clean_str(player.get("jerseyNum")),
                    "position": clean_str(player.get("position")),
                    "status": player.get("status"),
                    "not_playing_reason": clean_str(player.get("notPlayingReason")),
                    "not_playing_description": clean_str(player.get("notPlayingDescription")),
                    "starter": player.get("starter") == "1",
                    "played": player.get("played") == "1",
                    "minutes": stats.get("minutes"),
                    "seconds_played": clock_seconds(stats.get("minutes")),
                    "points": stats.get("points"),
                    "rebounds": stats.get("reboundsTotal"),
                    "assists": stats.get("assists"),
                    "steals": stats.get("steals"),
                    "blocks": stats.get("blocks"),
                    "turnovers": stats.get("turnovers"),
                    "three_pointers_made": stats.get("threePointersMade"),
                    "field_goals_made": stats.get("fieldGoalsMade"),
                    "field_goals_attempted": stats.get("fieldGoalsAttempted"),
                    "free_throws_made": stats.get("freeThrowsMade"),
                    "free_throws_attempted": stats.get("freeThrowsAttempted"),
                    "plus_minus": stats.get("plusMinusPoints"),
                }
            )
    arena = game.get("arena") or {}
    status = to_int(game.get("gameStatus"))
    regulation = to_int(game.get("regulationPeriods")) or 4
    home_periods = teams["homeTeam"]["periods"]
    overtime = sum(1 for p in home_periods if p["period_type"] == "OVERTIME")
    if not home_periods:  # no per-period list: the current period says how far the game went
        overtime = max(0, (to_int(game.get("period")) or 0) - regulation)
    keys = ("team_tricode", "person_id", "name", "status", "not_playing_reason", "not_playing_description")
    not_playing = [{k: r[k] for k in keys} for r in records if r["not_playing_reason"] or r["status"] == "INACTIVE"]
    summary = {
        "game_id": game_id,
        "game_code": game.get("gameCode"),
        "game_status": status,
        "game_status_text": clean_str(game.get("gameStatusText")),
        "final": status == 3,
        "period": game.get("period"),
        "regulation_periods": regulation,
        "overtime_periods": overtime,
        "home_team": teams["homeTeam"],
        "away_team": teams["awayTeam"],
        "player_count": len(records),
        "players_played": sum(1 for r in records if r["played"]),
        "inactive_count": sum(1 for r in records if r["status"] == "INACTIVE"),
        "not_playing": not_playing,
        "player_points": {
            t["team_tricode"]: sum(to_int(r["points"]) or 0 for r in records if r["team_tricode"] == t["team_tricode"])
            for t in teams.values()
        },
        "attendance": game.get("attendance") or None,
        "arena": arena.get("arenaName"),
        "officials": [o.get("name") for o in game.get("officials") or [] if isinstance(o, dict)],
    }
    return result(records, summary)


def parse_todays_scoreboard(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """liveData todaysScoreboard_00.json -> one record per game with status and scores."""
    source = f"{SOURCE} scoreboard"
    data = expect_dict(load_json(payload, source=source), source=source)
    board = require(data, "scoreboard", dict, source=source, where="payload")
    games = require(board, "games", list, source=source, where="scoreboard")
    records = []
    for index, game in enumerate(games):
        if not isinstance(game, dict) or "gameId" not in game:
            raise ParseError(f"scoreboard.games[{index}] lacks gameId", source=source)
        home, away = game.get("homeTeam") or {}, game.get("awayTeam") or {}
        records.append(
            {
                "game_id": game["gameId"],
                "game_code": game.get("gameCode"),
                "game_status": game.get("gameStatus"),
                "game_status_text": clean_str(game.get("gameStatusText")),
                "period": game.get("period"),
                "game_clock": clean_str(game.get("gameClock")),
                "game_time_utc": game.get("gameTimeUTC"),
                "home_team": home.get("teamTricode"),
                "away_team": away.get("teamTricode"),
                "home_score": home.get("score"),
                "away_score": away.get("score"),
            }
        )
    statuses = Counter(r["game_status"] for r in records)
    summary = {
        "game_date": board.get("gameDate"),
        "game_count": len(records),
        "game_ids": [r["game_id"] for r in records],
        "scheduled_count": statuses.get(1, 0),
        "in_progress_count": statuses.get(2, 0),
        "final_count": statuses.get(3, 0),
    }
    return result(records, summary)


def parse_schedule(payload: bytes | str | dict, *, game_date: str | date | None = None, **params: Any) -> dict:
    """scheduleLeagueV2(_1).json / scheduleleaguev2int -> one record per game (optionally one ET date).

    ``game_date_et`` comes from ``gameDateEst``; note ``gameDateTimeEst`` is ET wall-clock time written
    with a misleading ``Z`` suffix, so it is exposed as ``game_datetime_et_local`` (naive), never as UTC.
    """
    source = f"{SOURCE} schedule"
    data = expect_dict(load_json(payload, source=source), source=source)
    schedule = require(data, "leagueSchedule", dict, source=source, where="payload")
    game_dates = require(schedule, "gameDates", list, source=source, where="leagueSchedule")
    wanted = game_date.isoformat() if isinstance(game_date, date) else game_date
    records = []
    for day in game_dates:
        if not isinstance(day, dict):
            raise ParseError("leagueSchedule.gameDates contains a non-object", source=source)
        for game in expect_list(day.get("games", []), source=source, what="gameDates[].games"):
            if not isinstance(game, dict) or "gameId" not in game:
                raise ParseError("a schedule game lacks gameId", source=source)
            day_et = str(game.get("gameDateEst") or "")[:10] or None
            if wanted and day_et != wanted:
                continue
            home, away = game.get("homeTeam") or {}, game.get("awayTeam") or {}
            local_et = game.get("gameDateTimeEst")
            records.append(
                {
                    "game_id": game["gameId"],
                    "game_code": game.get("gameCode"),
                    "game_status": game.get("gameStatus"),
                    "game_status_text": clean_str(game.get("gameStatusText")),
                    "game_date_et": day_et,
                    "game_datetime_et_local": local_et.rstrip("Z") if isinstance(local_et, str) else None,
                    "game_datetime_utc": game.get("gameDateTimeUTC"),
                    "game_label": clean_str(game.get("gameLabel")),
                    "game_sub_label": clean_str(game.get("gameSubLabel")),
                    "home_team": home.get("teamTricode"),
                    "away_team": away.get("teamTricode"),
                    "home_team_id": home.get("teamId"),
                    "away_team_id": away.get("teamId"),
                    "home_score": home.get("score"),
                    "away_score": away.get("score"),
                    "arena": clean_str(game.get("arenaName")),
                    "postponed_status": game.get("postponedStatus"),
                }
            )
    dates = sorted_unique(r["game_date_et"] for r in records)
    summary = {
        "season_year": schedule.get("seasonYear"),
        "game_date": wanted,
        "game_count": len(records),
        "game_date_count": len(dates),
        "first_game_date": dates[0] if dates else None,
        "last_game_date": dates[-1] if dates else None,
        "game_ids": [r["game_id"] for r in records] if wanted else None,
        "by_status": {str(k): v for k, v in sorted(Counter(r["game_status"] for r in records).items())},
    }
    return result(records, summary)
