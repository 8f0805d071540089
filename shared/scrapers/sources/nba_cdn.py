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


def agree_gamedate(params: dict[str, str]) -> dict[str, str]:
    """An optional `gamedate` (YYYYMMDD, what the system we replace passed) must name the same day as `date`."""
    gamedate, day = params.get("gamedate"), params.get("date")
    if gamedate and day and gamedate != day.replace("-", ""):
        raise InvalidRequest("invalid_parameter", f"gamedate {gamedate} and date {day} name different days")
    return params


SCRAPERS: dict[str, type[Scraper]] = {
    "nbac_schedule_cdn": NbacScheduleCdn,
    "nbac_play_by_play": NbacPlayByPlay,
}
