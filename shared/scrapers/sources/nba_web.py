"""www.nba.com pages: the team roster page (Next.js; the data is the page's `__NEXT_DATA__` JSON).

The page is stored losslessly in the HtmlPage envelope at the catalogue's .json path; parsing is
`shared.parsers.nbacom_web` (a regex on one script tag: no HTML library, so this module is cheap to load).
"""

from __future__ import annotations

from datetime import datetime

from shared.nba.teams import TEAMS, nba_team_id
from shared.parsers import nbacom_web
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, HtmlPage, Parsed, Scraper
from shared.scrapers.errors import InvalidRequest

# NBA.com team slugs (the TEAM_SLUG column of stats.nba.com playerindex; the page URL is /team/{id}/{slug}/roster).
TEAM_SLUGS: dict[str, str] = {
    "ATL": "hawks",
    "BKN": "nets",
    "BOS": "celtics",
    "CHA": "hornets",
    "CHI": "bulls",
    "CLE": "cavaliers",
    "DAL": "mavericks",
    "DEN": "nuggets",
    "DET": "pistons",
    "GSW": "warriors",
    "HOU": "rockets",
    "IND": "pacers",
    "LAC": "clippers",
    "LAL": "lakers",
    "MEM": "grizzlies",
    "MIA": "heat",
    "MIL": "bucks",
    "MIN": "timberwolves",
    "NOP": "pelicans",
    "NYK": "knicks",
    "OKC": "thunder",
    "ORL": "magic",
    "PHI": "sixers",
    "PHX": "suns",
    "POR": "blazers",
    "SAC": "kings",
    "SAS": "spurs",
    "TOR": "raptors",
    "UTA": "jazz",
    "WAS": "wizards",
}


class NbacRoster(HtmlPage):
    """www.nba.com/team/{team_id}/{slug}/roster for one team (team_abbr = NBA tricode, team_id = NBA.com id;
    the two must name the same team, and the slug is derived from the tricode)."""

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        abbr = params["team_abbr"]
        if abbr not in TEAMS:
            raise InvalidRequest("invalid_parameter", f"team_abbr {abbr!r} is not an NBA tricode")
        team_id = str(nba_team_id(abbr))
        if params.get("team_id") and params["team_id"] != team_id:
            raise InvalidRequest(
                "invalid_parameter", f"team_id {params['team_id']} is not {abbr} (NBA.com id {team_id})"
            )
        return {**params, "team_id": team_id, "team_slug": params.get("team_slug") or TEAM_SLUGS[abbr]}

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_web.parse_team_roster_page(self.page(fetched, nbacom_web.SOURCE))
        summary = out["summary"]
        if summary.get("team_id") and str(summary["team_id"]) != ctx.params["team_id"]:
            raise ParseError(
                f"asked for team {ctx.params['team_id']}, the page is team {summary['team_id']}",
                source=nbacom_web.SOURCE,
            )
        return Parsed(summary["player_count"], summary, out["records"])


SCRAPERS: dict[str, type[Scraper]] = {
    "nbac_roster": NbacRoster,
}
