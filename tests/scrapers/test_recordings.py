"""Every scraper of this issue on real recordings, through the whole pipeline: replay server (upstream
override) -> scraper -> GCS emulator file -> BigQuery emulator row -> Pub/Sub emulator completion (and the
follow-ups of the events scrapers)."""

from __future__ import annotations

import gzip
import json

import pytest

from shared.adapters import gcs
from shared.contracts import PubSubMessage, decode_scraper_request
from shared.scrapers import core, service
from tests.scrapers.conftest import AS_OF, completions, data_objects, follow_up_messages, request, rows

pytestmark = pytest.mark.emulators
EVENT = "cd0bc7d0c238f4446ce1c03d0cea7ec4"
SNAP = "2024-01-25T03:55:40Z"

# name, params, status, record_count, object name, recordings stored (in page order), summary checks
CASES = [
    (
        "bdl_box_scores",
        {"date": "2024-01-15"},
        "success",
        11,
        "ball-dont-lie/boxscores/2024-01-15/20240125_040000.json",
        ["balldontlie/box_scores_2024-01-15.json"],
        {"game_count": 11, "player_row_count": 384},
    ),
    (
        "bdl_box_scores",
        {"date": "2024-01-16"},
        "no_data",
        0,
        "ball-dont-lie/boxscores/2024-01-16/20240125_040000.json",
        ["balldontlie/box_scores_empty_day.json"],
        {"game_count": 0},
    ),
    (
        "bdl_games",
        {"date": "2025-02-20"},
        "success",
        9,
        "ball-dont-lie/games/2025-02-20/20240125_040000.json",
        ["balldontlie/games_2025-02-20.json"],
        {"game_count": 9},
    ),
    (
        "bdl_active_players",
        {},
        "success",
        100,
        "ball-dont-lie/active-players/2024-01-24/20240125_040000.json",
        ["balldontlie/players_active_page1.json", "balldontlie/box_scores_empty_day.json"],
        {"player_count": 100},
    ),
    (
        "bdl_injuries",
        {},
        "success",
        102,
        "ball-dont-lie/injuries/2024-01-24/20240125_040000.json",
        ["balldontlie/player_injuries_page1_2025-07.json", "balldontlie/player_injuries_bos_2rows.json"],
        {"injury_count": 102},
    ),
    (
        "bdl_standings",
        {"season": "2024"},
        "success",
        30,
        "ball-dont-lie/standings/2024/2024-01-24/20240125_040000.json",
        ["balldontlie/standings_season2024.json"],
        {"conference_leaders": {"East": "CLE", "West": "OKC"}},
    ),
    (
        "bdl_player_box_scores",
        {"date": "2025-06-22"},
        "success",
        30,
        "ball-dont-lie/player-box-scores/2025-06-22/20240125_040000.json",
        ["balldontlie/stats_game18444564_2025-06-22.json"],
        {"game_ids": [18444564], "team_points": {"IND": 91, "OKC": 103}},
    ),
    (
        "oddsa_events_his",
        {"date": "2024-01-24", "snapshot": SNAP},
        "success",
        10,
        "odds-api/events-history/2024-01-24/20240125_040000.json",
        ["odds_api/historical_events_2024-01-25T035540Z.json"],
        {"timestamp": SNAP, "next_timestamp": "2024-01-25T04:00:38Z"},
    ),
    (
        "oddsa_game_lines_his",
        {"date": "2024-01-24", "snapshot": SNAP, "event_id": EVENT, "teams": "ATLGSW"},
        "success",
        8,
        f"odds-api/game-lines-history/2024-01-24/{EVENT}-ATLGSW/20240125_040000-snap-0400.json",
        ["odds_api/historical_event_odds_spreads_totals_ATL-GSW_2024-01-25T035540Z.json"],
        {"bookmakers": ["draftkings", "fanduel"], "markets": ["spreads", "totals"]},
    ),
    (
        "oddsa_player_props_his",
        {"date": "2024-01-24", "snapshot": SNAP, "event_id": EVENT},
        "success",
        8,
        f"odds-api/player-props-history/2024-01-24/{EVENT}-ATLGSW/20240125_040000-snap-0400.json",
        ["odds_api/historical_event_odds_spreads_totals_ATL-GSW_2024-01-25T035540Z.json"],
        {"bookmaker_count": 2},
    ),
    (
        "nbac_schedule_api",
        {"season": "2024-25"},
        "success",
        1400,
        "nba-com/schedule/2024-25/20240125_040000.json",
        ["nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz"],
        {"season": "2024-25", "game_date_count": 231},
    ),
    (
        "nbac_schedule_cdn",
        {},
        "success",
        13,
        "nba-com/schedule/2025-26/20240125_040000.json",
        ["nbacom_cdn/scheduleLeagueV2_1_2025-26_as_of_2025-07-17.json"],
        {"season": "2025-26", "game_types": {"preseason": 13}},
    ),
]


