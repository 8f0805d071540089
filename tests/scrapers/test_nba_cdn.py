"""cdn.nba.com liveData scrapers through the upstream override and the emulators: nbac_play_by_play on the
real NYK@PHI 2025-01-15 recording, nbac_cdn_boxscore on the real PHI@BKN final and DEN@OKC pregame answers,
plus "not published yet" (403/404 = no_data) and malformed answers."""

from __future__ import annotations

import json

import pytest

from shared.scrapers import service
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import (
    CDN,
    CDN_BOX,
    CDN_BOX_FINAL,
    CDN_BOX_PREGAME,
    CDN_FINAL_GAME,
    CDN_PREGAME_GAME,
    check_run,
)
from tests.scrapers.conftest import request

pytestmark = pytest.mark.emulators
PBP = "/static/json/liveData/playbyplay/playbyplay_{}.json"
RECORDING = "nbacom_cdn/playbyplay_0022400561_NYK-PHI_2025-01-15.json"


def test_recording_through_the_pipeline(srt, rp, upstream_dir):
    req = request("nbac_play_by_play", {"game_id": "0022400561", "date": "2025-01-15", "gamedate": "20250115"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 506)
    assert outcome.object_name == "nba-com/play-by-play/2025-01-15/game-0022400561/20240125_040000.json"
    s = outcome.summary
    assert (s["game_id"], s["final_period"], s["overtime_periods"], s["has_game_end"]) == ("0022400561", 5, 1, True)
    assert rp.seen[-1].headers["origin"] == "https://www.nba.com"
    check_run(srt, outcome, req, stored=(upstream_dir / RECORDING).read_bytes())


@pytest.mark.parametrize("status", [403, 404])
def test_a_game_without_its_file_yet_is_no_data(srt, rp, status):
    # What the CDN answers before tip-off (S3/Akamai AccessDenied or NoSuchKey).
    rp.add(CDN, PBP.format("0022400600"), status=status, body="<Error><Code>AccessDenied</Code></Error>")
    req = request("nbac_play_by_play", {"game_id": "0022400600", "date": "2025-01-20"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.gcs_path) == ("no_data", 0, None)
    assert outcome.summary["http"]["status"] == status
    check_run(srt, outcome, req)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(body=b'{"meta": {"version": 1}, "game": {"gameId": "0022400601", "acti'), "invalid JSON"),
        (Reply(body=b'{"meta": {"version": 1, "code": 200}}'), "missing required key 'game'"),
        (Reply(body=b""), "empty body"),
    ],
    ids=["truncated", "no_game", "empty"],
)
def test_malformed_answers_are_parse_errors(srt, rp, reply, message):
    rp.add(CDN, PBP.format("0022400601"), replies=[reply])
    req = request("nbac_play_by_play", {"game_id": "0022400601", "date": "2025-01-20"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", "parse_error", None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)


def test_the_answer_must_be_the_requested_game_and_dates_must_agree(rp, upstream_dir, tmp_path):
    rp.add(CDN, PBP.format("0022400562"), file=upstream_dir / RECORDING)
    out = service.run_local(request("nbac_play_by_play", {"game_id": "0022400562", "date": "2025-01-15"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "parse_error") and "0022400561" in out.error_message
    params = {"game_id": "0022400561", "date": "2025-01-15", "gamedate": "20250116"}
    out = service.run_local(request("nbac_play_by_play", params), tmp_path)
    assert (out.status, out.error_type) == ("failed", "invalid_parameter")
    # nothing stored under the wrong date or game: the rejected answers are only kept in quarantine
    kept = {p.relative_to(tmp_path).parts[:2] for p in tmp_path.rglob("*") if p.is_file()}
    assert kept == {("_nba-orch", "quarantine")}


# ---- nbac_cdn_boxscore ------------------------------------------------------------------------------------


def test_cdn_box_score_final_through_the_pipeline(srt, rp, upstream_dir):
    req = request("nbac_cdn_boxscore", {"game_id": CDN_FINAL_GAME, "date": "2023-04-20"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 30)
    assert outcome.object_name == f"nba-com/cdn-boxscore/2023-04-20/game-{CDN_FINAL_GAME}/20240125_040000.json"
    s = outcome.summary
    assert (s["final"], s["game_status_text"], s["overtime_periods"]) == (True, "Final", 0)
    assert (s["away_team"]["team_tricode"], s["away_team"]["score"], s["home_team"]["score"]) == ("PHI", 102, 97)
    assert s["player_points"] == {"PHI": 102, "BKN": 97}
    assert {(x["name"], x["not_playing_reason"]) for x in s["not_playing"]} == {
        ("Ben Simmons", "INACTIVE_INJURY"),
        ("Danuel House Jr.", "DNP_INJURY"),
    }
    assert rp.seen[-1].headers["origin"] == "https://www.nba.com"
    check_run(srt, outcome, req, stored=(upstream_dir / "nbacom_cdn" / CDN_BOX_FINAL).read_bytes())


def test_cdn_box_score_before_tip_off_is_no_data_not_a_final(srt, rp, upstream_dir):
    req = request("nbac_cdn_boxscore", {"game_id": CDN_PREGAME_GAME, "date": "2024-01-31"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("no_data", 0)
    s = outcome.summary
    assert (s["final"], s["game_status"]) == (False, 1)
    assert s["not_final"] == "not final yet: game status 1 (pregame, before tip-off)"
    assert s["inactive_count"] == 8  # who will not dress is known before the game
    check_run(srt, outcome, req, stored=(upstream_dir / "nbacom_cdn" / CDN_BOX_PREGAME).read_bytes())


def test_cdn_box_score_overtime_game_in_play_then_final(rp, upstream_dir, tmp_path):
    """DERIVED from the real final (no recorded liveData box score went to overtime): the same game in its
    second overtime (gameStatus 2: no_data, fetched again later), then final after two overtimes."""
    doc = json.loads((upstream_dir / "nbacom_cdn" / CDN_BOX_FINAL).read_bytes())
    game = doc["game"]
    game["gameId"], game["period"] = "0042200124", 6
    for side in ("homeTeam", "awayTeam"):
        game[side]["periods"] += [{"period": n, "periodType": "OVERTIME", "score": 0} for n in (5, 6)]
    live = json.loads(json.dumps(doc))
    live["game"].update(gameStatus=2, gameStatusText="OT2 1:12")
    rp.add(CDN, CDN_BOX.format("0042200124"), replies=[Reply(body=json.dumps(live)), Reply(body=json.dumps(doc))])
    req = request("nbac_cdn_boxscore", {"game_id": "0042200124", "date": "2023-04-22"})
    first = service.run_local(req, tmp_path / "live")
    assert (first.status, first.summary["overtime_periods"]) == ("no_data", 2)
    assert first.summary["not_final"] == "not final yet: game status 2 (OT2 1:12, in play)"
    final = service.run_local(req, tmp_path / "final")
    assert (final.status, final.record_count, final.summary["overtime_periods"]) == ("success", 30, 2)
    assert [p["period_type"] for p in final.summary["away_team"]["periods"]][-2:] == ["OVERTIME", "OVERTIME"]


@pytest.mark.parametrize("status", [403, 404])
def test_cdn_box_score_not_published_yet_is_no_data(srt, rp, upstream_dir, status):
    rp.add(
        CDN,
        CDN_BOX.format("0029999999"),
        status=status,
        file=upstream_dir / "nbacom_cdn/playbyplay_0029999999_error_403_s3_AccessDenied.xml",
    )
    req = request("nbac_cdn_boxscore", {"game_id": "0029999999", "date": "2025-01-20"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.gcs_path) == ("no_data", 0, None)
    check_run(srt, outcome, req)


def test_cdn_box_score_of_another_game_is_refused(rp, upstream_dir, tmp_path):
    rp.add(CDN, CDN_BOX.format("0042200125"), file=upstream_dir / "nbacom_cdn" / CDN_BOX_FINAL)
    out = service.run_local(request("nbac_cdn_boxscore", {"game_id": "0042200125", "date": "2023-04-22"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "parse_error") and CDN_FINAL_GAME in out.error_message
