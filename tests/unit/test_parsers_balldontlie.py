"""balldontlie parsers against recorded v1 pages."""

from __future__ import annotations

import json

import pytest

from shared.parsers import ParseError
from shared.parsers.balldontlie import (
    parse_active_players,
    parse_games,
    parse_injuries,
    parse_page,
    parse_standings,
    parse_stats,
    summarize_box_scores,
)
from tests.conftest import recording as fixture


def test_parse_page_cursor() -> None:
    out = parse_page(fixture("balldontlie/players_active_page1.json"))
    assert out["summary"] == {"row_count": 100, "next_cursor": 277, "per_page": 100, "has_more": True}
    last = parse_page(fixture("balldontlie/games_2025-02-20.json"))["summary"]
    assert last["next_cursor"] is None and last["has_more"] is False


def test_box_scores_2024_01_15() -> None:
    out = summarize_box_scores([fixture("balldontlie/box_scores_2024-01-15.json")])
    summary = out["summary"]
    assert summary["game_count"] == 11 and summary["statuses"] == {"Final": 11}
    assert summary["team_count"] == 22
    assert summary["team_tricodes"] == (
        "ATL BKN BOS CHI CLE DAL DET GSW HOU IND LAL MEM MIA NOP NYK OKC ORL PHI SAS TOR UTA WAS".split()
    )
    assert summary["dates"] == ["2024-01-15"] and summary["player_row_count"] == 384
    first = out["records"][0]
    assert (first["away_team"], first["home_team"], first["away_score"], first["home_score"]) == (
        "HOU",
        "PHI",
        115,
        124,
    )
    json.dumps(out)


def test_box_scores_empty_day() -> None:
    out = summarize_box_scores(fixture("balldontlie/box_scores_empty_day.json"))
    assert out["records"] == [] and out["summary"]["game_count"] == 0 and out["summary"]["team_tricodes"] == []


def test_games_2025_02_20() -> None:
    out = parse_games(fixture("balldontlie/games_2025-02-20.json"))
    assert out["summary"]["game_count"] == 9 and len(out["summary"]["team_tricodes"]) == 18
    first = out["records"][0]
    assert (first["game_id"], first["away_team"], first["home_team"], first["home_score"]) == (
        15908525,
        "CHA",
        "DEN",
        129,
    )


def test_active_players_injuries_standings_stats() -> None:
    players = parse_active_players(fixture("balldontlie/players_active_page1.json"))
    assert players["summary"]["player_count"] == 100 and players["summary"]["next_cursor"] == 277
    assert players["records"][0] == {
        "player_id": 3,
        "player_name": "Steven Adams",
        "position": "C",
        "jersey_number": "12",
        "team_id": 11,
        "team": "HOU",
    }
    injuries = parse_injuries(fixture("balldontlie/player_injuries_bos_2rows.json"))
    assert injuries["summary"]["injury_count"] == 2 and injuries["summary"]["team_ids"] == [2]
    assert {r["player_name"]: r["status"] for r in injuries["records"]} == {
        "Jaylen Brown": "Day-To-Day",
        "Jayson Tatum": "Out",
    }
    page1 = parse_injuries(fixture("balldontlie/player_injuries_page1_2025-07.json"))["summary"]
    assert page1["injury_count"] == 100 and page1["next_cursor"] == 4082934
    assert page1["statuses"] == {"Day-To-Day": 91, "Out": 9}
    standings = parse_standings(fixture("balldontlie/standings_season2024.json"))
    assert standings["summary"]["team_count"] == 30 and standings["summary"]["season"] == 2024
    assert standings["summary"]["conference_leaders"] == {"East": "CLE", "West": "OKC"}
    cle = next(r for r in standings["records"] if r["team"] == "CLE")
    assert (cle["wins"], cle["losses"]) == (64, 18)
    stats = parse_stats(fixture("balldontlie/stats_game18444564_2025-06-22.json"))
    assert stats["summary"]["row_count"] == 30 and stats["summary"]["game_ids"] == [18444564]
    assert stats["summary"]["team_points"] == {"IND": 91, "OKC": 103}


def test_multiple_pages_are_concatenated() -> None:
    page = fixture("balldontlie/player_injuries_bos_2rows.json")
    out = parse_injuries([page, page])
    assert out["summary"]["injury_count"] == 4 and out["summary"]["pages"] == 2


def test_malformed_inputs_raise() -> None:
    raw = fixture("balldontlie/box_scores_2024-01-15.json")
    with pytest.raises(ParseError, match="invalid JSON"):
        summarize_box_scores(raw[:1000])
    with pytest.raises(ParseError, match="missing required key 'data'"):
        parse_page({"meta": {}})
    with pytest.raises(ParseError, match=r"data\[0\] is not an object"):
        parse_page({"data": [1]})
    with pytest.raises(ParseError, match="lacks home_team/visitor_team"):
        summarize_box_scores({"data": [{"date": "2024-01-15", "home_team": {"abbreviation": "PHI"}}]})
    with pytest.raises(ParseError, match="lacks id"):
        parse_games({"data": [{"home_team": {"abbreviation": "PHI"}, "visitor_team": {"abbreviation": "HOU"}}]})
    with pytest.raises(ParseError, match="expected a page or a list"):
        parse_stats(42)
