"""The Odds API v4 documents of the sample day (live endpoints, `oddsFormat=american`).

/events lists the date's games by full team names (the Clippers as "Los Angeles Clippers", the Odds API's
spelling); /events/{id}/odds answers either the player props (the markets of settings.yaml `odds:`:
points, rebounds, assists, threes, points+rebounds+assists: Over/Under per player, the player in
`description`) or the game lines (h2h, spreads, totals), from two bookmakers. Props are offered only for
players who are not listed Out or Doubtful, and lines sit near the players' season averages, so every source
tells the same story.

Moving lines: each event answers once per line snapshot the controller takes of its game (open, T-6h, T-3h,
T-90m, closing: `step` 0, 1, ...), each stamped with that snapshot's time and with its lines moved a little
from the previous one (the replay serves a route's answers in order, the last repeating).
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any

from tooling.sample_day.nba import dumps
from tooling.sample_day.teams import team
from tooling.sample_day.world import GameDay, Player, World, rng_for, utc_z

BOOKMAKERS = (("draftkings", "DraftKings"), ("fanduel", "FanDuel"))
PROP_MARKETS = ("player_points", "player_rebounds", "player_assists", "player_threes", "player_points_rebounds_assists")
LINE_MARKETS = ("h2h", "spreads", "totals")
PROPS_PER_TEAM = 7
# Credit headers: a paid plan with plenty left. Events cost nothing; an odds call costs markets x regions.
QUOTA_REMAINING = 19_000


def event_object(gd: GameDay) -> dict[str, Any]:
    return {
        "id": gd.event_id,
        "sport_key": "basketball_nba",
        "sport_title": "NBA",
        "commence_time": utc_z(gd.game.commence_utc),
        "home_team": team(gd.home).odds_api_name,
        "away_team": team(gd.away).odds_api_name,
    }


def events(world: World) -> bytes:
    """/v4/sports/basketball_nba/events?commenceTimeFrom&commenceTimeTo: the date's games, by tip-off."""
    return dumps([event_object(gd) for gd in sorted(world.game_days, key=lambda g: g.game.commence_utc)])


def _snapshot(gd: GameDay) -> datetime:
    """When the odds were last updated: 90 minutes before tip (the sample shows one pre-game state)."""
    return gd.game.commence_utc - timedelta(minutes=90)


def _price(r: Any) -> tuple[int, int]:
    """An Over/Under (or home/away) pair of American prices with a realistic margin."""
    return r.choice(((-110, -110), (-115, -105), (-105, -115), (-120, 100), (100, -120), (-112, -108)))


def prop_players(gd: GameDay) -> list[Player]:
    """The players with props: each team's top scorers among those expected to play."""
    out = []
    for tri in (gd.away, gd.home):
        unavailable = {i.player.person_id for i in gd.inactive[tri]}
        dressed = [ln.player for ln in gd.lines[tri] if ln.player.person_id not in unavailable]
        out += sorted(dressed, key=lambda p: -p.ppg)[:PROPS_PER_TEAM]
    return out


def _prop_line(p: Player, market: str) -> float:
    avg = {
        "player_points": p.ppg,
        "player_rebounds": p.rpg,
        "player_assists": p.apg,
        "player_threes": p.ppg / 8,
        "player_points_rebounds_assists": p.ppg + p.rpg + p.apg,
    }[market]
    return math.floor(avg) + 0.5


def drift(gd: GameDay, what: str, step: int) -> float:
    """How far a line has moved by snapshot `step` (0 = the opening line): a deterministic walk in half
    points, so consecutive snapshots differ and the closing line is where the walk ends."""
    r = rng_for("drift", gd.event_id, what)
    return sum(r.choice((-0.5, 0.0, 0.5, 0.5)) for _ in range(step))


def _odds_doc(gd: GameDay, per_book: Any, at: datetime | None = None) -> bytes:
    stamp = utc_z(at or _snapshot(gd))
    books = []
    for key, title in BOOKMAKERS:
        books.append({"key": key, "title": title, "last_update": stamp, "markets": per_book(key, stamp)})
    return dumps({**event_object(gd), "bookmakers": books})


def player_props(gd: GameDay, at: datetime | None = None, step: int = 0) -> bytes:
    """/events/{id}/odds?markets=<the prop markets>&regions=us&oddsFormat=american, at snapshot `step`"""
    players = prop_players(gd)

    def per_book(book: str, stamp: str) -> list[dict[str, Any]]:
        r = rng_for("props", gd.event_id, book)
        markets = []
        for market in PROP_MARKETS:
            outcomes = []
            for p in players:
                over, under = _price(r)
                line = _prop_line(p, market) + (1.0 if book == "fanduel" and r.random() < 0.2 else 0.0)
                line = max(0.5, line + drift(gd, f"{market}:{p.person_id}", step))
                outcomes.append({"name": "Over", "description": p.name, "price": over, "point": line})
                outcomes.append({"name": "Under", "description": p.name, "price": under, "point": line})
            markets.append({"key": market, "last_update": stamp, "outcomes": outcomes})
        return markets

    return _odds_doc(gd, per_book, at)


def game_lines(gd: GameDay, at: datetime | None = None, step: int = 0) -> bytes:
    """/events/{id}/odds?markets=h2h,spreads,totals&regions=us&oddsFormat=american, at snapshot `step`"""
    home, away = team(gd.home).odds_api_name, team(gd.away).odds_api_name

    def per_book(book: str, stamp: str) -> list[dict[str, Any]]:
        r = rng_for("lines", gd.event_id, book)
        shade = 0.5 if book == "fanduel" and r.random() < 0.5 else 0.0
        h_price, a_price = _price(r)
        over, under = _price(r)
        spread = gd.home_spread - shade + drift(gd, "spread", step)
        total = gd.total_line + shade + drift(gd, "total", step)
        fav, dog = (-150, 130) if spread < 0 else (130, -150)
        return [
            {
                "key": "h2h",
                "last_update": stamp,
                "outcomes": [{"name": away, "price": dog}, {"name": home, "price": fav}],
            },
            {
                "key": "spreads",
                "last_update": stamp,
                "outcomes": [
                    {"name": away, "price": a_price, "point": -spread},
                    {"name": home, "price": h_price, "point": spread},
                ],
            },
            {
                "key": "totals",
                "last_update": stamp,
                "outcomes": [
                    {"name": "Over", "price": over, "point": total},
                    {"name": "Under", "price": under, "point": total},
                ],
            },
        ]

    return _odds_doc(gd, per_book, at)


def quota_headers(cost: int, used_before: int = 1_000) -> dict[str, str]:
    """x-requests-* headers: a fixed, generous state (the replay cannot count calls per day)."""
    return {
        "x-requests-remaining": str(QUOTA_REMAINING),
        "x-requests-used": str(used_before),
        "x-requests-last": str(cost),
    }
