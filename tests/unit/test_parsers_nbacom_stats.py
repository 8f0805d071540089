"""stats.nba.com parsers against recorded answers (read in place from ../shared/fixtures/upstream)."""

from __future__ import annotations

import copy
import json

import pytest

from shared.parsers import ParseError
from shared.parsers.nbacom_stats import (
    parse_boxscore_traditional,
    parse_boxscore_traditional_v3,
    parse_league_game_log,
    parse_player_list,
    parse_scoreboard_v2,
    parse_scoreboard_v3,
    result_sets,
)
from tests.conftest import recording as fixture


def test_result_sets_zips_headers_and_rows() -> None:
    sets = result_sets(fixture("nbacom_stats/scoreboardV2_2024-01-15.json"))
    assert list(sets)[:3] == ["GameHeader", "LineScore", "SeriesStandings"]
    assert len(sets) == 9
    assert len(sets["GameHeader"]) == 11 and len(sets["LineScore"]) == 22
    assert sets["TicketLinks"] == []
    assert sets["GameHeader"][0]["GAMECODE"] == "20240115/HOUPHI"


def test_result_sets_single_result_set_variant_and_multirow_headers() -> None:
    single = {"resultSet": {"name": "X", "headers": ["A", "B"], "rowSet": [[1, 2]]}}
    assert result_sets(single) == {"X": [{"A": 1, "B": 2}]}
    nested = {
        "resultSets": [
            {
                "name": "Shots",
                "headers": [{"name": "SHOT_CATEGORY"}, {"name": "columns", "columnNames": ["ZONE", "FGM"]}],
                "rowSet": [["Paint", 4]],
            }
        ]
    }
    assert result_sets(nested) == {"Shots": [{"ZONE": "Paint", "FGM": 4}]}


def test_player_list_playerindex() -> None:
    out = parse_player_list(fixture("nbacom_stats/playerindex_2025-26.json"))
    assert out["summary"] == {
        "season": "2025-26",
        "player_count": 594,
        "team_count": 30,
        "rostered_count": 594,
    }
    by_name = {r["player_name"]: r for r in out["records"]}
    curry = by_name["Stephen Curry"]
    assert (curry["player_id"], curry["team_abbreviation"], curry["jersey_number"]) == (201939, "GSW", "30")
    assert by_name["Victor Wembanyama"]["player_id"] == 1641705
    assert out["records"][0]["player_slug"] == "precious-achiuwa"
    json.dumps(out)


def test_league_game_log_players() -> None:
    out = parse_league_game_log(fixture("nbacom_stats/leaguegamelog_players_2025-03-15.json"))
    summary = out["summary"]
    assert summary["player_or_team"] == "P"
    assert summary["row_count"] == 157 and summary["player_count"] == 157
    assert summary["game_count"] == 8 and "0022400974" in summary["game_ids"]
    assert summary["first_game_date"] == summary["last_game_date"] == "2025-03-15"
    curry = next(r for r in out["records"] if r["player_name"] == "Stephen Curry")
    assert (curry["game_id"], curry["matchup"], curry["pts"]) == ("0022400974", "GSW vs. NYK", 28)
    json.dumps(out)


def test_league_game_log_teams() -> None:
    out = parse_league_game_log(fixture("nbacom_stats/leaguegamelog_teams_2025-26_through_2026-02-21.json"))
    summary = out["summary"]
    assert summary["player_or_team"] == "T" and "player_count" not in summary
    assert (summary["row_count"], summary["game_count"]) == (1688, 844)
    assert (summary["first_game_date"], summary["last_game_date"]) == ("2025-10-21", "2026-02-21")
    assert out["records"][0]["matchup"] == "GSW @ LAL"


def test_boxscore_traditional_players_and_teams() -> None:
    out = parse_boxscore_traditional(fixture("nbacom_stats/boxscoretraditionalv2_0022400561_NYK-PHI_2025-01-15.json"))
    summary = out["summary"]
    assert summary["game_id"] == "0022400561"
    assert (summary["player_count"], summary["players_played"], summary["team_count"]) == (25, 17, 2)
    assert summary["teams"] == ["NYK", "PHI"]
    assert summary["team_points"] == {"NYK": 125, "PHI": 119}
    by_name = {r["player_name"]: r for r in out["records"]}
    assert by_name["Jalen Brunson"]["pts"] == 38 and by_name["Jalen Brunson"]["played"] is True
    drummond = by_name["Andre Drummond"]
    assert drummond["played"] is False and drummond["comment"] == "DND - Injury/Illness"
    assert len(out["teams"]) == 2 and len(out["starter_bench"]) == 4
    json.dumps(out)


