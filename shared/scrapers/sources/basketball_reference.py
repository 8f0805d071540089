"""Basketball-Reference team season pages (www.basketball-reference.com/teams/{TEAM}/{YEAR}.html).

One request per team; the host allows about 20 requests a minute, so the catalogue source has
`min_interval_seconds: 3.0`, which the HTTP layer enforces between any two calls of every instance together
(a shared time slot per call, docs/limits.md; scaled by NBA_ORCH_HTTP_BACKOFF_SCALE, which is how tests
avoid the real wait). A 429 is retried with its Retry-After like any other source, and slows every
instance down. The page is stored whole in the HtmlPage envelope; bs4 is imported by
the parser only when a page is parsed.

The output path has no {timestamp} (`basketball-ref/season-rosters/{season}/{teamAbbr}.json`, the path of
the system we replace): it names the latest roster of that team and season, so each run replaces the file.
"""

from __future__ import annotations

from datetime import datetime

from shared.nba.teams import TEAMS, br_code
from shared.parsers import basketball_reference
from shared.scrapers.base import Context, Fetched, HtmlPage, Parsed, Scraper
from shared.scrapers.errors import InvalidRequest
from shared.scrapers.sources._nba_schedule import normalize_season

BR_CODES = frozenset(code for _, _, code in TEAMS.values())


def season_of_year(year: str) -> str:
    """Basketball-Reference names a season by the year it ends: 2025 -> "2024-25"."""
    end = int(year)
    return f"{end - 1}-{end % 100:02d}"


class BrSeasonRoster(HtmlPage):
    """teams/{teamAbbr}/{year}.html: the season's roster table (one record per player)."""

    replaces_outputs = True

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        code = params["teamAbbr"]
        if code not in BR_CODES:
            if code not in TEAMS:
                raise InvalidRequest("invalid_parameter", f"teamAbbr {code!r} is not a Basketball-Reference team code")
            code = br_code(code)  # an NBA tricode (PHX, BKN, CHA): the site's own code (PHO, BRK, CHO)
        season = season_of_year(params["year"])
        if params.get("season") and normalize_season(params["season"]) != season:
            raise InvalidRequest(
                "invalid_parameter",
                f"season {params['season']} is not the season ending in {params['year']} ({season})",
            )
        return {**params, "teamAbbr": code, "season": season}

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        html = self.page(fetched, basketball_reference.SOURCE)
        out = basketball_reference.parse_season_roster(html, ctx.params["teamAbbr"], season=int(ctx.params["year"]))
        summary = {**out["summary"], "season_label": ctx.params["season"]}
        return Parsed(summary["player_count"], summary, out["records"])


SCRAPERS: dict[str, type[Scraper]] = {
    "br_season_roster": BrSeasonRoster,
}
