"""The `scrapers` Cloud Function end to end: functions-framework in its own process, fed by a push
subscription from the Pub/Sub emulator, upstream answered by the replay server through the override."""

from __future__ import annotations

import json
import time

import pytest

from shared.adapters import gcs
from shared.adapters.pubsub import publish
from tests.functions_harness import FunctionProcess, LogTail, function_env, wait_for, wire
from tests.replay import Reply
from tests.scrapers.conftest import BDL_KEY, ODDS_KEY, completions, data_objects, request, rows

pytestmark = pytest.mark.emulators


def test_function_runs_requests_and_their_follow_ups_and_redelivery_recovers_a_5xx(srt, replay, upstream_dir, tmp_path):
    odds = "api.the-odds-api.com"
    for event in ("f137689983933840bf2f2a91278eb03b", "071ee3e84d6e3ecce12d8c5e4ab4da0b"):
        replay.add(odds, f"/v4/sports/basketball_nba/events/{event}/odds", status=204)  # no odds yet
    box = upstream_dir / "balldontlie/box_scores_2024-01-15.json"
    # Three 500s exhaust the in-process retries of the first delivery; the redelivery gets the answer.
    replay.add(
        "api.balldontlie.io",
        "/v1/box_scores",
        query={"date": "2024-01-15"},
        replies=[Reply(500, body="busy")] * 3 + [Reply(file=box)],
    )
    env = function_env(srt, BALLDONTLIE_API_KEY=BDL_KEY, ODDS_API_KEY=ODDS_KEY, NBA_ORCH_HTTP_BACKOFF_SCALE="0.001")
    with FunctionProcess("scrapers", env=env, log_path=tmp_path / "scrapers.log") as fn:
        wire(srt, fn, "scraper_requests", min_backoff=1, max_backoff=2)
        events = request("oddsa_events", {"date": "2024-01-24"})
        box_req = request("bdl_box_scores", {"date": "2024-01-15"})
        for req in (events, box_req):
            publish(srt, "scraper_requests", json.dumps(req.to_json()).encode(), req.attributes())

        # 1 events run + 6 released (props and lines of the 3 games of the ET day) + the box scores.
        found = wait_for(lambda: (r := rows(srt)) and len(r) >= 8 and r, what="8 rows")
        time.sleep(1.0)
        assert len(rows(srt)) == 8  # no duplicate row, even with the follow-ups' copies on the pull sub
    by_name: dict[str, list] = {}
    for row in found:
        by_name.setdefault(row["scraper_name"], []).append(row)
    assert {k: len(v) for k, v in by_name.items()} == {
        "oddsa_events": 1,
        "oddsa_player_props": 3,
        "oddsa_game_lines": 3,
        "bdl_box_scores": 1,
    }
    assert all(r["status"] == "success" for r in found)
    assert {r["source"] for r in by_name["oddsa_player_props"]} == {"FOLLOW_UP"}
    (box_row,) = by_name["bdl_box_scores"]
    assert box_row["data_summary"]["game_count"] == 11
    assert replay.hits("api.balldontlie.io", "/v1/box_scores") == 4  # 3 failed attempts, 1 redelivery

    objects = data_objects(srt)
    assert "ball-dont-lie/boxscores/2024-01-15/20240125_040000.json" in objects
    assert "odds-api/events/2024-01-24/20240125_040000.json" in objects
    assert len([o for o in objects if o.startswith("odds-api/game-lines/")]) == 1  # the two 204s wrote nothing
    assert gcs.read_object(srt, "ball-dont-lie/boxscores/2024-01-15/20240125_040000.json") == box.read_bytes()

    notes = completions(srt, expect=8)
    assert len(notes) == 8
    assert {n["message_id"] for n in notes} == {r["notification_message_id"] for r in found}

    log = LogTail(tmp_path / "scrapers.log").read()
    assert any("will redeliver" in line["message"] for line in log)  # the first box-score delivery raised
