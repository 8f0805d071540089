"""The Odds API v4 parsers against recorded historical answers (snapshot 2024-01-25T03:55:40Z)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.parsers import ParseError, UpstreamError
from shared.parsers.odds_api import parse_event_odds, parse_events

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "upstream"
SNAPSHOT = {
    "timestamp": "2024-01-25T03:55:40Z",
    "previous_timestamp": "2024-01-25T03:50:38Z",
    "next_timestamp": "2024-01-25T04:00:38Z",
}
ATL_GSW = "cd0bc7d0c238f4446ce1c03d0cea7ec4"


def fixture(rel: str) -> bytes:
    path = FIXTURES / rel
    if not path.is_file():
        pytest.skip(f"upstream fixture missing: {path}")
    return path.read_bytes()


def test_historical_events_wrapper() -> None:
    out = parse_events(fixture("odds_api/historical_events_2024-01-25T035540Z.json"))
    summary = out["summary"]
    assert {k: summary[k] for k in SNAPSHOT} == SNAPSHOT
    assert summary["event_count"] == 10 and ATL_GSW in summary["event_ids"]
    assert (summary["first_commence_time"], summary["last_commence_time"]) == (
        "2024-01-25T01:40:00Z",
        "2024-01-26T03:40:00Z",
    )
    gsw = next(r for r in out["records"] if r["event_id"] == ATL_GSW)
    assert (gsw["away_team"], gsw["home_team"]) == ("Atlanta Hawks", "Golden State Warriors")
    json.dumps(out)


def test_live_events_list_form() -> None:
    data = json.loads(fixture("odds_api/historical_events_2024-01-25T035540Z.json"))["data"]
    out = parse_events(data)
    assert out["summary"]["event_count"] == 10 and "timestamp" not in out["summary"]


def test_event_odds_h2h() -> None:
    out = parse_event_odds(fixture("odds_api/historical_event_odds_h2h_ATL-GSW_2024-01-25T035540Z.json"))
    summary = out["summary"]
    assert summary["event_ids"] == [ATL_GSW] and summary["timestamp"] == SNAPSHOT["timestamp"]
    assert (summary["bookmaker_count"], summary["bookmakers"], summary["markets"]) == (
        2,
        ["draftkings", "fanduel"],
        ["h2h"],
    )
    assert summary["outcome_count"] == 4
    prices = {(r["bookmaker"], r["outcome"]): r["price"] for r in out["records"]}
    assert prices[("draftkings", "Atlanta Hawks")] == 3.3 and prices[("fanduel", "Golden State Warriors")] == 1.26


def test_event_odds_spreads_totals() -> None:
    out = parse_event_odds(fixture("odds_api/historical_event_odds_spreads_totals_ATL-GSW_2024-01-25T035540Z.json"))
    assert out["summary"]["markets"] == ["spreads", "totals"] and out["summary"]["outcome_count"] == 8
    lines = {(r["bookmaker"], r["market"], r["outcome"]): r["point"] for r in out["records"]}
    assert lines[("draftkings", "spreads", "Golden State Warriors")] == -6.5
    assert lines[("fanduel", "totals", "Over")] == 247.5
    json.dumps(out)


def test_player_props_description_is_kept() -> None:
    """SYNTHETIC live-form payload (no player-props recording exists) in the documented v4 shape."""
    event = {
        "id": "e1",
        "commence_time": "2024-02-23T00:00:00Z",
        "home_team": "Cleveland Cavaliers",
        "away_team": "Orlando Magic",
        "bookmakers": [
            {
                "key": "draftkings",
                "markets": [
                    {
                        "key": "player_points",
                        "outcomes": [{"name": "Over", "description": "Caris LeVert", "price": -130, "point": 11.5}],
                    }
                ],
            }
        ],
    }
    out = parse_event_odds(event)
    assert out["records"][0]["description"] == "Caris LeVert" and out["summary"]["markets"] == ["player_points"]


def test_error_answers_and_malformed_inputs() -> None:
    expired = {"message": "Event not found. The event may have expired.", "error_code": "EVENT_NOT_FOUND"}
    with pytest.raises(UpstreamError, match="EVENT_NOT_FOUND") as info:
        parse_event_odds(expired)
    assert info.value.status == 404
    raw = fixture("odds_api/historical_events_2024-01-25T035540Z.json")
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_events(raw[:-2])
    with pytest.raises(ParseError, match="must be a list"):
        parse_events({"id": "x"})
    with pytest.raises(ParseError, match="lacks 'home_team'"):
        parse_events([{"id": "x", "commence_time": "t", "away_team": "A"}])
    odds = json.loads(fixture("odds_api/historical_event_odds_h2h_ATL-GSW_2024-01-25T035540Z.json"))
    del odds["data"]["bookmakers"][0]["markets"]
    with pytest.raises(ParseError, match="missing required key 'markets'"):
        parse_event_odds(odds)
