"""BigDataBall play-by-play CSV parser (recording: 2025-06-22 Finals Game 7, IND @ OKC)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.parsers import ParseError
from shared.parsers.bigdataball import parse_pbp_csv

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "upstream"
RECORDING = "bigdataball/pbp_746cfbef.csv"


def fixture(rel: str) -> bytes:
    path = FIXTURES / rel
    if not path.is_file():
        pytest.skip(f"upstream fixture missing: {path}")
    return path.read_bytes()


def test_finals_game7_csv() -> None:
    out = parse_pbp_csv(fixture(RECORDING))
    assert out["summary"] == {
        "row_count": 510,
        "game_id": "42400407",
        "nba_game_id": "0042400407",
        "game_ids": ["42400407"],
        "date": "2025-06-22",
        "data_set": "NBA 2025 Playoffs",
        "teams": ["IND", "OKC"],
        "away_team": "IND",
        "home_team": "OKC",
        "periods": 4,
        "final_score": {"away": 91, "home": 103},
    }
    third = out["records"][2]
    assert (third["player"], third["event_type"], third["result"], third["points"]) == (
        "Andrew Nembhard",
        "shot",
        "made",
        "2",
    )
    assert third["assist"] is None  # empty CSV cells become None
    json.dumps(out)


def test_malformed_csv_raises() -> None:
    raw = fixture(RECORDING)
    with pytest.raises(ParseError, match="empty CSV"):
        parse_pbp_csv(b"")
    with pytest.raises(ParseError, match="lacks columns"):
        parse_pbp_csv(b"a,b\n1,2\n")
    header = raw.split(b"\n", 1)[0] + b"\n"
    with pytest.raises(ParseError, match="no rows"):
        parse_pbp_csv(header)
    # A truncated download cuts the last row short: its field count no longer matches the header.
    with pytest.raises(ParseError, match="different number of fields"):
        parse_pbp_csv(raw[: len(raw) // 2])
