"""official.nba.com referee assignments (wp-json/api/v1/get-game-officials?date=YYYY-MM-DD).

The answer has one section per league (nba, gl = G League, wnba); the stored file keeps all of them as
sent, while the records and the summary count NBA games only. Officials are published the morning of game
day, so a game whose officials are still null is a valid record (counted in `games_without_officials`).
"""

from __future__ import annotations

from shared.parsers import nba_officials
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, Parsed, Scraper, load_json


class NbacRefereeAssignments(Scraper):
    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        day = ctx.params["date"]
        out = nba_officials.parse_game_officials(load_json(fetched, nba_officials.SOURCE), game_date=day)
        other = sorted({r["game_date"] for r in out["records"] if r["game_date"] and r["game_date"] != day})
        if other:
            raise ParseError(
                f"asked for {day}, the answer lists NBA games of {', '.join(other)}", source=nba_officials.SOURCE
            )
        return Parsed(out["summary"]["game_count"], out["summary"], out["records"])


SCRAPERS: dict[str, type[Scraper]] = {
    "nbac_referee_assignments": NbacRefereeAssignments,
}
