"""balldontlie v1 scrapers (key in the `Authorization` header; cursor pagination with per_page=100).

Parsing is `shared.parsers.balldontlie`; paginated answers are stored as one combined document that keeps
every page byte for byte (`{"page_count", "pages": [...]}`), single-page endpoints as returned.
"""

from __future__ import annotations

from typing import Any

from shared.parsers import balldontlie as bdl
from shared.scrapers.base import Context, CursorPaginated, Fetched, Parsed, Scraper, load_json


def _parsed(out: dict[str, Any], count_key: str) -> Parsed:
    return Parsed(int(out["summary"][count_key]), out["summary"], out["records"])


class BdlBoxScores(Scraper):
    """/box_scores?date= : every game of the day with both teams' player lines (one page)."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        return _parsed(bdl.summarize_box_scores(load_json(fetched, bdl.SOURCE)), "game_count")


class BdlStandings(Scraper):
    """/standings?season= : one row per team (one page)."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        return _parsed(bdl.parse_standings(load_json(fetched, bdl.SOURCE)), "team_count")


class BdlGames(CursorPaginated):
    """/games?dates[]= : the day's games with balldontlie game ids."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        return _parsed(bdl.parse_games(self.pages(fetched)), "game_count")


class BdlActivePlayers(CursorPaginated):
    """/players/active : every active player (several pages)."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        return _parsed(bdl.parse_active_players(self.pages(fetched)), "player_count")


class BdlInjuries(CursorPaginated):
    """/player_injuries : current injuries (an empty list is a valid answer: treat_no_data_as_success)."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        return _parsed(bdl.parse_injuries(self.pages(fetched)), "injury_count")


class BdlPlayerBoxScores(CursorPaginated):
    """/stats?dates[]= (optionally one game: game_ids[]=) : one row per player and game."""

    def query(self, ctx: Context) -> dict[str, str]:
        return {"game_ids[]": ctx.params["game_id"]} if ctx.params.get("game_id") else {}

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        return _parsed(bdl.parse_stats(self.pages(fetched)), "row_count")


SCRAPERS: dict[str, type[Scraper]] = {
    "bdl_box_scores": BdlBoxScores,
    "bdl_games": BdlGames,
    "bdl_active_players": BdlActivePlayers,
    "bdl_injuries": BdlInjuries,
    "bdl_standings": BdlStandings,
    "bdl_player_box_scores": BdlPlayerBoxScores,
}
