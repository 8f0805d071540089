"""cdn.nba.com scrapers (User-Agent plus Origin/Referer https://www.nba.com)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from shared.parsers import nbacom_cdn
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, Parsed, Scraper, load_json
from shared.scrapers.errors import InvalidRequest
from shared.scrapers.sources._nba_schedule import ScheduleScraper


class NbacScheduleCdn(ScheduleScraper):
    """staticData/scheduleLeagueV2_1.json: the CURRENT season only, so the {season} of its path is the
    season the document says it holds (a `season` parameter that differs is noted in the summary)."""

    def path_values(self, parsed: Parsed, ctx: Context) -> dict[str, str]:
        season = parsed.summary.get("season")
        return {"season": season} if season else {}

    def parse(self, fetched, ctx):  # type: ignore[no-untyped-def]
        parsed = super().parse(fetched, ctx)
        asked = ctx.params.get("season")
        if asked and asked != parsed.summary.get("season"):
            parsed.summary["requested_season"] = asked
        return parsed


class NbacPlayByPlay(Scraper):
    """liveData/playbyplay/playbyplay_{game_id}.json: every action of one game.

    The CDN answers 403 (AccessDenied) or 404 until the game's file exists (before tip-off): no_data, so
    the post-game windows see "not there yet" rather than a failure.
    """

    no_data_statuses: ClassVar[tuple[int, ...]] = (403, 404)

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        return agree_gamedate(params)

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nbacom_cdn.parse_play_by_play(load_json(fetched, "cdn.nba.com playbyplay"))
        summary = out["summary"]
        if summary["game_id"] != ctx.params["game_id"]:
            raise ParseError(
                f"asked for game {ctx.params['game_id']}, the answer is game {summary['game_id']}",
                source="cdn.nba.com playbyplay",
            )
        return Parsed(summary["action_count"], summary, out["records"])


class NbacCdnBoxscore(Scraper):
    """liveData/boxscore/boxscore_{game_id}.json: the box score that does not depend on stats.nba.com.

    Records: every player listed (both teams) with his statistics, starters, who played, and the players
    listed as not playing with the reason and its description (INACTIVE_INJURY "Back; Nerve Impingement").
    The summary has the final status, each team's periods (OVERTIME ones included, `overtime_periods`)
    and `not_playing`. Only a final answer (gameStatus 3) is a success: before tip-off (1) or while the game
    is played (2) the document exists with zero or running statistics, which is no_data ("not final yet"),
    so a post-game window fetches it again. 403/404 (no document yet): no_data, as for play-by-play.
    """

    no_data_statuses: ClassVar[tuple[int, ...]] = (403, 404)

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        source = "cdn.nba.com boxscore"
        out = nbacom_cdn.parse_boxscore_live(load_json(fetched, source))
        summary = out["summary"]
        if summary["game_id"] != ctx.params["game_id"]:
            raise ParseError(
                f"asked for game {ctx.params['game_id']}, the answer is game {summary['game_id']}", source=source
            )
        if not summary["final"]:
            state = "before tip-off" if summary["game_status"] == 1 else "in play"
            note = f"not final yet: game status {summary['game_status']} ({summary['game_status_text']}, {state})"
            return Parsed(0, {**summary, "not_final": note}, out["records"])
        return Parsed(len(out["records"]), summary, out["records"])


def agree_gamedate(params: dict[str, str]) -> dict[str, str]:
    """An optional `gamedate` (YYYYMMDD, what the system we replace passed) must name the same day as `date`."""
    gamedate, day = params.get("gamedate"), params.get("date")
    if gamedate and day and gamedate != day.replace("-", ""):
        raise InvalidRequest("invalid_parameter", f"gamedate {gamedate} and date {day} name different days")
    return params


SCRAPERS: dict[str, type[Scraper]] = {
    "nbac_schedule_cdn": NbacScheduleCdn,
    "nbac_play_by_play": NbacPlayByPlay,
    "nbac_cdn_boxscore": NbacCdnBoxscore,
}
