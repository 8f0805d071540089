"""BettingPros API v3 (key in the `X-Api-Key` header, from BETTINGPROS_API_KEY; never in the code).

- bp_events: /v3/events?sport=NBA&date= . A success with events releases one bp_player_props request per
  market (points, rebounds, assists, threes, steals, blocks) for that date.
- bp_player_props: /v3/offers?sport=NBA&market_id=&event_id=id1:id2:... (BettingPros joins several events
  with ':'), page by page (`_pagination.total_pages`) with the source's polite delay between pages
  (`page_delay_seconds` of the catalogue), every page kept byte for byte in one combined document. The
  path has one file per market and date, so a request covers every event of the day: it looks the day's
  events up first (/v3/events, one small call), unless it names one `event_id`. A day without events is
  an empty answer (no offers call, nothing stored).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from shared.contracts import ScraperRequest
from shared.parsers import bettingpros
from shared.parsers._common import check_day
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, PageNumberPaginated, Parsed, Scraper, load_json
from shared.scrapers.errors import InvalidRequest, ScraperFailure

EVENTS_URL = "https://api.bettingpros.com/v3/events"
MARKET_IDS: dict[str, int] = {
    "points": 156,
    "rebounds": 157,
    "assists": 151,
    "threes": 162,
    "steals": 160,
    "blocks": 152,
}
PAGE_LIMIT = "10"  # offers per page: the largest page the API serves


class BpEvents(Scraper):
    props_scraper: ClassVar[str] = "bp_player_props"

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = bettingpros.parse_events(load_json(fetched, "bettingpros events"), date=ctx.params["date"])
        summary = out["summary"]
        check_day(ctx.params["date"], summary.get("date"), source="bettingpros events", what="the answer is")
        return Parsed(summary["event_count"], summary, out["records"])

    def follow_ups(self, parsed: Parsed, ctx: Context) -> list[ScraperRequest]:
        day = ctx.params["date"]
        return [self.follow_up(ctx, self.props_scraper, {"date": day, "market": market}) for market in MARKET_IDS]


class BpPlayerProps(PageNumberPaginated):
    """One market's player props for the day's events (one file per market and date)."""

    _event_ids: str = ""  # the ids this run asks for (set by fetch: from the request, else looked up)

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        market = params["market"]
        if market not in MARKET_IDS:
            raise InvalidRequest("invalid_parameter", f"market {market!r}: expected one of {', '.join(MARKET_IDS)}")
        return {**params, "market_id": str(MARKET_IDS[market])}

    def query(self, ctx: Context) -> dict[str, str]:
        return {"event_id": self._event_ids, "book_id": "null", "limit": PAGE_LIMIT}

    def fetch(self, http: Any, ctx: Context) -> Fetched:
        ids = ctx.params.get("event_id") or self._day_event_ids(http, ctx)
        if not ids:
            return Fetched(body=None, status=204, url=EVENTS_URL)
        self._event_ids = ids
        return super().fetch(http, ctx)

    def _day_event_ids(self, http: Any, ctx: Context) -> str:
        resp = http.get(EVENTS_URL, source=self.source, params={"sport": "NBA", "date": ctx.params["date"]})
        try:
            out = bettingpros.parse_events(resp.body)
        except ParseError as exc:
            raise ScraperFailure("parse_error", f"looking up the day's events: {exc}") from None
        http.pause(self.source.page_delay_seconds)
        return ":".join(str(r["event_id"]) for r in out["records"])

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = bettingpros.parse_offers(self.pages(fetched))
        summary = {**out["summary"], "market": ctx.params["market"], "market_id": int(ctx.params["market_id"])}
        if not summary["complete"]:
            raise ParseError(
                f"pages {summary['missing_pages']} of {summary['total_pages']} missing", source="bettingpros"
            )
        return Parsed(summary["line_count"], summary, out["records"])


SCRAPERS: dict[str, type[Scraper]] = {
    "bp_events": BpEvents,
    "bp_player_props": BpPlayerProps,
}
