"""official.nba.com get-game-officials parser (recorded 2025-01-08 answer: 8 NBA + 3 G League games)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from shared.parsers import ParseError
from shared.parsers.nba_officials import parse_game_officials

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "upstream"
RECORDING = "nba_officials/get-game-officials_2025-01-08.json"


def fixture(rel: str) -> bytes:
    path = FIXTURES / rel
    if not path.is_file():
        pytest.skip(f"upstream fixture missing: {path}")
    return path.read_bytes()


def test_only_nba_games_are_records() -> None:
    out = parse_game_officials(fixture(RECORDING))
    summary = out["summary"]
    assert summary["game_date"] == "2025-01-08"
    assert summary["game_count"] == 8
    assert summary["game_ids"] == [f"00224005{n:02d}" for n in range(9, 17)]
    assert summary["skipped_games"] == {"gl": 3, "wnba": 0}
    assert summary["official_count"] == 24 and summary["games_without_officials"] == 0
    assert summary["replay_center_officials"] == ["Brett Nansel", "Jason Goldenberg", "Jenna Schroeder"]
    assert all(r["game_id"].startswith("002") for r in out["records"])
    json.dumps(out)


def test_first_game_crew() -> None:
    game = parse_game_officials(fixture(RECORDING))["records"][0]
    assert (game["game_code"], game["away_team"], game["home_team"]) == ("20250108/OKCCLE", "OKC", "CLE")
    assert game["officials"] == [
        {"slot": 1, "name": "John Goble", "person_id": 101284, "jersey_number": "10"},
        {"slot": 2, "name": "Ray Acosta", "person_id": 1626300, "jersey_number": "54"},
        {"slot": 3, "name": "Robert Hussey", "person_id": 1628480, "jersey_number": "85"},
    ]


def test_null_officials_are_allowed() -> None:
    """Crews are published on game day; before that the official fields are null."""
    data = json.loads(fixture(RECORDING))
    row = data["nba"]["Table"]["rows"][2]
    for slot in (1, 2, 3):
        row[f"official{slot}"] = row[f"official{slot}_code"] = row[f"official{slot}_JNum"] = None
    out = parse_game_officials(data)
    assert out["records"][2]["officials"] == [] and out["records"][2]["official_count"] == 0
    assert out["summary"]["games_without_officials"] == 1 and out["summary"]["game_count"] == 8


def test_empty_nba_section_is_no_games() -> None:
    data = json.loads(fixture(RECORDING))
    data["nba"]["Table"]["rows"] = []
    assert parse_game_officials(data)["summary"]["game_count"] == 0


def test_malformed_inputs_raise() -> None:
    raw = fixture(RECORDING)
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_game_officials(raw[:500])
    with pytest.raises(ParseError, match="no 'nba' section"):
        parse_game_officials({"gl": {}, "wnba": {}})
    with pytest.raises(ParseError, match="must be a JSON object"):
        parse_game_officials([])
    data = json.loads(raw)
    broken = copy.deepcopy(data)
    del broken["nba"]["Table"]["rows"]
    with pytest.raises(ParseError, match="missing required key 'rows'"):
        parse_game_officials(broken)
    broken = copy.deepcopy(data)
    broken["nba"]["Table"]["rows"][0].pop("game_id")
    with pytest.raises(ParseError, match="has no game_id"):
        parse_game_officials(broken)