def test_scoreboard_v2_games_and_line_scores() -> None:
    out = parse_scoreboard_v2(fixture("nbacom_stats/scoreboardV2_2024-01-15.json"))
    summary = out["summary"]
    assert summary["game_date"] == "2024-01-15"
    assert summary["game_count"] == 11 and summary["final_count"] == 11
    assert summary["game_ids"] == [f"00223005{n}" for n in range(55, 66)]
    assert summary["line_score_count"] == 22 and len(out["line_scores"]) == 22
    first = out["records"][0]
    assert (first["visitor_team_abbreviation"], first["home_team_abbreviation"]) == ("HOU", "PHI")
    assert (first["visitor_pts"], first["home_pts"]) == (115, 124)
    json.dumps(out)


def test_scoreboard_v2_2025_overtime_game() -> None:
    out = parse_scoreboard_v2(fixture("nbacom_stats/scoreboardV2_2025-01-15.json"))
    assert out["summary"]["game_count"] == 11
    game = out["records"][0]
    assert (game["game_id"], game["visitor_pts"], game["home_pts"], game["live_period"]) == (
        "0022400561",
        125,
        119,
        5,
    )


def test_scoreboard_v2_deduplicates_repeated_game_header_rows() -> None:
    """stats.nba.com can repeat a GameHeader row; the game must be counted once."""
    data = json.loads(fixture("nbacom_stats/scoreboardV2_2024-01-15.json"))
    header = next(rs for rs in data["resultSets"] if rs["name"] == "GameHeader")
    header["rowSet"].insert(3, copy.deepcopy(header["rowSet"][0]))
    header["rowSet"].append(copy.deepcopy(header["rowSet"][5]))
    out = parse_scoreboard_v2(data)
    assert out["summary"]["game_count"] == 11
    assert out["summary"]["duplicate_rows"] == 2
    assert len(out["summary"]["game_ids"]) == len(set(out["summary"]["game_ids"])) == 11


BOX_V3 = "nbacom_stats/boxscoretraditionalv3_0022500560_PHI-TOR_2026-01-12.json"
SCOREBOARD_V3 = "nbacom_stats/scoreboardv3_2025-11-05.json"


def test_boxscore_traditional_v3_team_points_are_the_sum_of_the_players() -> None:
    out = parse_boxscore_traditional_v3(fixture(BOX_V3))
    summary = out["summary"]
    assert (summary["format"], summary["game_id"], summary["teams"]) == ("v3", "0022500560", ["PHI", "TOR"])
    assert (summary["player_count"], summary["players_played"], summary["team_count"]) == (28, 26, 2)
    assert summary["team_points"] == {"TOR": 102, "PHI": 115}  # PHI won 115-102 at TOR
    for team in out["teams"]:
        players = [r for r in out["records"] if r["team_tricode"] == team["team_tricode"]]
        assert team["points"] == sum(r["points"] for r in players) == summary["player_points"][team["team_tricode"]]
        assert team["field_goals_made"] == sum(r["field_goals_made"] for r in players)
        assert team["minutes"] == "240:00"
    embiid = next(r for r in out["records"] if r["player_name"] == "Joel Embiid")
    assert (embiid["team_tricode"], embiid["points"], embiid["starter"], embiid["seconds_played"]) == (
        "PHI",
        27,
        True,
        2143.0,
    )
    dnp = [r for r in out["records"] if not r["played"]]
    assert [(r["player_name"], r["comment"], r["minutes"]) for r in dnp] == [
        ("Andre Drummond", "DNP - Coach's Decision", ""),
        ("Eric Gordon", "DNP - Coach's Decision", ""),
    ]
    assert sum(r["starter"] for r in out["records"]) == 10  # five with a position per team
    assert {(r["team_tricode"], r["starters_bench"]) for r in out["starter_bench"]} == {
        (t, k) for t in ("PHI", "TOR") for k in ("starters", "bench")
    }
    json.dumps(out)


def test_boxscore_v2_and_v3_summaries_have_the_same_keys() -> None:
    v2 = parse_boxscore_traditional(fixture("nbacom_stats/boxscoretraditionalv2_0022400561_NYK-PHI_2025-01-15.json"))
    v3 = parse_boxscore_traditional_v3(fixture(BOX_V3))
    assert set(v2["summary"]) | {"player_points"} == set(v3["summary"])
    assert v2["summary"]["format"] == "v2"


