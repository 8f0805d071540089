"""balldontlie v1 documents of the sample day (shapes of ../shared/fixtures/upstream/balldontlie).

balldontlie has its own player ids and team ids (1..30), prints minutes as two-digit strings ("28", "00" for
players who did not play) and lists every rostered player in /box_scores, including the inactive ones.
"""

from __future__ import annotations

from typing import Any

from shared.nba.teams import TEAMS
from tooling.sample_day.nba import dumps
from tooling.sample_day.teams import team
from tooling.sample_day.world import GameDay, Line, Player, World

PER_PAGE = 100


def team_object(tri: str) -> dict[str, Any]:
    info = team(tri)
    return {
        "id": info.bdl_id,
        "conference": info.conference,
        "division": info.division,
        "city": info.city,
        "name": info.nickname,
        "full_name": info.full_name,
        "abbreviation": tri,
    }


def player_object(p: Player) -> dict[str, Any]:
    return {
        "id": p.bdl_id,
        "first_name": p.first,
        "last_name": p.last,
        "position": p.position,
        "height": p.height,
        "weight": str(p.weight),
        "jersey_number": p.jersey,
        "college": p.college,
        "country": p.country,
        "draft_year": p.draft_year,
        "draft_round": p.draft_round,
        "draft_number": p.draft_number,
    }


def _pct(made: int, att: int) -> float:
    return round(made / att, 7) if att else 0


def _line(ln: Line, skew: float = 1.0) -> dict[str, Any]:
    """One player's line; `skew` scales minutes and points (a simulated faulty source, `--source-skew`)."""
    return {
        "min": f"{round(ln.seconds * skew) // 60:02d}",
        "fgm": ln.fgm,
        "fga": ln.fga,
        "fg_pct": _pct(ln.fgm, ln.fga),
        "fg3m": ln.fg3m,
        "fg3a": ln.fg3a,
        "fg3_pct": _pct(ln.fg3m, ln.fg3a),
        "ftm": ln.ftm,
        "fta": ln.fta,
        "ft_pct": _pct(ln.ftm, ln.fta),
        "oreb": ln.oreb,
        "dreb": ln.dreb,
        "reb": ln.reb,
        "ast": ln.ast,
        "stl": ln.stl,
        "blk": ln.blk,
        "turnover": ln.tov,
        "pf": ln.pf,
        "pts": round(ln.pts * skew),
        "player": player_object(ln.player),
    }


def _box_team(gd: GameDay, tri: str, skew: float) -> dict[str, Any]:
    lines = list(gd.lines[tri]) + [Line(player=i.player) for i in gd.inactive[tri]]
    lines.sort(key=lambda ln: (not ln.played, not ln.starter, ln.player.last))
    return {**team_object(tri), "players": [_line(ln, skew) for ln in lines]}


def box_scores(world: World, skew: float = 1.0) -> bytes:
    """/box_scores?date=D: every game of the date, final, with both teams' player lines (one page, no meta).
    `skew` scales every player's minutes and points (the team scores stay true, as in the real incident)."""
    data = []
    for gd in world.game_days:
        data.append(
            {
                "date": world.date.isoformat(),
                "season": world.season_start,
                "status": "Final",
                "period": 4,
                "time": "Final",
                "postseason": False,
                "home_team_score": gd.home_score,
                "visitor_team_score": gd.away_score,
                "home_team": _box_team(gd, gd.home, skew),
                "visitor_team": _box_team(gd, gd.away, skew),
            }
        )
    return dumps({"data": data})


def active_players_pages(world: World) -> list[tuple[str | None, bytes]]:
    """/players/active?per_page=100, page by page: [(cursor that asks for the page, body)], ordered by id;
    `meta.next_cursor` is the last id of the page, absent on the last page (balldontlie's convention)."""
    players = sorted(world.players, key=lambda p: p.bdl_id)
    pages: list[tuple[str | None, bytes]] = []
    cursor: str | None = None
    for start in range(0, len(players), PER_PAGE):
        chunk = players[start : start + PER_PAGE]
        last = start + PER_PAGE >= len(players)
        meta: dict[str, Any] = {"per_page": PER_PAGE}
        if not last:
            meta = {"next_cursor": chunk[-1].bdl_id, "per_page": PER_PAGE}
        body = dumps({"data": [{**player_object(p), "team": team_object(p.team)} for p in chunk], "meta": meta})
        pages.append((cursor, body))
        cursor = str(chunk[-1].bdl_id)
    return pages


def standings(world: World) -> bytes:
    """/standings?season=YYYY: one row per team, ranks by winning percentage (ties: fewer losses)."""

    def pct(tri: str) -> tuple[float, int]:
        rec = world.records[tri]
        played = rec.wins + rec.losses
        return (rec.wins / played if played else 0.0, -rec.losses)

    conf_rank: dict[str, int] = {}
    div_rank: dict[str, int] = {}
    for key, ranks in (("conference", conf_rank), ("division", div_rank)):
        groups: dict[str, list[str]] = {}
        for tri in TEAMS:
            groups.setdefault(getattr(team(tri), key), []).append(tri)
        for members in groups.values():
            for k, tri in enumerate(sorted(members, key=lambda t: (pct(t), t), reverse=True), start=1):
                ranks[tri] = k
    rows = []
    for tri in sorted(TEAMS, key=lambda t: (team(t).conference, conf_rank[t])):
        rec = world.records[tri]
        rows.append(
            {
                "team": team_object(tri),
                "conference_record": f"{rec.conf_wins}-{rec.conf_losses}",
                "conference_rank": conf_rank[tri],
                "division_record": f"{rec.div_wins}-{rec.div_losses}",
                "division_rank": div_rank[tri],
                "wins": rec.wins,
                "losses": rec.losses,
                "home_record": f"{rec.home_wins}-{rec.home_losses}",
                "road_record": f"{rec.wins - rec.home_wins}-{rec.losses - rec.home_losses}",
                "season": world.season_start,
            }
        )
    return dumps({"data": rows})
