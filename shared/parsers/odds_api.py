"""The Odds API v4 parsers: events and event odds, live or historical.

Historical endpoints wrap the live answer as ``{"timestamp", "previous_timestamp", "next_timestamp",
"data"}``; both forms are accepted and the snapshot timestamps are surfaced in the summary. Error
answers (``{"message": ..., "error_code": ...}``, e.g. an expired event) raise UpstreamError.
"""

from __future__ import annotations

from typing import Any

from shared.parsers._common import load_json, require, result
from shared.parsers.errors import ParseError, UpstreamError

SOURCE = "the-odds-api"
_ERROR_STATUS = {"EVENT_NOT_FOUND": 404, "HISTORICAL_UNAVAILABLE_ON_FREE_USAGE_PLAN": 401}


def _unwrap(payload: Any, source: str) -> tuple[Any, dict[str, Any]]:
    data = load_json(payload, source=source)
    if isinstance(data, dict) and "message" in data and "data" not in data and "id" not in data:
        code = data.get("error_code")
        raise UpstreamError(f"{code or 'error'}: {data['message']}", source=source, status=_ERROR_STATUS.get(code))
    snapshot: dict[str, Any] = {}
    if isinstance(data, dict) and "data" in data and "timestamp" in data:
        snapshot = {k: data.get(k) for k in ("timestamp", "previous_timestamp", "next_timestamp")}
        data = data["data"]
    return data, snapshot


def _event(event: Any, where: str, source: str) -> dict[str, Any]:
    if not isinstance(event, dict):
        raise ParseError(f"{where} is not an object", source=source)
    for key in ("id", "home_team", "away_team", "commence_time"):
        if not event.get(key):
            raise ParseError(f"{where} lacks {key!r}", source=source)
    return {
        "event_id": event["id"],
        "sport_key": event.get("sport_key"),
        "commence_time": event["commence_time"],
        "home_team": event["home_team"],
        "away_team": event["away_team"],
    }


def parse_events(payload: bytes | str | list | dict, **params: Any) -> dict[str, Any]:
    """/events (list) or /historical/.../events (wrapper) -> one record per event."""
    source = f"{SOURCE} events"
    data, snapshot = _unwrap(payload, source)
    if not isinstance(data, list):
        raise ParseError(f"events payload must be a list, got {type(data).__name__}", source=source)
    records = [_event(e, f"events[{i}]", source) for i, e in enumerate(data)]
    summary = {
        **snapshot,
        "event_count": len(records),
        "event_ids": [r["event_id"] for r in records],
        "first_commence_time": min((r["commence_time"] for r in records), default=None),
        "last_commence_time": max((r["commence_time"] for r in records), default=None),
    }
    return result(records, summary)


def parse_event_odds(payload: bytes | str | list | dict, **params: Any) -> dict[str, Any]:
    """/events/{id}/odds (one event) or /odds (list of events), live or historical.

    Flattened to one record per event x bookmaker x market x outcome; player props carry the player
    in ``description``.
    """
    source = f"{SOURCE} odds"
    data, snapshot = _unwrap(payload, source)
    events = data if isinstance(data, list) else [data]
    records: list[dict[str, Any]] = []
    bookmakers: set[str] = set()
    markets: set[str] = set()
    for event_index, raw in enumerate(events):
        event = _event(raw, f"events[{event_index}]", source)
        for book_index, book in enumerate(require(raw, "bookmakers", list, source=source, where="event")):
            if not isinstance(book, dict) or not book.get("key"):
                raise ParseError(f"bookmakers[{book_index}] lacks key", source=source)
            bookmakers.add(book["key"])
            for market in require(book, "markets", list, source=source, where=f"bookmakers[{book_index}]"):
                if not isinstance(market, dict) or not market.get("key"):
                    raise ParseError(f"bookmakers[{book_index}] has a market without key", source=source)
                markets.add(market["key"])
                for outcome in require(market, "outcomes", list, source=source, where="market"):
                    records.append(
                        {
                            "event_id": event["event_id"],
                            "commence_time": event["commence_time"],
                            "home_team": event["home_team"],
                            "away_team": event["away_team"],
                            "bookmaker": book["key"],
                            "bookmaker_title": book.get("title"),
                            "market": market["key"],
                            "last_update": market.get("last_update") or book.get("last_update"),
                            "outcome": outcome.get("name"),
                            "description": outcome.get("description"),
                            "price": outcome.get("price"),
                            "point": outcome.get("point"),
                        }
                    )
    summary = {
        **snapshot,
        "event_ids": [e.get("id") for e in events if isinstance(e, dict)],
        "bookmaker_count": len(bookmakers),
        "bookmakers": sorted(bookmakers),
        "markets": sorted(markets),
        "outcome_count": len(records),
    }
    return result(records, summary)
