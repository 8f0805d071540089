"""cdn.nba.com scrapers (User-Agent plus Origin/Referer https://www.nba.com)."""

from __future__ import annotations

from shared.scrapers.base import Context, Parsed, Scraper
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


SCRAPERS: dict[str, type[Scraper]] = {
    "nbac_schedule_cdn": NbacScheduleCdn,
}
