"""ESPN: site API scoreboard and team roster (JSON), and the www.espn.com box score page (HTML).

ESPN answers an unknown id with a small JSON error document (`{"code": 404, "message": ...}`), sometimes
with HTTP 200: the parsers raise UpstreamError for it, recorded as `failed` / `upstream_error` (an HTTP
404 is `failed` / `http_404`). Parameters use NBA tricodes for `team_abbr` (ESPN's GS, NY, NO, SA, UTAH,
WSH are accepted and mapped); `team_id` and `game_id` are ESPN's own ids.
"""

from __future__ import annotations

from datetime import datetime

from shared.nba.teams import TEAMS, espn_team_id
from shared.parsers import espn
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, HtmlPage, Parsed, Scraper, load_json
from shared.scrapers.errors import InvalidRequest


class EspnScoreboard(Scraper):
    """site.api .../nba/scoreboard?dates=YYYYMMDD: the day's events (an off day answers `events: []`: no_data)."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = espn.parse_scoreboard(load_json(fetched, "espn scoreboard"), date=ctx.params["date"])
        return Parsed(out["summary"]["event_count"], out["summary"], out["records"])


class EspnGameBoxscore(HtmlPage):
    """www.espn.com/nba/boxscore/_/gameId/{game_id} (ESPN event id): every player line of one game, read from
    the page's embedded `__espnfitt__` state. The page is stored whole in the HtmlPage envelope."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        source = "espn boxscore page"
        out = espn.parse_game_boxscore_html(self.page(fetched, source), event_id=ctx.params["game_id"])
        summary = out["summary"]
        if summary.get("event_id") and summary["event_id"] != ctx.params["game_id"]:
            raise ParseError(
                f"asked for game {ctx.params['game_id']}, the page is game {summary['event_id']}", source=source
            )
        return Parsed(summary["player_count"], summary, out["records"])


class EspnRoster(Scraper):
    """site.api .../nba/teams/{team_id}?enable=roster: one team's athletes with their injury status."""

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        abbr = espn.nba_tricode(params["team_abbr"]) or ""
        if abbr not in TEAMS:
            raise InvalidRequest("invalid_parameter", f"team_abbr {params['team_abbr']!r} is not an NBA team")
        team_id = str(espn_team_id(abbr))
        if params.get("team_id") and params["team_id"] != team_id:
            raise InvalidRequest("invalid_parameter", f"team_id {params['team_id']} is not {abbr} (ESPN id {team_id})")
        return {**params, "team_abbr": abbr, "team_id": team_id}

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        source = "espn team roster"
        out = espn.parse_team_roster(load_json(fetched, source))
        summary = out["summary"]
        if summary.get("team_id") and summary["team_id"] != ctx.params["team_id"]:
            raise ParseError(
                f"asked for team {ctx.params['team_id']}, the answer is team {summary['team_id']}", source=source
            )
        return Parsed(summary["player_count"], summary, out["records"])


SCRAPERS: dict[str, type[Scraper]] = {
    "espn_scoreboard": EspnScoreboard,
    "espn_game_boxscore": EspnGameBoxscore,
    "espn_roster": EspnRoster,
}
