"""NBA.com documents of the sample day: stats.nba.com, cdn.nba.com and official.nba.com JSON.

Shapes follow the real answers (see ../shared/fixtures/upstream/nbacom_*, nba_officials): stats.nba.com's
`{"resource", "parameters", "resultSets": [{"name", "headers", "rowSet"}]}` with positional rows, the
league schedule's `leagueSchedule.gameDates[].games[]`, liveData's `{"meta", "game": {"gameId", "actions"}}`
and the officials' per-league `{"Table": {"rows", "columns"}, "Table1": ...}` sections.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.nba.schedule import Game
from shared.timeutil import to_et
from tooling.sample_day import names
from tooling.sample_day.teams import team
from tooling.sample_day.world import Action, GameDay, Line, World, rng_for, utc_z


def dumps(doc: Any) -> bytes:
    """Compact JSON, as the NBA's servers send it."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()


def _pct(made: int, att: int) -> float:
    return round(made / att, 3) if att else 0.0


# ---------------------------------------------------------------------------------------------------------
# League schedule (stats.nba.com scheduleleaguev2int; same document as cdn scheduleLeagueV2)


def _schedule_team(tri: str, world: World, score: int) -> dict[str, Any]:
    info, rec = team(tri), world.records[tri]
    return {
        "teamId": info.nba_id,
        "teamName": info.nickname,
        "teamCity": info.city,
        "teamTricode": tri,
        "teamSlug": info.slug,
        "wins": rec.wins,
        "losses": rec.losses,
        "score": score,
        "seed": 0,
    }


def _schedule_game(g: Game, world: World, sequence: int) -> dict[str, Any]:
    local = to_et(g.commence_utc)
    info = team(g.home)
    final = world.final_scores_before.get(g.game_id)
    home_score, away_score = final if final else (0, 0)
    status_text = "Final" if g.status == 3 else local.strftime("%I:%M %p ET").lstrip("0").replace("PM", "pm")
    return {
        "gameId": g.game_id,
        "gameCode": g.game_code,
        "gameStatus": g.status,
        "gameStatusText": status_text.replace("AM", "am"),
        "gameSequence": sequence,
        "gameDateEst": f"{g.game_date.isoformat()}T00:00:00Z",
        "gameTimeEst": f"1900-01-01T{local:%H:%M}:00Z",
        # ET wall time with a misleading Z, exactly as NBA.com writes it.
        "gameDateTimeEst": f"{local:%Y-%m-%dT%H:%M}:00Z",
        "gameDateUTC": f"{g.game_date.isoformat()}T05:00:00Z",
        "gameTimeUTC": f"1900-01-01T{g.commence_utc.astimezone(UTC):%H:%M}:00Z",
        "gameDateTimeUTC": utc_z(g.commence_utc),
        "awayTeamTime": f"{local:%Y-%m-%dT%H:%M}:00Z",
        "homeTeamTime": f"{local:%Y-%m-%dT%H:%M}:00Z",
        "day": local.strftime("%a"),
        "monthNum": local.month,
        "weekNumber": _week(g.game_date, world.season_start),
        "weekName": f"Week {_week(g.game_date, world.season_start)}",
        "ifNecessary": False,
        "seriesGameNumber": "",
        "gameLabel": "",
        "gameSubLabel": "",
        "seriesText": "",
        "arenaName": info.arena,
        "arenaState": info.arena_state,
        "arenaCity": info.arena_city,
        "postponedStatus": "N",
        "branchLink": "",
        "gameSubtype": "",
        "isNeutral": False,
        "broadcasters": {
            k: []
            for k in (
                "nationalTvBroadcasters",
                "nationalRadioBroadcasters",
                "nationalOttBroadcasters",
                "homeTvBroadcasters",
                "homeRadioBroadcasters",
                "homeOttBroadcasters",
                "awayTvBroadcasters",
                "awayRadioBroadcasters",
                "awayOttBroadcasters",
                "intlRadioBroadcasters",
                "intlTvBroadcasters",
                "intlOttBroadcasters",
            )
        },
        "homeTeam": _schedule_team(g.home, world, home_score),
        "awayTeam": _schedule_team(g.away, world, away_score),
        "pointsLeaders": [],
    }


