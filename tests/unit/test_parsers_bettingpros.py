"""BettingPros parsers: v3/events (recorded) and v3/offers (no recording exists)."""

from __future__ import annotations

import json

import pytest

from shared.parsers import ParseError
from shared.parsers.bettingpros import parse_events, parse_offers
from tests.conftest import recording as fixture


def test_events_2021_10_21() -> None:
    out = parse_events(fixture("bettingpros/v3_events_2021-10-21.json"))
    assert out["summary"] == {
        "date": "2021-10-21",
        "event_count": 3,
        "event_ids": [20879, 20880, 20881],
        "matchups": ["DAL@ATL", "MIL@MIA", "LAC@GSW"],
    }
    first = out["records"][0]
    assert (first["scheduled_utc"], first["status"], first["venue"]) == (
        "2021-10-21T23:30:00Z",
        "closed",
        "State Farm Arena",
    )
    json.dumps(out)


def test_events_malformed() -> None:
    raw = fixture("bettingpros/v3_events_2021-10-21.json")
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_events(raw[:-3])
    with pytest.raises(ParseError, match="missing required key 'events'"):
        parse_events({"_parameters": {}})
    with pytest.raises(ParseError, match="lacks id/home/visitor"):
        parse_events({"events": [{"id": 1, "home": "ATL"}]})


def _offer(offer_id: int, player: str, team: str, event_id: int, over: float, under_cost: int) -> dict:
    def book(book_id: int, line: float, cost: int) -> dict:
        return {
            "id": book_id,
            "lines": [{"line": line, "cost": cost, "updated": "2021-10-21 20:00:00", "active": True, "best": False}],
        }

    return {
        "id": offer_id,
        "event_id": event_id,
        "market_id": 156,
        "participants": [{"id": f"p{offer_id}", "name": player, "player": {"team": team, "position": "G"}}],
        "selections": [
            {"selection": "over", "books": [book(0, over, -110), book(12, over, -115)]},
            {"selection": "under", "books": [book(0, over, under_cost), book(12, over, -105)]},
        ],
    }


def _pages() -> list[dict]:
    """SYNTHETIC v3/offers pages (no recording exists), following the documented answer shape:
    ``{"offers": [{id, event_id, market_id, participants[{id, name, player{team, position}}],
    selections[{selection, books[{id, lines[{line, cost, updated, active, best}]}]}]}],
    "_pagination": {"page", "total_pages"}}``. Page 2 repeats offer 2 to exercise de-duplication."""
    return [
        {
            "offers": [
                _offer(1, "Trae Young", "ATL", 20879, 24.5, -110),
                _offer(2, "Luka Doncic", "DAL", 20879, 29.5, -105),
            ],
            "_pagination": {"page": 1, "total_pages": 2},
        },
        {
            "offers": [
                _offer(2, "Luka Doncic", "DAL", 20879, 29.5, -105),
                _offer(3, "Jimmy Butler", "MIA", 20880, 21.5, -120),
            ],
            "_pagination": {"page": 2, "total_pages": 2},
        },
    ]


def test_offers_combine_pages() -> None:
    out = parse_offers(_pages())
    summary = out["summary"]
    assert (
        summary["pages_received"],
        summary["total_pages"],
        summary["missing_pages"],
        summary["complete"],
    ) == (
        2,
        2,
        [],
        True,
    )
    assert (summary["offer_count"], summary["line_count"], summary["player_count"]) == (3, 12, 3)
    assert summary["event_ids"] == [20879, 20880]
    assert summary["market_ids"] == [156] and summary["book_ids"] == [0, 12]
    luka_under_dk = next(
        r
        for r in out["records"]
        if r["player_name"] == "Luka Doncic" and r["selection"] == "under" and r["book_id"] == 12
    )
    assert (luka_under_dk["line"], luka_under_dk["odds"], luka_under_dk["book"], luka_under_dk["market"]) == (
        29.5,
        -105,
        "DraftKings",
        "points",
    )
    json.dumps(out)


def test_offers_missing_page_is_flagged() -> None:
    out = parse_offers([json.dumps(_pages()[0]).encode()])
    assert out["summary"]["complete"] is False and out["summary"]["missing_pages"] == [2]
    assert out["summary"]["offer_count"] == 2


def test_offers_malformed() -> None:
    with pytest.raises(ParseError, match="non-empty list"):
        parse_offers([])
    with pytest.raises(ParseError, match="missing required key 'offers'"):
        parse_offers([{"_pagination": {"page": 1, "total_pages": 1}}])
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_offers([json.dumps(_pages()[0]).encode()[:100]])
    with pytest.raises(ParseError, match="has no id"):
        parse_offers([{"offers": [{"event_id": 1}]}])
