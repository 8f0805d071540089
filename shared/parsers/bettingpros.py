"""BettingPros API parsers: v3/events and paginated v3/offers (player props).

v3/offers is paginated (``_pagination.total_pages``); the scraper fetches every page and passes the
list here. Offers are flattened to one record per offer x selection (over/under) x book x line, the
shape needed to compare books. Missing pages are reported in the summary (``complete`` False) rather
than raised, because a partial page set is still useful but must not be mistaken for the full market.
"""

from __future__ import annotations

from typing import Any

from shared.parsers._common import clean_str, expect_dict, load_json, require, result, to_float, to_int
from shared.parsers.errors import ParseError

# More pages than any real answer has (the scraper stops at 200): a bigger declared count is garbage.
MAX_TOTAL_PAGES = 1000
SOURCE = "bettingpros"
MARKETS = {156: "points", 157: "rebounds", 151: "assists", 162: "threes", 160: "steals", 152: "blocks"}
BOOKS = {0: "BettingPros Consensus", 10: "FanDuel", 12: "DraftKings", 19: "BetMGM"}


def _utc(value: Any) -> str | None:
    """``"2021-10-21 23:30:00"`` (UTC per the API) -> ``"2021-10-21T23:30:00Z"``."""
    text = clean_str(value)
    if not text:
        return None
    return text.replace(" ", "T") + ("" if text.endswith("Z") else "Z")


def parse_events(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """v3/events?sport=NBA&date= -> one record per event (ids are needed to query offers)."""
    source = f"{SOURCE} events"
    data = expect_dict(load_json(payload, source=source), source=source)
    events = require(data, "events", list, source=source, where="payload")
    records = []
    for index, event in enumerate(events):
        event = expect_dict(event, source=source, what=f"events[{index}]")
        if event.get("id") is None or not event.get("home") or not event.get("visitor"):
            raise ParseError(f"events[{index}] lacks id/home/visitor", source=source)
        venue = event.get("venue") or {}
        records.append(
            {
                "event_id": to_int(event["id"]),
                "sport": event.get("sport"),
                "scheduled_utc": _utc(event.get("scheduled")),
                "season": event.get("season"),
                "season_type": event.get("season_type"),
                "status": event.get("status"),
                "home_team": event["home"],
                "away_team": event["visitor"],
                "venue": venue.get("name"),
                "link": event.get("link"),
            }
        )
    request = data.get("_parameters") if isinstance(data.get("_parameters"), dict) else {}
    summary = {
        "date": request.get("date") or params.get("date"),
        "event_count": len(records),
        "event_ids": [r["event_id"] for r in records],
        "matchups": [f"{r['away_team']}@{r['home_team']}" for r in records],
    }
    return result(records, summary)


def _offer_rows(offer: dict[str, Any], index: int, source: str) -> list[dict[str, Any]]:
    if offer.get("id") is None:
        raise ParseError(f"offers[{index}] has no id", source=source)
    participants = offer.get("participants") or []
    participant = participants[0] if participants and isinstance(participants[0], dict) else {}
    player = participant.get("player") or {}
    market_id = to_int(offer.get("market_id"))
    base = {
        "offer_id": offer["id"],
        "event_id": to_int(offer.get("event_id")),
        "market_id": market_id,
        "market": MARKETS.get(market_id) if market_id is not None else None,
        "player_id": clean_str(participant.get("id") or offer.get("player_id")),
        "player_name": clean_str(participant.get("name")),
        "player_team": clean_str(player.get("team")),
        "player_position": clean_str(player.get("position")),
    }
    rows = []
    for selection in offer.get("selections") or []:
        if not isinstance(selection, dict):
            raise ParseError(f"offers[{index}].selections contains a non-object", source=source)
        for book in selection.get("books") or []:
            book_id = to_int(book.get("id"))
            for line in book.get("lines") or []:
                rows.append(
                    {
                        **base,
                        "selection": clean_str(selection.get("selection") or selection.get("label")),
                        "book_id": book_id,
                        "book": BOOKS.get(book_id) if book_id is not None else None,
                        "line": to_float(line.get("line")),
                        "odds": to_int(line.get("cost")),
                        "updated": line.get("updated"),
                        "active": line.get("active"),
                        "best": line.get("best"),
                    }
                )
    return rows


def parse_offers(pages: list[dict] | dict | bytes | str, **params: Any) -> dict[str, Any]:
    """Combine v3/offers pages into flattened prop lines; duplicate offers across pages count once."""
    source = f"{SOURCE} offers"
    if isinstance(pages, (dict, bytes, bytearray, str)):
        pages = [pages]
    if not isinstance(pages, list) or not pages:
        raise ParseError("expected a non-empty list of offer pages", source=source)
    seen_offers: set[Any] = set()
    records: list[dict[str, Any]] = []
    page_numbers: set[int] = set()
    total_pages: int | None = None
    for page_index, raw in enumerate(pages):
        page = expect_dict(load_json(raw, source=source), source=source, what=f"pages[{page_index}]")
        offers = require(page, "offers", list, source=source, where=f"pages[{page_index}]")
        pagination = page.get("_pagination") if isinstance(page.get("_pagination"), dict) else {}
        number = to_int(pagination.get("page")) or page_index + 1
        page_numbers.add(number)
        declared = to_int(pagination.get("total_pages"))
        if declared is not None and not 0 <= declared <= MAX_TOTAL_PAGES:  # `1e400` spelt out: range() of it
            raise ParseError(f"pages[{page_index}]: total_pages {str(declared)[:40]} is out of range", source=source)
        if declared is not None:
            total_pages = max(total_pages or 0, declared)
        for index, offer in enumerate(offers):
            offer = expect_dict(offer, source=source, what=f"pages[{page_index}].offers[{index}]")
            if offer.get("id") in seen_offers:
                continue
            seen_offers.add(offer.get("id"))
            records.extend(_offer_rows(offer, index, source))
    expected = set(range(1, (total_pages or len(page_numbers)) + 1))
    missing = sorted(expected - page_numbers)
    summary = {
        "pages_received": len(page_numbers),
        "total_pages": total_pages,
        "missing_pages": missing,
        "complete": not missing,
        "offer_count": len(seen_offers),
        "line_count": len(records),
        "event_ids": sorted({r["event_id"] for r in records if r["event_id"] is not None}),
        "market_ids": sorted({r["market_id"] for r in records if r["market_id"] is not None}),
        "book_ids": sorted({r["book_id"] for r in records if r["book_id"] is not None}),
        "player_count": len({r["player_id"] or r["player_name"] for r in records}),
    }
    return result(records, summary)
