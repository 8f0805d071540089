"""cdn.nba.com parsers (liveData play-by-play/boxscore/scoreboard, schedule, player movement)."""

from __future__ import annotations

import json

import pytest

from shared.parsers import ParseError
from shared.parsers.nbacom_cdn import (
    clock_seconds,
    parse_boxscore_live,
    parse_play_by_play,
    parse_player_movement,
    parse_schedule,
    parse_todays_scoreboard,
)
from tests.conftest import recording as fixture


def test_clock_seconds() -> None:
    assert clock_seconds("PT11M44.00S") == 704.0
    assert clock_seconds("PT00M00.00S") == 0.0
    assert clock_seconds("PT43M09.08S") == 2589.08
    assert clock_seconds("12:00") is None and clock_seconds(None) is None


def test_play_by_play_overtime_game() -> None:
    out = parse_play_by_play(fixture("nbacom_cdn/playbyplay_0022400561_NYK-PHI_2025-01-15.json"))
    assert out["summary"] == {
        "game_id": "0022400561",
        "action_count": 506,
        "final_period": 5,
        "overtime_periods": 1,
        "has_game_end": True,
        "final_score": {"home": 119, "away": 125},
    }
    records = out["records"]
    assert records[0]["action_type"] == "period" and records[0]["clock_seconds"] == 720.0
    made = [r for r in records if r["is_field_goal"] and r["shot_result"] == "Made" and r["team_tricode"] == "NYK"]
    assert len(made) == 46  # matches NYK FGM in the boxscoretraditionalv2 recording of the same game
    json.dumps(out)


def test_player_movement_counts_and_since_filter() -> None:
    raw = fixture("nbacom_cdn/player_movement.json.gz")  # gzipped as stored; parsers gunzip transparently
    out = parse_player_movement(raw)
    summary = out["summary"]
    assert summary["transaction_count"] == 8730
    assert summary["transaction_group_count"] == 7562
    assert summary["by_type"] == {
        "AwardOnWaivers": 67,
        "ContractConverted": 115,
        "Signing": 4156,
        "Trade": 1619,
        "Waive": 2773,
    }
    assert (summary["first_date"], summary["last_date"]) == ("2015-07-01", "2025-07-16")
    first = out["records"][0]
    assert first["player_slug"] == "cole-anthony" and first["player_id"] == 1630175 and first["team_id"] == 1610612749
    pick = next(r for r in out["records"] if r["transaction_type"] == "Trade" and r["player_id"] is None)
    assert pick["other_team_id"] is not None and "draft" in pick["description"]
    recent = parse_player_movement(raw, since="2025-07-01")["summary"]
    assert recent["transaction_count"] == 219 and recent["by_type"] == {
        "Signing": 151,
        "Trade": 50,
        "Waive": 18,
    }


def test_boxscore_live_final_and_pregame() -> None:
    final = parse_boxscore_live(fixture("nbacom_cdn/boxscore_0042200123_PHI-BKN_2023-04-20_final.json"))
    summary = final["summary"]
    assert (summary["game_id"], summary["game_status"], summary["game_status_text"]) == (
        "0042200123",
        3,
        "Final",
    )
    assert (summary["away_team"]["team_tricode"], summary["away_team"]["score"]) == ("PHI", 102)
    assert (summary["home_team"]["team_tricode"], summary["home_team"]["score"]) == ("BKN", 97)
    assert summary["player_count"] == 30 and summary["attendance"] == 17910
    assert summary["officials"][0] == "Tony Brothers"
    simmons = next(r for r in final["records"] if r["name"] == "Ben Simmons")
    assert simmons["status"] == "INACTIVE" and simmons["not_playing_reason"] == "INACTIVE_INJURY"
    pregame = parse_boxscore_live(fixture("nbacom_cdn/boxscore_0022300682_DEN-OKC_2024-01-31_pregame.json"))
    assert pregame["summary"]["game_status"] == 1 and pregame["summary"]["players_played"] == 0
    assert pregame["summary"]["player_count"] == 36
    json.dumps(final)


CDN_FINAL = "nbacom_cdn/boxscore_0042200123_PHI-BKN_2023-04-20_final.json"


def test_boxscore_live_final_periods_and_players_not_playing() -> None:
    out = parse_boxscore_live(fixture(CDN_FINAL))
    s = out["summary"]
    assert (s["final"], s["regulation_periods"], s["overtime_periods"], s["period"]) == (True, 4, 0, 4)
    assert [p["score"] for p in s["home_team"]["periods"]] == [28, 19, 35, 15]
    assert sum(p["score"] for p in s["away_team"]["periods"]) == s["away_team"]["score"] == 102
    assert s["player_points"] == {"BKN": 97, "PHI": 102}  # each team's players add up to its score
    assert s["inactive_count"] == 1
    assert s["not_playing"] == [
        {
            "team_tricode": "BKN",
            "person_id": 1627732,
            "name": "Ben Simmons",
            "status": "INACTIVE",
            "not_playing_reason": "INACTIVE_INJURY",
            "not_playing_description": "Back; Nerve Impingement",
        },
        {
            "team_tricode": "PHI",
            "person_id": 1627863,
            "name": "Danuel House Jr.",
            "status": "ACTIVE",  # dressed, did not play
            "not_playing_reason": "DNP_INJURY",
            "not_playing_description": "N/A; Non-Covid Illness",
        },
    ]


