"""nbac_injury_report and nbac_gamebook_pdf through the upstream override and the emulators.

Injury report: the real 2024-01-04 12 PM PDF (every player row with its status), the newer `_hh_mm` URL
form, "not published yet" (403/404 = no_data even though the catalogue counts an empty report as
success) and bodies that are not PDFs. Game books: both recordings are damaged (bytes lost in a text
round-trip when they were captured): the run is `failed` / `parse_error` naming that cause and the
document, and nothing is stored. The happy path uses a real PDF built in catalogue_recordings.py from the
documented box-score line formats (SYNTHETIC, not a recording).
"""

from __future__ import annotations

import json

import pytest

from shared.adapters import gcs
from shared.scrapers import service
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import (
    BOOKS,
    GAMEBOOK_LINES,
    GAMEBOOK_SYNTHETIC,
    INJURY_PATH,
    PDF_HOST,
    check_run,
    text_pdf,
)
from tests.scrapers.conftest import request

pytestmark = pytest.mark.emulators
REPORT = {"date": "2024-01-04", "hour": "12", "period": "PM"}
RECORDING = "nba_injury_report/Injury-Report_2024-01-04_12PM.pdf"

# Every player row of the recorded report: (matchup, team, player, status, reason).
PLAYER_ROWS = [
    ("MIL@SAS", "San Antonio Spurs", "Barlow, Dominick", "Questionable", "G League - Two-Way"),
    ("MIL@SAS", "San Antonio Spurs", "Bassey, Charles", "Out", "Injury/Illness - Left Acl; Tear"),
    ("MIL@SAS", "San Antonio Spurs", "Branham, Malaki", "Doubtful", "Injury/Illness - Right Ankle; Sprain"),
    ("MIL@SAS", "San Antonio Spurs", "Cissoko, Sidy", "Out", "G League - On Assignment"),
    ("MIL@SAS", "San Antonio Spurs", "Collins, Zach", "Out", "Injury/Illness - Right Ankle; Sprain"),
    ("MIL@SAS", "San Antonio Spurs", "Diakite, Mamadi", "Questionable", "G League - Two-Way"),
    ("MIL@SAS", "San Antonio Spurs", "Duke Jr., David", "Out", "G League - Two-Way"),
    ("MIL@SAS", "San Antonio Spurs", "McDermott, Doug", "Out", "Injury/Illness - Right Forearm; Contusion"),
    ("DEN@GSW", "Denver Nuggets", "Cancar, Vlatko", "Out", "Injury/Illness - Left Knee; Surgery"),
    ("DEN@GSW", "Denver Nuggets", "Jackson, Reggie", "Probable", "Injury/Illness - Left Calf; Tightness"),
    ("DEN@GSW", "Denver Nuggets", "Pickett, Jalen", "Out", "G League - On Assignment"),
    ("DEN@GSW", "Denver Nuggets", "Tyson, Hunter", "Out", "G League - On Assignment"),
    ("DEN@GSW", "Golden State Warriors", "Green, Draymond", "Out", "League Suspension"),
    ("DEN@GSW", "Golden State Warriors", "Payton II, Gary", "Out", "Injury/Illness - Left Hamstring; Strain"),
]


def test_injury_report_every_player_row_with_its_status(srt, rp, upstream_dir):
    req = request("nbac_injury_report", REPORT)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 14)
    pdf_name = "nba-com/injury-report-pdf/2024-01-04/12/20240125_040000.pdf"
    json_name = "nba-com/injury-report-data/2024-01-04/12/20240125_040000.json"
    assert outcome.object_name == pdf_name and rp.seen[-1].path == INJURY_PATH
    check_run(srt, outcome, req, stored=(upstream_dir / RECORDING).read_bytes(), extra=(json_name,))
    assert gcs.bucket(srt).get_blob(pdf_name).content_type == "application/pdf"

    doc = json.loads(gcs.read_object(srt, json_name))
    rows = [(r["matchup"], r["team"], r["player"], r["status"], r["reason"]) for r in doc["records"]]
    assert rows == PLAYER_ROWS
    assert all(r["game_date"] and r["game_time"] for r in doc["records"])
    assert {r["game_time"] for r in doc["records"]} == {"07:30 (ET)", "10:00 (ET)"}
    assert len(doc["not_submitted"]) == 29 and {r["status"] for r in doc["not_submitted"]} == {"NOT_YET_SUBMITTED"}
    s = doc["summary"]
    assert s["status_counts"] == {"Out": 10, "Questionable": 2, "Doubtful": 1, "Probable": 1}
    assert (s["report_datetime_et"], s["requested_report"]) == ("2024-01-04T12:30", "2024-01-04 12:00 PM")
    assert gcs.get_metadata(srt, json_name)["role"] == "data"


def test_injury_report_newer_url_form_with_minutes(rp, upstream_dir, tmp_path):
    rp.add(PDF_HOST, "/referee/injury/Injury-Report_2024-01-04_05_30PM.pdf", file=upstream_dir / RECORDING)
    params = {"date": "2024-01-04", "hour": "5", "minute": "30", "period": "PM"}
    out = service.run_local(request("nbac_injury_report", params), tmp_path)
    assert (out.status, out.record_count) == ("success", 14)
    assert out.object_name == "nba-com/injury-report-pdf/2024-01-04/17/20240125_040000.pdf"
    assert rp.seen[-1].path == "/referee/injury/Injury-Report_2024-01-04_05_30PM.pdf"


