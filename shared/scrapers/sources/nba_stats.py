"""stats.nba.com scrapers (browser-like headers: x-nba-stats-origin/token, Origin/Referer nba.com)."""

from __future__ import annotations

from datetime import datetime

from shared.parsers import nbacom_cdn, nbacom_stats
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, Parsed, Scraper, load_json
from shared.scrapers.errors import InvalidRequest
from shared.scrapers.sources._nba_schedule import ScheduleScraper, normalize_season
from shared.timeutil import parse_date, season_of


class NbacScheduleApi(ScheduleScraper):
    """scheduleleaguev2int?Season=YYYY-YY: the whole season's schedule; season "2024" is read as 2024-25."""


# ---------------------------------------------------------------------------------------------------------
# playerindex, leaguegamelog, boxscoretraditionalv2, scoreboardV2, player movement (parsers:
# shared.parsers.nbacom_stats / nbacom_cdn). stats.nba.com answers "no games" with empty rowSets, which is
# no_data; a 4xx is a failed run (a wrong parameter or a blocked client, never "not yet").

STATS_SOURCE = "stats.nba.com"


def _season_of_date(day: str) -> str:
    return season_of(parse_date(day))[0]


def season_params(params: dict[str, str], *, date_key: str | None = None) -> dict[str, str]:
    """`season` as "YYYY-YY"; when the request also names a date, the season must be that date's season
    (stats.nba.com answers a date outside the season with an empty log, which would look like no games)."""
    out = dict(params)
    if out.get("season"):
        out["season"] = normalize_season(out["season"])
    day = out.get(date_key) if date_key else None
    if day:
        expected = _season_of_date(day)
        if out.get("season") and out["season"] != expected:
            raise InvalidRequest(
                "invalid_parameter", f"season {out['season']} does not contain {date_key} {day} (season {expected})"
            )
        out.setdefault("season", expected)
    return out


class NbacPlayerList(Scraper):
    """playerindex?Season=YYYY-YY&Historical=0: every player of the season with team and roster status."""

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        return season_params(params)

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_stats.parse_player_list(load_json(fetched, STATS_SOURCE), season=ctx.params.get("season"))
        return Parsed(out["summary"]["player_count"], out["summary"], out["records"])


class NbacPlayerBoxscore(Scraper):
    """leaguegamelog?PlayerOrTeam=P for ONE date (DateFrom = DateTo): one row per player and game.

    One request per date (the path has no game id). `game_id`, when given, narrows the record count and the
    summary to that game; the stored file is still the whole day's answer.
    """

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        return season_params(params, date_key="date")

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_stats.parse_league_game_log(load_json(fetched, STATS_SOURCE), player_or_team="P")
        summary, records = dict(out["summary"]), out["records"]
        if summary["player_or_team"] != "P":
            raise ParseError("expected player rows (PlayerOrTeam=P), got team rows", source=STATS_SOURCE)
        day = ctx.params["date"]
        other = sorted({str(r.get("game_date"))[:10] for r in records} - {day})
        if other:
            raise ParseError(f"asked for {day}, the answer holds games of {', '.join(other[:3])}", source=STATS_SOURCE)
        game_id = ctx.params.get("game_id")
        if game_id:
            records = [r for r in records if r.get("game_id") == game_id]
            summary["game_id"] = game_id
            summary["game_row_count"] = len(records)
        return Parsed(len(records), summary, records)


class NbacTeamBoxscore(Scraper):
    """boxscoretraditionalv2?GameID=: both teams' lines (the records) plus every player line (summary counts).

    Before tip-off stats.nba.com answers the same document with empty rowSets: no_data.
    """

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_stats.parse_boxscore_traditional(load_json(fetched, STATS_SOURCE))
        summary = dict(out["summary"])
        game_id = ctx.params["game_id"]
        if summary.get("game_id") and summary["game_id"] != game_id:
            raise ParseError(f"asked for game {game_id}, the answer is game {summary['game_id']}", source=STATS_SOURCE)
        return Parsed(len(out["teams"]), summary, out["teams"])


class NbacScoreboardV2(Scraper):
    """scoreboardV2?GameDate=: the day's games; a GameHeader row the API repeats is counted once (by GAME_ID,
    `duplicate_rows` in the summary), the stored answer keeps it as sent."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_stats.parse_scoreboard_v2(load_json(fetched, STATS_SOURCE), game_date=ctx.params["date"])
        summary = out["summary"]
        if summary.get("game_date") and str(summary["game_date"])[:10] != ctx.params["date"]:
            raise ParseError(
                f"asked for {ctx.params['date']}, the answer is the scoreboard of {summary['game_date']}",
                source=STATS_SOURCE,
            )
        return Parsed(summary["game_count"], summary, out["records"])


class NbacPlayerMovement(Scraper):
    """js/data/playermovement/NBA_Player_Movement.json: every transaction row (signings, waivers, trades) of
    about ten seasons, stored whole; the summary counts rows, transaction groups and types."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_cdn.parse_player_movement(load_json(fetched, "stats.nba.com player movement"))
        return Parsed(out["summary"]["transaction_count"], out["summary"], out["records"])


SCRAPERS: dict[str, type[Scraper]] = {
    "nbac_schedule_api": NbacScheduleApi,
    "nbac_player_list": NbacPlayerList,
    "nbac_player_boxscore": NbacPlayerBoxscore,
    "nbac_team_boxscore": NbacTeamBoxscore,
    "nbac_scoreboard_v2": NbacScoreboardV2,
    "nbac_player_movement": NbacPlayerMovement,
}
