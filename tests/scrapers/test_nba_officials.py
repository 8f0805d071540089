"""nbac_referee_assignments (official.nba.com) on the real 2025-01-08 answer through the upstream override
and the emulators: NBA games only in the records and the summary although the answer also lists G League
(and an empty WNBA section); null officials allowed; plus empty, 403/404 and malformed answers."""

from __future__ import annotations

import json

import pytest

from shared.adapters import gcs
from shared.scrapers import service
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import OFFICIALS, check_run
from tests.scrapers.conftest import request

pytestmark = pytest.mark.emulators
PATH = "/wp-json/api/v1/get-game-officials"
RECORDING = "nba_officials/get-game-officials_2025-01-08.json"


def test_recording_keeps_only_nba_games_in_the_summary(srt, rp, upstream_dir):
    req = request("nbac_referee_assignments", {"date": "2025-01-08"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 8)
    assert outcome.object_name == "nba-com/referee-assignments/2025-01-08/20240125_040000.json"
    s = outcome.summary
    assert s["game_count"] == 8 and all(g.startswith("00224005") for g in s["game_ids"])
    assert s["skipped_games"] == {"gl": 3, "wnba": 0}  # other leagues counted, never listed as games
    assert s["official_count"] == 24 and s["games_without_officials"] == 0  # official4 (alternate) is null
    assert s["replay_center_officials"] == ["Brett Nansel", "Jason Goldenberg", "Jenna Schroeder"]
    raw = (upstream_dir / RECORDING).read_bytes()
    check_run(srt, outcome, req, stored=raw)  # the stored file keeps every league as sent
    assert json.loads(gcs.read_object(srt, outcome.object_name))["gl"]["Table"]["rows"]


def test_games_whose_officials_are_not_assigned_yet_are_valid_records(rp, upstream_dir, tmp_path):
    doc = json.loads((upstream_dir / RECORDING).read_bytes())
    for row in doc["nba"]["Table"]["rows"][:3]:
        for slot in (1, 2, 3):
            row[f"official{slot}"] = row[f"official{slot}_code"] = row[f"official{slot}_JNum"] = None
    rp.add(OFFICIALS, PATH, query={"date": "2025-01-09"}, body=json.dumps(doc).replace("01/08/2025", "01/09/2025"))
    out = service.run_local(request("nbac_referee_assignments", {"date": "2025-01-09"}), tmp_path)
    assert (out.status, out.record_count) == ("success", 8)
    assert out.summary["games_without_officials"] == 3 and out.summary["official_count"] == 15


def test_an_answer_without_nba_games_is_an_empty_success(srt, rp):
    # The real answer shape before assignments are published (or on a day without NBA games): empty tables.
    # The catalogue counts an empty answer as success (treat_no_data_as_success), as the system we replace.
    body = json.dumps({"nba": {"Table": {"rows": []}, "Table1": {"rows": []}}, "gl": {"Table": {"rows": []}}})
    rp.add(OFFICIALS, PATH, query={"date": "2025-07-01"}, body=body)
    req = request("nbac_referee_assignments", {"date": "2025-07-01"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 0)
    check_run(srt, outcome, req, stored=body.encode())


@pytest.mark.parametrize(
    ("reply", "error_type", "message"),
    [
        (Reply(403, body="<html>Forbidden</html>"), "http_403", "403"),
        (Reply(404, body='{"code":"rest_no_route","message":"No route was found"}'), "http_404", "404"),
        (Reply(body=b'{"nba": {"Table": {"rows": [{"game_id": "0022'), "parse_error", "invalid JSON"),
        (Reply(body=b'{"code": "rest_no_route"}'), "parse_error", "no 'nba' section"),
        (Reply(body=b""), "parse_error", "empty body"),
    ],
    ids=["403", "404", "truncated", "no_nba_section", "empty"],
)
def test_failures(srt, rp, reply, error_type, message):
    rp.add(OFFICIALS, PATH, query={"date": "2025-01-10"}, replies=[reply])
    req = request("nbac_referee_assignments", {"date": "2025-01-10"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", error_type, None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)


def test_games_of_another_date_are_refused(rp, upstream_dir, tmp_path):
    rp.add(OFFICIALS, PATH, query={"date": "2025-01-11"}, file=upstream_dir / RECORDING)
    out = service.run_local(request("nbac_referee_assignments", {"date": "2025-01-11"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "parse_error") and "2025-01-08" in out.error_message
