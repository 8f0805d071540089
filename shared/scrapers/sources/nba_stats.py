"""stats.nba.com scrapers (browser-like headers: x-nba-stats-origin/token, Origin/Referer nba.com)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.parsers import nbacom_cdn, nbacom_stats
from shared.parsers._common import check_day
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, Parsed, Scraper, load_json
from shared.scrapers.sources._nba_schedule import ScheduleScraper, with_season


class NbacScheduleApi(ScheduleScraper):
    """scheduleleaguev2int?Season=YYYY-YY: the whole season's schedule; season "2024" is read as 2024-25."""


# ---------------------------------------------------------------------------------------------------------
# playerindex, boxscoretraditionalv3, scoreboardV2/v3, player movement (parsers: shared.parsers.nbacom_stats
# / nbacom_cdn). stats.nba.com answers "no games" with empty rowSets or lists, which is no_data; a 4xx is a
# failed run (a wrong parameter or a blocked client, never "not yet").

STATS_SOURCE = "stats.nba.com"
SCOREBOARD_OF = "the answer is the scoreboard of"


class NbacPlayerList(Scraper):
    """playerindex?Season=YYYY-YY&Historical=0: every player of the season with team and roster status."""

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        return with_season(params)

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_stats.parse_player_list(load_json(fetched, STATS_SOURCE), season=ctx.params.get("season"))
        return Parsed(out["summary"]["player_count"], out["summary"], out["records"])


def _boxscore(fetched: Fetched, ctx: Context) -> dict[str, Any]:
    """The box score of the requested game: a boxscoretraditionalv3 answer (what the catalogue asks for), or a
    v2 one (`resultSets`), which is what the same path held before the move to v3: v2 answers nothing for
    2025-26 games, but a stored v2 answer of an earlier season must still parse when it is read again.
    Both give the same summary keys. ParseError when the answer is another game's."""
    data = load_json(fetched, STATS_SOURCE)
    if isinstance(data, dict) and "resultSets" in data:
        out = nbacom_stats.parse_boxscore_traditional(data)
    else:
        out = nbacom_stats.parse_boxscore_traditional_v3(data)
    game_id = ctx.params["game_id"]
    got = out["summary"].get("game_id")
    if got and got != game_id:
        raise ParseError(f"asked for game {game_id}, the answer is game {got}", source=STATS_SOURCE)
    return out


class NbacTeamBoxscore(Scraper):
    """boxscoretraditionalv3?GameID=: both teams' lines (the records) plus every player line (summary counts).

    A box score in which nobody has played yet (before tip-off: no minutes) counts 0 records: no_data.
    """

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = _boxscore(fetched, ctx)
        summary = out["summary"]
        return Parsed(len(out["teams"]) if summary["players_played"] else 0, summary, out["teams"])


class NbacPlayerBoxscore(Scraper):
    """boxscoretraditionalv3?GameID=, per game: one record per player listed (who played, and who did not
    with the comment "DNP - Coach's Decision"); the same answer as nbac_team_boxscore, kept as the players'
    file. Nobody has played yet: no_data."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = _boxscore(fetched, ctx)
        summary = out["summary"]
        return Parsed(len(out["records"]) if summary["players_played"] else 0, summary, out["records"])


class NbacScoreboardV2(Scraper):
    """scoreboardV2?GameDate=: the day's games; a GameHeader row the API repeats is counted once (by GAME_ID,
    `duplicate_rows` in the summary), the stored answer keeps it as sent. The echoed GameDate may be
    written 02/22/2026 for a request of 2026-02-22: the check compares days (`iso_day`)."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_stats.parse_scoreboard_v2(load_json(fetched, STATS_SOURCE), game_date=ctx.params["date"])
        summary = out["summary"]
        check_day(ctx.params["date"], summary.get("game_date"), source=STATS_SOURCE, what=SCOREBOARD_OF)
        return Parsed(summary["game_count"], summary, out["records"])


class NbacScoreboardV3(Scraper):
    """scoreboardv3?GameDate=&LeagueID=00: the day's games with status, tip-off, scores and periods; the
    answer's `scoreboard.gameDate` must be the requested day. A day without games is no_data."""

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_stats.parse_scoreboard_v3(load_json(fetched, STATS_SOURCE))
        summary = out["summary"]
        check_day(ctx.params["date"], summary.get("game_date"), source=STATS_SOURCE, what=SCOREBOARD_OF)
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
    "nbac_scoreboard_v3": NbacScoreboardV3,
    "nbac_player_movement": NbacPlayerMovement,
}