def test_boxscore_live_pregame_lists_the_inactive_players_with_reasons() -> None:
    s = parse_boxscore_live(fixture("nbacom_cdn/boxscore_0022300682_DEN-OKC_2024-01-31_pregame.json"))["summary"]
    assert (s["final"], s["game_status"], s["game_status_text"], s["players_played"]) == (False, 1, "pregame", 0)
    reasons = {
        (r["team_tricode"], r["name"]): (r["not_playing_reason"], r["not_playing_description"])
        for r in s["not_playing"]
    }
    assert len(reasons) == s["inactive_count"] == 8
    assert reasons[("DEN", "Nikola Jokic")] == ("INACTIVE_INJURY", "Low Back; Pain")
    assert reasons[("DEN", "Hunter Tyson")] == ("INACTIVE_GLEAGUE_ON_ASSIGNMENT", None)


def test_boxscore_live_double_overtime() -> None:
    """DERIVED from the real final (no recorded liveData box score went to overtime): two OVERTIME periods
    appended the way liveData lists them, the game's period 6, scores raised to match."""
    doc = json.loads(fixture(CDN_FINAL))
    game = doc["game"]
    game["period"] = 6
    for side, extra in (("homeTeam", (9, 12)), ("awayTeam", (9, 10))):
        for n, pts in zip((5, 6), extra, strict=True):
            game[side]["periods"].append({"period": n, "periodType": "OVERTIME", "score": pts})
        game[side]["score"] += sum(extra)
    s = parse_boxscore_live(doc)["summary"]
    assert (s["overtime_periods"], s["period"], s["final"]) == (2, 6, True)
    assert [p["period_type"] for p in s["home_team"]["periods"]] == ["REGULAR"] * 4 + ["OVERTIME"] * 2
    assert (s["home_team"]["score"], s["away_team"]["score"]) == (118, 121)
    del game["homeTeam"]["periods"]  # without the per-period list the game's period tells
    assert parse_boxscore_live(doc)["summary"]["overtime_periods"] == 2


def test_todays_scoreboard_mixed_states() -> None:
    out = parse_todays_scoreboard(fixture("nbacom_cdn/todaysScoreboard_00_2023-04-20_live.json"))
    assert out["summary"]["game_count"] == 3
    assert (out["summary"]["in_progress_count"], out["summary"]["final_count"]) == (2, 1)
    final = next(r for r in out["records"] if r["game_status"] == 3)
    assert (final["game_id"], final["away_team"], final["away_score"], final["home_score"]) == (
        "0042200123",
        "PHI",
        102,
        97,
    )


def test_schedule_full_season_and_single_date() -> None:
    raw = fixture("nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz")
    season = parse_schedule(raw)["summary"]
    assert (season["season_year"], season["game_count"], season["game_date_count"]) == ("2024-25", 1400, 231)
    day = parse_schedule(raw, game_date="2025-01-15")
    assert day["summary"]["game_count"] == 11
    assert day["summary"]["game_ids"][0] == "0022400561"
    first = day["records"][0]
    # gameDateTimeEst is ET wall-clock time despite its Z suffix; it must not be presented as UTC.
    assert first["game_datetime_et_local"] == "2025-01-15T19:00:00"
    assert first["game_datetime_utc"] == "2025-01-16T00:00:00Z"


def test_schedule_preseason_snapshot() -> None:
    out = parse_schedule(fixture("nbacom_cdn/scheduleLeagueV2_1_2025-26_as_of_2025-07-17.json"))
    assert out["summary"]["game_count"] == 13 and out["summary"]["game_date_count"] == 10
    assert out["records"][0]["game_sub_label"] == "NBA Abu Dhabi Game"


@pytest.mark.parametrize(
    ("parser", "rel"),
    [
        (parse_play_by_play, "nbacom_cdn/playbyplay_0022400561_NYK-PHI_2025-01-15.json"),
        (parse_boxscore_live, "nbacom_cdn/boxscore_0042200123_PHI-BKN_2023-04-20_final.json"),
        (parse_todays_scoreboard, "nbacom_cdn/todaysScoreboard_00_2023-04-20_live.json"),
    ],
)
def test_truncated_json_raises(parser, rel: str) -> None:
    raw = fixture(rel)
    with pytest.raises(ParseError, match="invalid JSON"):
        parser(raw[:-40])


def test_wrong_shapes_raise() -> None:
    with pytest.raises(ParseError, match="missing required key 'game'"):
        parse_play_by_play({"meta": {"code": 200}})
    with pytest.raises(ParseError, match=r"game\.actions must be list"):
        parse_play_by_play({"game": {"gameId": "1", "actions": {}}})
    with pytest.raises(ParseError, match="lacks actionNumber"):
        parse_play_by_play({"game": {"gameId": "1", "actions": [{"period": 1}]}})
    with pytest.raises(ParseError, match="NBA_Player_Movement"):
        parse_player_movement({"rows": []})
    with pytest.raises(ParseError, match="leagueSchedule"):
        parse_schedule({"meta": {}})
    with pytest.raises(ParseError, match="homeTeam"):
        parse_boxscore_live({"game": {"gameId": "1"}})
    with pytest.raises(ParseError, match="gzip"):
        parse_player_movement(fixture("nbacom_cdn/player_movement.json.gz")[:1000])