@pytest.mark.parametrize("status", [403, 404])
def test_a_report_not_yet_published_is_no_data(srt, rp, status):
    rp.add(
        PDF_HOST, "/referee/injury/Injury-Report_2024-01-04_01PM.pdf", status=status, body="<Error>AccessDenied</Error>"
    )
    req = request("nbac_injury_report", {"date": "2024-01-04", "hour": "1", "period": "PM"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.gcs_path) == ("no_data", None)
    assert rp.hits(PDF_HOST) == 1
    check_run(srt, outcome, req)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(body="<html><body>Service Unavailable</body></html>", content_type="text/html"), "not a PDF"),
        (Reply(body=b""), "empty body"),
        (Reply(body=b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Cat"), "PDF"),
    ],
    ids=["html_error_page", "empty", "truncated_pdf"],
)
def test_injury_report_bodies_that_are_not_readable_pdfs(srt, rp, reply, message):
    rp.add(PDF_HOST, "/referee/injury/Injury-Report_2024-01-04_02PM.pdf", replies=[reply])
    req = request("nbac_injury_report", {"date": "2024-01-04", "hour": "2", "period": "PM"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", "parse_error", None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)


@pytest.mark.parametrize(
    ("code", "title"),
    [("20240410/MEMCLE", "Box Score Grizzlies - Cavaliers"), ("20211008/MILBKN", "Box Score Bucks - Nets")],
)
def test_recorded_gamebooks_are_damaged_so_the_run_fails_naming_the_cause(srt, rp, code, title):
    req = request("nbac_gamebook_pdf", {"game_code": code})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", "parse_error", None)
    assert "round-trip" in outcome.error_message and title in outcome.error_message
    check_run(srt, outcome, req)  # nothing stored: statsdmz keeps game books, a rerun refetches


def test_gamebook_pdf_and_parsed_json_beside_it(srt, rp):
    req = request("nbac_gamebook_pdf", {"game_code": "20240411/MEMCLE"})  # date taken from the game code
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 6)
    pdf_name = "nba-com/gamebooks-pdf/2024-04-11/20240411-MEMCLE/20240125_040000.pdf"
    json_name = "nba-com/gamebooks-data/2024-04-11/20240411-MEMCLE/20240125_040000.json"
    assert outcome.object_name == pdf_name and rp.seen[-1].path == GAMEBOOK_SYNTHETIC
    check_run(srt, outcome, req, stored=text_pdf(GAMEBOOK_LINES), extra=(json_name,))
    doc = json.loads(gcs.read_object(srt, json_name))
    s = doc["summary"]
    assert (s["game_date"], s["away_team"], s["home_team"], s["attendance"]) == (
        "2024-04-11",
        "Memphis Grizzlies",
        "Cleveland Cavaliers",
        19432,
    )
    assert [o["name"] for o in s["officials"]] == ["Kevin Scott", "Brent Barnaky", "Nate Green"]
    by_name = {r["name"]: r for r in doc["records"]}
    assert by_name["Jake LaRavia"]["stats"]["points"] == 32 and by_name["Morant"]["status"] == "inactive"
    assert by_name["Marcus Morris Sr."]["dnp_code"] == "DNP"


@pytest.mark.parametrize("status", [403, 404])
def test_a_gamebook_not_published_yet_is_no_data(srt, rp, status):
    rp.add(BOOKS, "/pdfs/20250115/20250115_NYKPHI_book.pdf", status=status, body="Not Found")
    req = request("nbac_gamebook_pdf", {"game_code": "20250115/NYKPHI", "date": "2025-01-15"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.gcs_path) == ("no_data", None)
    check_run(srt, outcome, req)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        pytest.param(Reply(body=b""), "empty body", id="empty"),
        pytest.param(Reply(body="<html>Maintenance</html>", content_type="text/html"), "not a PDF", id="html"),
        pytest.param(Reply(body=text_pdf(["Page 1 of 1", "nothing here"])), "does not look like", id="not_a_book"),
    ],
)
def test_gamebook_bodies_that_are_not_game_books(srt, rp, reply, message):
    rp.add(BOOKS, "/pdfs/20250116/20250116_BOSLAL_book.pdf", replies=[reply])
    req = request("nbac_gamebook_pdf", {"game_code": "20250116/BOSLAL"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", "parse_error", None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)


def test_gamebook_date_must_be_the_game_codes(rp, tmp_path):
    out = service.run_local(
        request("nbac_gamebook_pdf", {"game_code": "20240411/MEMCLE", "date": "2024-04-12"}), tmp_path
    )
    assert (out.status, out.error_type) == ("failed", "invalid_parameter") and rp.seen == []
    out = service.run_local(request("nbac_gamebook_pdf", {"game_code": "2024-04-11/MEMCLE"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "invalid_parameter")