def _recording(upstream_dir, rel: str) -> bytes:
    data = (upstream_dir / rel).read_bytes()
    return gzip.decompress(data) if rel.endswith(".gz") else data


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{c[2]}" for c in CASES])
def test_scraper_on_real_recording(case, srt, replay, upstream_dir):
    name, params, status, count, object_name, files, checks = case
    req = request(name, params)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.object_name) == (status, count, object_name)
    assert not replay.unmatched
    for key, want in checks.items():
        assert outcome.summary[key] == want, key

    # GCS: the answer stored losslessly (pages byte for byte), with the metadata cleanup relies on.
    stored = gcs.read_object(srt, object_name)
    recordings = [_recording(upstream_dir, f) for f in files]
    if outcome.summary["http"]["pages"] > 1 or name in ("bdl_games", "bdl_player_box_scores"):
        doc = json.loads(stored)
        assert doc["page_count"] == len(files)
        assert [json.loads(p) for p in recordings] == doc["pages"]
        for raw in recordings:
            assert raw.strip() in stored
    else:
        assert stored == recordings[0]
    meta = gcs.get_metadata(srt, object_name)
    assert meta["execution_id"] == outcome.execution_id == core.execution_id(req.request_id)
    assert (meta["scraper_name"], meta["request_id"], meta["workflow"]) == (name, req.request_id, "betting_lines")
    assert meta["triggered_at"] == "2024-01-25T04:00:00Z"
    assert data_objects(srt) == [object_name]

    # BigQuery: one row, carrying the completion's message id.
    (row,) = rows(srt)
    assert (row["execution_id"], row["status"], row["scraper_name"]) == (outcome.execution_id, status, name)
    assert row["gcs_path"] == f"gs://{srt.bucket}/{object_name}" == outcome.gcs_path
    assert row["triggered_at"] == AS_OF and row["completed_at"] >= AS_OF
    assert row["source"] == "CONTROLLER" and row["data_summary"]["record_count"] == count

    # Pub/Sub: one completion.
    (note,) = completions(srt)
    assert note["message_id"] == row["notification_message_id"] == outcome.notification_message_id
    assert note["attributes"] == {
        "scraper_name": name,
        "status": status,
        "execution_id": outcome.execution_id,
        "workflow": "betting_lines",
    }
    assert note["body"]["gcs_path"] == outcome.gcs_path and note["body"]["record_count"] == count


def test_events_release_one_props_and_one_lines_request_per_event(srt, replay):
    outcome = service.execute(srt, request("oddsa_events", {"date": "2024-01-24"}))
    assert (outcome.status, outcome.record_count) == ("success", 10)
    sent = replay.seen[-1]
    assert sent.query["commenceTimeFrom"] == "2024-01-24T05:00:00Z"
    assert sent.query["commenceTimeTo"] == "2024-01-25T04:59:59Z"
    (row,) = rows(srt)
    assert row["data_summary"]["quota"] == {"requests_remaining": 19880, "requests_used": 120, "requests_last": 1}
    msgs = follow_up_messages(srt, expect=6)
    assert len(msgs) == 6
    decoded = [
        decode_scraper_request(PubSubMessage(json.dumps(m).encode(), {}, "1", AS_OF)) for m in msgs
    ]  # the real decoder accepts what we publish
    assert sorted(r.request_id for r in decoded) == sorted(f.request_id for f in outcome.follow_ups)
    by_event = {}
    for r in decoded:
        by_event.setdefault(r.params["event_id"], set()).add(r.scraper_name)
        assert r.source == "FOLLOW_UP" and r.workflow == "betting_lines" and r.as_of == AS_OF
    assert by_event == {e: {"oddsa_player_props", "oddsa_game_lines"} for e in outcome.summary["event_ids_on_date"]}
    teams = {r.params["event_id"]: r.params["teams"] for r in decoded}
    assert teams[EVENT] == "ATLGSW"

    # ...and a released request runs: the live game lines of ATL@GSW.
    lines = next(r for r in decoded if r.scraper_name == "oddsa_game_lines" and r.params["event_id"] == EVENT)
    child = service.execute(srt, lines)
    assert child.status == "success" and child.record_count == 8
    assert child.object_name == f"odds-api/game-lines/2024-01-24/{EVENT}-ATLGSW/20240125_040000-snap-0400.json"


def test_player_props_204_is_a_valid_empty_answer(srt, replay):
    replay.add("api.the-odds-api.com", "/v4/sports/basketball_nba/events/abcdef0123456789/odds", status=204)
    req = request("oddsa_player_props", {"event_id": "abcdef0123456789", "date": "2024-01-24"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.gcs_path) == ("success", 0, None)
    assert data_objects(srt) == []
    (row,) = rows(srt)
    assert row["status"] == "success" and row["data_summary"]["no_content"] is True
    (note,) = completions(srt)
    assert note["body"]["gcs_path"] is None and note["body"]["status"] == "success"
