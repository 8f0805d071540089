"""stats.nba.com scrapers (browser-like headers: x-nba-stats-origin/token, Origin/Referer nba.com)."""

from __future__ import annotations

from shared.scrapers.base import Scraper
from shared.scrapers.sources._nba_schedule import ScheduleScraper


class NbacScheduleApi(ScheduleScraper):
    """scheduleleaguev2int?Season=YYYY-YY: the whole season's schedule; season "2024" is read as 2024-25."""


SCRAPERS: dict[str, type[Scraper]] = {
    "nbac_schedule_api": NbacScheduleApi,
}