def _week(d: date, season_start: int) -> int:
    opening = date(season_start, 10, 22)
    monday = opening - timedelta(days=opening.weekday())
    return max(1, (d - monday).days // 7 + 1)


def schedule(world: World) -> bytes:
    """The season schedule as published on the morning of the date: the previous night final, the day and
    the next day scheduled (a sample holds only these three nights)."""
    dates: dict[date, list[Game]] = {}
    for g in world.games_before + world.games + world.games_after:
        dates.setdefault(g.game_date, []).append(g)
    game_dates = []
    for d in sorted(dates):
        games = sorted(dates[d], key=lambda g: g.game_id)
        game_dates.append(
            {
                "gameDate": d.strftime("%m/%d/%Y 00:00:00"),
                "games": [_schedule_game(g, world, i + 1) for i, g in enumerate(games)],
            }
        )
    first = min(dates)
    monday = first - timedelta(days=first.weekday())
    doc = {
        "meta": {
            "version": 1,
            "request": f"http://nba.cloud/league/00/{world.season}/scheduleleaguev2?Format=json",
            "time": f"{world.date.isoformat()}T10:00:00.0000Z",
        },
        "leagueSchedule": {
            "seasonYear": world.season,
            "leagueId": "00",
            "gameDates": game_dates,
            "weeks": [
                {
                    "weekNumber": _week(monday + timedelta(days=7 * k), world.season_start),
                    "weekName": f"Week {_week(monday + timedelta(days=7 * k), world.season_start)}",
                    "startDate": f"{monday + timedelta(days=7 * k)}T00:00:00Z",
                    "endDate": f"{monday + timedelta(days=7 * k + 6)}T00:00:00Z",
                }
                for k in range(2 if (max(dates) - monday).days >= 7 else 1)
            ],
            "broadcasterList": [],
        },
    }
    return dumps(doc)


# ---------------------------------------------------------------------------------------------------------
# stats.nba.com


def _result_sets(resource: str, parameters: dict[str, Any], sets: list[tuple[str, list[str], list[list]]]) -> bytes:
    return dumps(
        {
            "resource": resource,
            "parameters": parameters,
            "resultSets": [{"name": n, "headers": h, "rowSet": rows} for n, h, rows in sets],
        }
    )


PLAYER_INDEX_HEADERS = [
    "PERSON_ID", "PLAYER_LAST_NAME", "PLAYER_FIRST_NAME", "PLAYER_SLUG", "TEAM_ID", "TEAM_SLUG", "IS_DEFUNCT",
    "TEAM_CITY", "TEAM_NAME", "TEAM_ABBREVIATION", "JERSEY_NUMBER", "POSITION", "HEIGHT", "WEIGHT", "COLLEGE",
    "COUNTRY", "DRAFT_YEAR", "DRAFT_ROUND", "DRAFT_NUMBER", "ROSTER_STATUS", "FROM_YEAR", "TO_YEAR", "PTS", "REB",
    "AST", "STATS_TIMEFRAME",
]  # fmt: skip


def player_index(world: World) -> bytes:
    """playerindex?Season=YYYY-YY&Historical=0: every rostered player, sorted by last name like NBA.com."""
    rows = []
    for p in sorted(world.players, key=lambda p: (p.last, p.first)):
        info = team(p.team)
        rows.append(
            [
                p.person_id, p.last, p.first, p.slug, info.nba_id, info.slug, 0, info.city, info.nickname, p.team,
                p.jersey, p.position, p.height, str(p.weight), p.college, p.country, p.draft_year, p.draft_round,
                p.draft_number, 1.0, str(p.from_year), str(world.season_start), p.ppg, p.rpg, p.apg, "Season",
            ]
        )  # fmt: skip
    params = {
        "LeagueID": "00", "Season": world.season, "Historical": 0, "TeamID": 0, "Country": None, "College": None,
        "DraftYear": None, "DraftPick": None, "PlayerPosition": None, "Height": None, "Weight": None, "Active": None,
        "AllStar": None,
    }  # fmt: skip
    return _result_sets("playerindex", params, [("PlayerIndex", PLAYER_INDEX_HEADERS, rows)])


# ---------------------------------------------------------------------------------------------------------
# Box scores: stats.nba.com boxscoretraditionalv3 and cdn.nba.com liveData boxscore (the shapes of
# nbacom_stats/boxscoretraditionalv3_0022500560_PHI-TOR_2026-01-12.json and
# nbacom_cdn/boxscore_0042200123_PHI-BKN_2023-04-20_final.json)


def _counts(lines: list[Line]) -> dict[str, int]:
    keys = ("fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "oreb", "dreb", "reb", "ast", "stl", "blk", "tov", "pf", "pts")
    return {k: sum(getattr(ln, k) for ln in lines) for k in keys}


def _v3_stats(lines: list[Line], minutes: str | None = None) -> dict[str, Any]:
    """A v3 `statistics` object (camelCase, the recording's key order) summed over `lines`; `minutes`
    defaults to their total as "mmm:ss"."""
    t = _counts(lines)
    return {
        "minutes": _mmss(sum(ln.seconds for ln in lines)) if minutes is None else minutes,
        "fieldGoalsMade": t["fgm"], "fieldGoalsAttempted": t["fga"], "fieldGoalsPercentage": _pct(t["fgm"], t["fga"]),
        "threePointersMade": t["fg3m"], "threePointersAttempted": t["fg3a"],
        "threePointersPercentage": _pct(t["fg3m"], t["fg3a"]),
        "freeThrowsMade": t["ftm"], "freeThrowsAttempted": t["fta"], "freeThrowsPercentage": _pct(t["ftm"], t["fta"]),
        "reboundsOffensive": t["oreb"], "reboundsDefensive": t["dreb"], "reboundsTotal": t["reb"],
        "assists": t["ast"], "steals": t["stl"], "blocks": t["blk"], "turnovers": t["tov"],
        "foulsPersonal": t["pf"], "points": t["pts"],
    }  # fmt: skip


def _mmss(seconds: int) -> str:
    return f"{seconds // 60}:{seconds % 60:02d}"


def boxscore_traditional_v3(gd: GameDay) -> bytes:
    """boxscoretraditionalv3?GameID=...: per team the players who dressed (a starter has a position, a DNP an
    empty `minutes` and the comment "DNP - Coach's Decision"; inactive players are not listed, nor is a
    jersey number, as in the recording), the team line and the starters/bench split."""
    gid = gd.game.game_id

    def side(tri: str) -> dict[str, Any]:
        info = team(tri)
        players = []
        for ln in gd.lines[tri]:
            p = ln.player
            stats = _v3_stats([ln], None if ln.played else "")
            players.append(
                {
                    "personId": p.person_id, "firstName": p.first, "familyName": p.last, "nameI": p.name_i,
                    "playerSlug": p.slug, "position": ln.start_position, "comment": "" if ln.played else
                    "DNP - Coach's Decision", "jerseyNum": "",
                    "statistics": {**stats, "plusMinusPoints": float(ln.plus_minus)},
                }
            )  # fmt: skip
        played = gd.played(tri)
        margin = gd.score(tri) - gd.score(gd.home if tri == gd.away else gd.away)
        starters = [ln for ln in played if ln.starter]
        bench = [ln for ln in played if not ln.starter]
        return {
            "teamId": info.nba_id, "teamCity": info.city, "teamName": info.nickname, "teamTricode": tri,
            "teamSlug": info.slug, "players": players,
            "statistics": {**_v3_stats(played), "plusMinusPoints": float(margin)},
            "starters": _v3_stats(starters), "bench": _v3_stats(bench),
        }  # fmt: skip

    doc = {
        "meta": {
            "version": 1,
            "request": f"http://nba.cloud/games/{gid}/boxscoretraditional?Format=json",
            "time": _iso_ms(_real_time(gd, gd.actions[-1]) + timedelta(minutes=20)),
        },
        "boxScoreTraditional": {
            "gameId": gid,
            "awayTeamId": team(gd.away).nba_id,
            "homeTeamId": team(gd.home).nba_id,
            "homeTeam": side(gd.home),
            "awayTeam": side(gd.away),
        },
    }
    return dumps(doc)


CDN_POSITIONS = ("PG", "SG", "SF", "PF", "C")  # liveData writes the starters' positions like this


def _not_playing(reason: str) -> tuple[str, str | None]:
    """An injury-report reason as liveData's (notPlayingReason, notPlayingDescription)."""
    if reason.startswith("G League - "):
        kind = "TWOWAY" if "Two-Way" in reason else "ON_ASSIGNMENT"
        return f"INACTIVE_GLEAGUE_{kind}", None
    return "INACTIVE_INJURY", reason.removeprefix("Injury/Illness - ")


def _live_stats(lines: list[Line], plus_minus: int = 0) -> dict[str, Any]:
    """A liveData `statistics` object summed over `lines` (a subset of the real keys, alphabetical as sent)."""
    t = _counts(lines)
    secs = sum(ln.seconds for ln in lines)
    return {
        "assists": t["ast"], "blocks": t["blk"], "fieldGoalsAttempted": t["fga"], "fieldGoalsMade": t["fgm"],
        "fieldGoalsPercentage": _pct(t["fgm"], t["fga"]), "foulsPersonal": t["pf"], "freeThrowsAttempted": t["fta"],
        "freeThrowsMade": t["ftm"], "freeThrowsPercentage": _pct(t["ftm"], t["fta"]), "minutes": _clock(secs),
        "minutesCalculated": f"PT{round(secs / 60):02d}M", "plusMinusPoints": float(plus_minus), "points": t["pts"],
        "reboundsDefensive": t["dreb"], "reboundsOffensive": t["oreb"], "reboundsTotal": t["reb"],
        "steals": t["stl"], "threePointersAttempted": t["fg3a"], "threePointersMade": t["fg3m"],
        "threePointersPercentage": _pct(t["fg3m"], t["fg3a"]), "turnovers": t["tov"],
    }  # fmt: skip


def _period_scores(gd: GameDay) -> dict[str, list[int]]:
    """Each team's points per period, from the running score at every period end of the plays."""
    ends = [a for a in gd.actions if a.kind == "period_end"]
    out: dict[str, list[int]] = {gd.home: [], gd.away: []}
    prev = {gd.home: 0, gd.away: 0}
    for a in ends:
        for tri, score in ((gd.home, a.score_home), (gd.away, a.score_away)):
            out[tri].append(score - prev[tri])
            prev[tri] = score
    return out


def boxscore_live(gd: GameDay) -> bytes:
    """liveData/boxscore/boxscore_{gameId}.json after the game (gameStatus 3): every player who dressed in
    order (starters with positions, then the bench; a DNP is ACTIVE with played "0"), then the inactive
    players with notPlayingReason/notPlayingDescription, each team's periods, the officials and the arena."""
    g = gd.game
    periods = _period_scores(gd)

    def side(tri: str) -> dict[str, Any]:
        info = team(tri)
        players: list[dict[str, Any]] = []
        for ln in gd.lines[tri]:
            p = ln.player
            item: dict[str, Any] = {"status": "ACTIVE", "order": len(players) + 1, "personId": p.person_id,
                                    "jerseyNum": p.jersey}  # fmt: skip
            if ln.starter:
                item["position"] = CDN_POSITIONS[len(players)]
            item.update(starter="1" if ln.starter else "0", oncourt="0", played="1" if ln.played else "0")
            item.update(
                statistics=_live_stats([ln], ln.plus_minus),
                name=p.name,
                nameI=p.name_i,
                firstName=p.first,
                familyName=p.last,
            )
            players.append(item)
        for inj in gd.inactive[tri]:
            p = inj.player
            reason, description = _not_playing(inj.reason)
            item = {"status": "INACTIVE", "notPlayingReason": reason}
            if description:
                item["notPlayingDescription"] = description
            item.update(order=len(players) + 1, personId=p.person_id, jerseyNum=p.jersey, starter="0", oncourt="0")
            item.update(played="0", statistics=_live_stats([]), name=p.name, nameI=p.name_i, firstName=p.first,
                        familyName=p.last)  # fmt: skip
            players.append(item)
        margin = gd.score(tri) - gd.score(gd.home if tri == gd.away else gd.away)
        team_stats = _live_stats(gd.played(tri), margin)
        return {
            "teamId": info.nba_id, "teamName": info.nickname, "teamCity": info.city, "teamTricode": tri,
            "score": gd.score(tri), "inBonus": "0", "timeoutsRemaining": 0,
            "periods": [{"period": n, "periodType": "REGULAR", "score": pts} for n, pts in enumerate(periods[tri], 1)],
            "players": players, "statistics": team_stats,
        }  # fmt: skip

    hours, minutes = (int(x) for x in gd.duration.split(":"))
    home = team(gd.home)
    doc = {
        "meta": {
            "version": 1,
            "code": 200,
            "request": f"http://nba.cloud/games/{g.game_id}/boxscore?Format=json",
            "time": (_real_time(gd, gd.actions[-1]) + timedelta(minutes=5))
            .astimezone(UTC)
            .strftime("%Y-%m-%d %H:%M:%S.%f"),
        },
        "game": {
            "gameId": g.game_id,
            "gameTimeUTC": utc_z(g.commence_utc),
            "gameEt": to_et(g.commence_utc).isoformat(),
            "duration": hours * 60 + minutes,
            "gameCode": g.game_code,
            "gameStatusText": "Final",
            "gameStatus": 3,
            "regulationPeriods": 4,
            "period": len(periods[gd.home]),
            "gameClock": "PT00M00.00S",
            "attendance": gd.attendance,
            "sellout": "0",
            "arena": {"arenaName": gd.arena, "arenaCity": home.arena_city, "arenaState": home.arena_state},
            "officials": [
                {
                    "personId": o.person_id,
                    "name": o.name,
                    "nameI": f"{o.name[0]}. {o.name.split()[-1]}",
                    "firstName": o.name.split()[0],
                    "familyName": o.name.split()[-1],
                    "jerseyNum": o.jersey,
                    "assignment": f"OFFICIAL{k}",
                }
                for k, o in enumerate(gd.officials, start=1)
            ],  # fmt: skip
            "homeTeam": side(gd.home),
            "awayTeam": side(gd.away),
        },
    }
    return dumps(doc)


# ---------------------------------------------------------------------------------------------------------
# cdn.nba.com liveData play-by-play


def _clock(seconds: int) -> str:
    return f"PT{seconds // 60:02d}M{seconds % 60:02d}.00S"


def _iso_ms(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 100000}Z"


def _real_time(gd: GameDay, a: Action) -> datetime:
    """Wall time of a play: 13 min after the listed tip, game clock x 1.9, plus breaks between periods."""
    breaks = (a.period - 1) * 150 + (900 - 150 if a.period >= 3 else 0)
    return gd.game.commence_utc + timedelta(seconds=780 + a.elapsed * 1.9 + breaks)


def _describe(a: Action, team_pts: dict[int, int]) -> tuple[str, str, str]:
    """(actionType, subType, description) in NBA.com's wording."""
    p = a.player
    if a.kind == "period_start":
        return "period", "start", "Period Start"
    if a.kind == "period_end":
        return "period", "end", "Period End"
    if a.kind == "game_end":
        return "game", "end", "Game End"
    assert p is not None
    if a.kind == "jumpball":
        assert a.other is not None
        return "jumpball", "recovered", f"Jump Ball {p.name_i} vs. {a.other.name_i}: Tip to {p.name_i}"
    if a.kind == "sub":
        return "substitution", "in", f"SUB in: {p.name_i}"
    if a.kind == "sub_out":
        return "substitution", "out", f"SUB out: {p.name_i}"
    if a.kind == "rebound":
        return "rebound", "offensive" if a.offensive else "defensive", f"{p.name_i} REBOUND"
    if a.kind == "freethrow":
        sub = f"{a.ft_num} of {a.ft_of}"
        if a.made:
            return "freethrow", sub, f"{p.name_i} Free Throw {sub} ({team_pts[p.person_id]} PTS)"
        return "freethrow", sub, f"MISS {p.name_i} Free Throw {sub}"
    label = "3PT Jump Shot" if a.kind == "3pt" else "Jump Shot" if a.distance > 8 else "Layup"
    if a.made:
        return a.kind, label.replace("3PT ", ""), f"{p.name_i} {a.distance}' {label} ({team_pts[p.person_id]} PTS)"
    return a.kind, label.replace("3PT ", ""), f"MISS {p.name_i} {a.distance}' {label}"


def play_by_play(gd: GameDay) -> bytes:
    """liveData/playbyplay/playbyplay_{gameId}.json: every action, running score as strings like NBA.com."""
    r = rng_for("pbp-coords", gd.game.game_id)
    pts: dict[int, int] = {}
    actions = []
    for n, a in enumerate(_expand_subs(gd.actions), start=1):
        if a.made and a.player is not None:
            pts[a.player.person_id] = pts.get(a.player.person_id, 0) + (
                3 if a.kind == "3pt" else 2 if a.kind == "2pt" else 1
            )
        action_type, sub_type, description = _describe(a, pts)
        when = _real_time(gd, a)
        item: dict[str, Any] = {
            "actionNumber": n,
            "clock": _clock(a.clock_seconds),
            "timeActual": _iso_ms(when),
            "period": a.period,
            "periodType": "REGULAR",
        }
        if a.team:
            item["teamId"] = team(a.team).nba_id
            item["teamTricode"] = a.team
        shot = a.kind in ("2pt", "3pt")
        item.update(
            {
                "actionType": action_type,
                "subType": sub_type,
                "qualifiers": [],
                "personId": a.player.person_id if a.player else 0,
                "x": round(r.uniform(5, 95), 4) if shot else None,
                "y": round(r.uniform(5, 95), 4) if shot else None,
                "possession": team(a.team).nba_id if a.team else 0,
                "scoreHome": str(a.score_home),
                "scoreAway": str(a.score_away),
                "edited": when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "orderNumber": n * 10000,
                "isTargetScoreLastPeriod": False,
                "xLegacy": None,
                "yLegacy": None,
                "isFieldGoal": 1 if shot else 0,
                "side": None,
                "description": description,
                "personIdsFilter": [a.player.person_id] if a.player else [],
            }
        )
        if shot:
            item["shotResult"] = "Made" if a.made else "Missed"
            item["shotDistance"] = float(a.distance)
        if a.kind == "freethrow":
            item["shotResult"] = "Made" if a.made else "Missed"
        if a.player is not None:
            item["playerName"] = a.player.last
            item["playerNameI"] = a.player.name_i
        actions.append(item)
    doc = {
        "meta": {
            "version": 1,
            "code": 200,
            "request": f"http://nba.cloud/games/{gd.game.game_id}/playbyplay?Format=json",
            "time": _real_time(gd, gd.actions[-1]).astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        },
        "game": {"gameId": gd.game.game_id, "actions": actions},
    }
    return dumps(doc)


def _expand_subs(actions: list[Action]) -> list[Action]:
    """NBA.com writes a substitution as two actions: "SUB out" for the leaving player, then "SUB in"."""
    out: list[Action] = []
    for a in actions:
        if a.kind == "sub" and a.other is not None:
            leaving = Action(**{**a.__dict__, "kind": "sub_out", "player": a.other, "other": a.player})
            out.append(leaving)
        out.append(a)
    return out


# ---------------------------------------------------------------------------------------------------------
# official.nba.com referee assignments

_GAME_COLUMNS = [
    ("game_id", "String"), ("game_date", "String"), ("season", "String"), ("game_code", "String"),
    ("home_team_id", "Int32"), ("home_team", "String"), ("home_team_abbr", "String"), ("away_team_id", "Int32"),
    ("away_team", "String"), ("away_team_abbr", "String"),
    *[(f"official{i}{suffix}", kind) for i in range(1, 5) for suffix, kind in
      (("", "String"), ("_code", "Int32"), ("_JNum", "String"))],
]  # fmt: skip
_REPLAY_COLUMNS = [("game_date", "String"), ("official_code", "Int32"), ("replaycenter_official", "String")]


def _columns(cols: list[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"Name": n, "DataType": t} for n, t in cols]


def _assignment(game_id: str, day: date, season: str, code: str, home: tuple, away: tuple, crew: list) -> dict:
    row: dict[str, Any] = {
        "game_id": game_id,
        "game_date": day.strftime("%m/%d/%Y"),
        "season": season,
        "game_code": code,
        "home_team_id": home[0],
        "home_team": home[1],
        "home_team_abbr": home[2],
        "away_team_id": away[0],
        "away_team": away[1],
        "away_team_abbr": away[2],
    }
    for i in range(1, 5):
        o = crew[i - 1] if i <= len(crew) else None
        row[f"official{i}"] = o.name if o else None
        row[f"official{i}_code"] = o.person_id if o else None
        row[f"official{i}_JNum"] = o.jersey if o else None
    return row


def referee_assignments(world: World) -> bytes:
    """get-game-officials?date=D: the NBA crews of the date (3 officials, no alternate), the replay center,
    a few G League games, and an empty WNBA section (January)."""
    d = world.date
    season = f"2{world.season_start}"
    rows = []
    for gd in world.game_days:
        h, a = team(gd.home), team(gd.away)
        rows.append(
            _assignment(
                gd.game.game_id,
                d,
                season,
                gd.game.game_code,
                (h.nba_id, h.city, h.tricode),
                (a.nba_id, a.city, a.tricode),
                list(gd.officials),
            )
        )
    assigned = {o.person_id for gd in world.game_days for o in gd.officials}
    spare = [o for o in world.officials if o.person_id not in assigned]
    replay = [
        {"game_date": d.strftime("%m/%d/%Y"), "official_code": o.person_id, "replaycenter_official": o.name}
        for o in spare[:3]
    ]
    r = rng_for("g-league", d)
    gl_teams = r.sample(names.G_LEAGUE, 6)
    gl_rows = []
    for k in range(3):
        (hc, ha), (ac, aa) = gl_teams[2 * k + 1], gl_teams[2 * k]
        hid, aid = 1612709900 + names.G_LEAGUE.index((hc, ha)), 1612709900 + names.G_LEAGUE.index((ac, aa))
        gl_rows.append(
            _assignment(
                f"202{world.season_start % 100:02d}{r.randint(100, 400):05d}",
                d,
                season,
                f"{d:%Y%m%d}/{aa}{ha}",
                (hid, hc, ha),
                (aid, ac, aa),
                spare[3 + 3 * k : 6 + 3 * k],
            )
        )

    def section(game_rows: list, replay_rows: list) -> dict:
        return {
            "Table": {"rows": game_rows, "columns": _columns(_GAME_COLUMNS)},
            "Table1": {"rows": replay_rows, "columns": _columns(_REPLAY_COLUMNS)},
        }

    return dumps({"nba": section(rows, replay), "gl": section(gl_rows, []), "wnba": section([], [])})
