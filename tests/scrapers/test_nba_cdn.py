"""nbac_play_by_play (cdn.nba.com liveData) on the real NYK@PHI 2025-01-15 recording through the upstream
override and the emulators, plus "not published yet" (403/404 = no_data) and malformed answers."""

from __future__ import annotations

import pytest

from shared.scrapers import service
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import CDN, check_run
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
