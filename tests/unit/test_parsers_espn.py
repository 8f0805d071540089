"""ESPN parsers: scoreboard, team roster, box score page, summary (incl. the recorded 404 body)."""

from __future__ import annotations

import copy
import gzip
import json

import pytest

from shared.parsers import ParseError, UpstreamError
from shared.parsers.espn import (
    nba_tricode,
    parse_game_boxscore_html,
    parse_scoreboard,
    parse_summary,
    parse_team_roster,
)
from tests.conftest import recording as fixture


def test_tricode_mapping() -> None:
    assert [nba_tricode(a) for a in ("GS", "NY", "NO", "SA", "UTAH", "WSH", "PHI")] == [
        "GSW",
        "NYK",
        "NOP",
        "SAS",
        "UTA",
        "WAS",
        "PHI",
    ]


def test_scoreboard_2024_01_15() -> None:
    out = parse_scoreboard(fixture("espn/scoreboard_2024-01-15.json"), date="2024-01-15")
    summary = out["summary"]
    assert summary["event_count"] == 11
    assert summary["event_ids"] == [str(n) for n in range(401585183, 401585194)]
    assert summary["states"] == {"post": 11} and summary["all_final"] is True
    first = out["records"][0]
    assert (first["away_team"], first["home_team"], first["away_score"], first["home_score"]) == (
        "HOU",
        "PHI",
        115,
        124,
    )
    gsw = next(r for r in out["records"] if r["away_abbreviation"] == "GS")
    assert (gsw["away_team"], gsw["home_team"], gsw["home_score"]) == ("GSW", "MEM", 116)
    json.dumps(out)


def test_scoreboard_no_games_day() -> None:
    out = parse_scoreboard(fixture("espn/scoreboard_2025-02-14_no_games.json"))
    assert out["records"] == []
    assert out["summary"]["event_count"] == 0 and out["summary"]["all_final"] is False


def test_scoreboard_pregame_scores_are_not_zero() -> None:
    data = json.loads(fixture("espn/scoreboard_2024-01-15.json"))
    data["events"][0]["competitions"][0]["status"]["type"].update(state="pre", completed=False)
    first = parse_scoreboard(data)["records"][0]
    assert first["state"] == "pre" and first["home_score"] is None


def test_team_roster_celtics() -> None:
    out = parse_team_roster(fixture("espn/team_roster_api_teamid2.json"))
    summary = out["summary"]
    assert (summary["team_id"], summary["team_abbreviation"], summary["team_name"]) == (
        "2",
        "BOS",
        "Boston Celtics",
    )
    assert summary["player_count"] == 17 and summary["injured_count"] == 2
    by_name = {r["name"]: r for r in out["records"]}
    tatum = by_name["Jayson Tatum"]
    assert (tatum["athlete_id"], tatum["jersey"], tatum["position"], tatum["injury_status"]) == (
        "4065648",
        "0",
        "SF",
        "Out",
    )
    brown = by_name["Jaylen Brown"]
    assert (brown["injury_type"], brown["injury_return_date"], brown["height_in"]) == (
        "Knee",
        "2025-10-01",
        78.0,
    )
    assert by_name["Al Horford"]["injury_status"] is None
    json.dumps(out)


def test_boxscore_page_hou_at_phi() -> None:
    out = parse_game_boxscore_html(fixture("espn/game_boxscore_6f34c64b.html.gz"))
    summary = out["summary"]
    assert (summary["event_id"], summary["state"], summary["status"]) == ("401585183", "post", "Final")
    assert (summary["away_team"], summary["away_score"], summary["home_team"], summary["home_score"]) == (
        "HOU",
        115,
        "PHI",
        124,
    )
    assert (summary["player_count"], summary["players_played"]) == (25, 23)
    assert summary["venue"] == "Wells Fargo Center" and summary["attendance"] == 20822
    assert summary["officials"] == ["Ben Taylor", "J.B. DeRosa", "Brent Haskill"]
    by_name = {r["name"]: r for r in out["records"]}
    embiid = by_name["Joel Embiid"]
    assert (embiid["pts"], embiid["fgm"], embiid["fga"], embiid["ftm"], embiid["fta"]) == (41, 12, 21, 16, 17)
    assert embiid["starter"] is True and embiid["team_tricode"] == "PHI" and embiid["plus_minus"] == 7
    bullock = by_name["Reggie Bullock Jr."]
    assert bullock["played"] is False and bullock["dnp_reason"] == "DNP-COACH'S DECISION"
    assert sum(r["pts"] for r in out["records"] if r["team_tricode"] == "PHI" and r["played"]) == 124
    json.dumps(out)