def test_boxscore_v3_wrong_shapes() -> None:
    with pytest.raises(ParseError, match="missing required key 'boxScoreTraditional'"):
        parse_boxscore_traditional_v3({"meta": {}, "resultSets": []})
    with pytest.raises(ParseError, match="missing required key 'awayTeam'"):
        parse_boxscore_traditional_v3({"boxScoreTraditional": {"gameId": "1", "homeTeam": {"players": []}}})
    with pytest.raises(ParseError, match=r"players\[0\] lacks personId"):
        team = {"players": [{"firstName": "A"}]}
        parse_boxscore_traditional_v3({"boxScoreTraditional": {"gameId": "1", "homeTeam": team, "awayTeam": team}})


def test_scoreboard_v3_games_of_the_day() -> None:
    out = parse_scoreboard_v3(fixture(SCOREBOARD_V3))
    summary = out["summary"]
    assert (summary["game_date"], summary["game_count"], summary["final_count"]) == ("2025-11-05", 11, 11)
    assert summary["game_ids"] == [f"00225001{n}" for n in range(71, 82)]
    first = out["records"][0]
    assert (first["game_code"], first["away_team"], first["away_score"], first["home_team"], first["home_score"]) == (
        "20251105/PHICLE",
        "PHI",
        121,
        "CLE",
        132,
    )
    assert sum(first["home_periods"]) == first["home_score"] and len(first["home_periods"]) == 4
    assert len(summary["team_tricodes"]) == 22
    json.dumps(out)


def test_scoreboard_dates_in_the_mm_dd_yyyy_form_are_read_as_days() -> None:
    """stats.nba.com echoes the requested GameDate as MM/DD/YYYY (see the leaguegamefinder recording)."""
    v2 = json.loads(fixture("nbacom_stats/scoreboardV2_2024-01-15.json"))
    v2["parameters"]["GameDate"] = "01/15/2024"
    assert parse_scoreboard_v2(v2)["summary"]["game_date"] == "2024-01-15"
    v3 = json.loads(fixture(SCOREBOARD_V3))
    v3["scoreboard"]["gameDate"] = "11/05/2025 00:00:00"
    assert parse_scoreboard_v3(v3)["summary"]["game_date"] == "2025-11-05"
    log = parse_league_game_log(fixture("nbacom_stats/leaguegamelog_teams_2025-26_through_2026-02-21.json"))
    assert log["summary"]["first_game_date"] == "2025-10-21"


@pytest.mark.parametrize(
    ("parser", "rel"),
    [
        (parse_player_list, "nbacom_stats/scoreboardV2_2024-01-15.json"),
        (parse_league_game_log, "nbacom_stats/scoreboardV2_2024-01-15.json"),
        (parse_boxscore_traditional, "nbacom_stats/scoreboardV2_2024-01-15.json"),
        (parse_scoreboard_v2, "nbacom_stats/scoreboardV2_2024-01-15.json"),
        (parse_boxscore_traditional_v3, BOX_V3),
        (parse_scoreboard_v3, SCOREBOARD_V3),
    ],
)
def test_truncated_json_raises(parser, rel) -> None:
    raw = fixture(rel)
    with pytest.raises(ParseError, match="invalid JSON"):
        parser(raw[: len(raw) // 2])


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ([], "must be a JSON object"),
        ({"resource": "scoreboardV2"}, "no 'resultSets'"),
        ({"resultSets": "x"}, "must be a list or object"),
        ({"resultSets": [{"headers": ["A"], "rowSet": []}]}, "has no name"),
        ({"resultSets": [{"name": "X", "headers": ["A", "B"], "rowSet": [[1]]}]}, "width 1, headers have 2"),
        ({"resultSets": [{"name": "X", "headers": ["A"]}]}, "no rowSet"),
        (b"", "empty body"),
    ],
)
def test_result_sets_rejects_wrong_shapes(payload, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        result_sets(payload)


def test_missing_required_result_set_or_column() -> None:
    two_sets = {
        "resultSets": [
            {"name": "A", "headers": ["X"], "rowSet": []},
            {"name": "B", "headers": ["X"], "rowSet": []},
        ]
    }
    with pytest.raises(ParseError, match="'PlayerStats' not found"):
        parse_boxscore_traditional(two_sets)
    no_game_id = {"resultSets": [{"name": "GameHeader", "headers": ["GAME_DATE_EST"], "rowSet": [["x"]]}]}
    with pytest.raises(ParseError, match="lacks columns"):
        parse_scoreboard_v2(no_game_id)