def test_boxscore_page_errors() -> None:
    with pytest.raises(ParseError, match="__espnfitt__"):
        parse_game_boxscore_html("<html><body>Page not found</body></html>")
    html = gzip.decompress(fixture("espn/game_boxscore_6f34c64b.html.gz"))
    start = html.index(b"window['__espnfitt__']")
    with pytest.raises(ParseError, match="invalid"):
        parse_game_boxscore_html(html[: start + 20000])
    with pytest.raises(ParseError, match="gamepackage"):
        parse_game_boxscore_html("<script>window['__espnfitt__']={\"page\": {}};</script>")


def test_summary_404_body_is_upstream_not_found() -> None:
    with pytest.raises(UpstreamError, match="ESPN error 404") as info:
        parse_summary(fixture("espn/summary_event401673394_404_error.json"))
    assert info.value.status == 404
    # The same error document given to another ESPN parser is recognised too.
    with pytest.raises(UpstreamError):
        parse_scoreboard(fixture("espn/summary_event401673394_404_error.json"))


def test_summary_synthetic_payload() -> None:
    """No full summary recording exists; this SYNTHETIC payload follows the documented summary shape
    (header.competitions[0] + boxscore.players[].statistics[].athletes[])."""
    payload = {
        "header": {
            "id": "401585183",
            "competitions": [
                {
                    "status": {"type": {"state": "post", "completed": True}},
                    "competitors": [
                        {"homeAway": "home", "score": "124", "team": {"abbreviation": "PHI"}},
                        {"homeAway": "away", "score": "115", "team": {"abbreviation": "HOU"}},
                    ],
                }
            ],
        },
        "boxscore": {
            "players": [
                {
                    "team": {"id": "20", "abbreviation": "PHI"},
                    "statistics": [
                        {
                            "keys": ["minutes", "fieldGoalsMade-fieldGoalsAttempted", "points"],
                            "athletes": [
                                {
                                    "athlete": {"id": "3059318", "displayName": "Joel Embiid"},
                                    "starter": True,
                                    "stats": ["31", "12-21", "41"],
                                },
                                {
                                    "athlete": {"id": "1", "displayName": "Bench Guy"},
                                    "didNotPlay": True,
                                    "reason": "COACH'S DECISION",
                                    "stats": [],
                                },
                            ],
                        }
                    ],
                }
            ]
        },
    }
    out = parse_summary(payload)
    assert out["summary"] == {
        "event_id": "401585183",
        "state": "post",
        "completed": True,
        "home_team": "PHI",
        "away_team": "HOU",
        "home_score": 124,
        "away_score": 115,
        "player_count": 2,
    }
    embiid, bench = out["records"]
    assert (embiid["pts"], embiid["fgm"], embiid["fga"], embiid["played"]) == (41, 12, 21, True)
    assert (bench["played"], bench["dnp_reason"]) == (False, "COACH'S DECISION")
    with pytest.raises(ParseError, match="missing required key 'header'"):
        parse_summary({"boxscore": {}})


def test_malformed_json_inputs_raise() -> None:
    raw = fixture("espn/scoreboard_2024-01-15.json")
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_scoreboard(raw[: len(raw) // 3])
    with pytest.raises(ParseError, match="missing required key 'events'"):
        parse_scoreboard({"leagues": []})
    data = json.loads(raw)
    broken = copy.deepcopy(data)
    broken["events"][0]["competitions"][0]["competitors"].pop()
    with pytest.raises(ParseError, match="one home and one away"):
        parse_scoreboard(broken)
    with pytest.raises(ParseError, match="missing required key 'team'"):
        parse_team_roster({"athletes": []})
    with pytest.raises(ParseError, match="lacks id/displayName"):
        parse_team_roster({"team": {"athletes": [{"id": "1"}]}})
