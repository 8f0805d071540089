"""nbac_injury_report and nbac_gamebook_pdf through the upstream override and the emulators.

Injury report, in both naming eras (hourly names up to 2025-12-22, 15-minute names from 2025-12-23): the
real 2024-01-04 12 PM PDF (every player row with its status); every recording asked for without time
parameters (the newest report due at `as_of`), served at its real URL; the controller's parameters at a
tick of each era; a 403/404 for a report that is due (`failed` / `report_missing`) and for one that is not
yet (`no_data`); an empty report (`no_data`; SYNTHETIC, drawn by the sample day's report writer: no
recording of one exists); a time that cannot exist in its era; bodies that are not PDFs.

Game books: both recordings are damaged (bytes lost in a text round-trip when they were captured): the run
is `failed` / `parse_error` naming that cause and the document, and nothing is stored. The happy path uses
a real PDF built in catalogue_recordings.py from the documented box-score line formats (SYNTHETIC, not a
recording).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest

from shared.adapters import gcs
from shared.config import get_config
from shared.controller.params import resolve
from shared.nba.injury_slots import slot_of
from shared.scrapers import service
from shared.timeutil import et_at
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
from tooling.sample_day.reports import render_injury_report

pytestmark = pytest.mark.emulators
REPORT = {"date": "2024-01-04", "hour": "12", "period": "PM"}
RECORDING = "nba_injury_report/Injury-Report_2024-01-04_12PM.pdf"
INJURY_DIR = "/referee/injury/"
ACCESS_DENIED = '<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code></Error>'
# Every recorded report: its slot (date, hour, period, minute), printed time, players, not yet submitted.
RECORDINGS = {
    "Injury-Report_2024-01-04_12PM.pdf": (("2024-01-04", "12", "PM", None), "2024-01-04T12:30", 14, 29),
    "Injury-Report_2025-01-10_05PM.pdf": (("2025-01-10", "5", "PM", None), "2025-01-10T17:30", 112, 10),
    "Injury-Report_2025-11-01_05PM.pdf": (("2025-11-01", "5", "PM", None), "2025-11-01T17:30", 90, 5),
    "Injury-Report_2026-02-08_03_30PM.pdf": (("2026-02-08", "3", "PM", "30"), "2026-02-08T15:30", 61, 18),
}


QUARTER_TO_4 = {"hour": "3", "minute": "45", "period": "PM"}


def et(day: str, hhmm: str) -> datetime:
    return et_at(date.fromisoformat(day), time.fromisoformat(hhmm))


def serve_recordings(rp, upstream_dir) -> None:
    for name in RECORDINGS:
        rp.add(PDF_HOST, INJURY_DIR + name, file=upstream_dir / "nba_injury_report" / name)


def asked(rp) -> list[str]:
    return [s.path.removeprefix(INJURY_DIR) for s in rp.seen if s.path.startswith(INJURY_DIR)]


def data_name(pdf_name: str) -> str:
    """The parsed JSON's name beside a report's PDF (the catalogue's gcs_data_path)."""
    return pdf_name.replace("injury-report-pdf", "injury-report-data").removesuffix(".pdf") + ".json"


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
    assert (s["report_file"], s["naming_era"]) == ("Injury-Report_2024-01-04_12PM.pdf", "hourly")
    assert gcs.get_metadata(srt, json_name)["role"] == "data"


@pytest.mark.parametrize("name", list(RECORDINGS))
def test_without_time_parameters_the_newest_due_report_in_its_era(srt, rp, upstream_dir, name):
    (day, hour, period, minute), printed, players, waiting = RECORDINGS[name]
    slot = slot_of(date.fromisoformat(day), hour, period, minute)
    serve_recordings(rp, upstream_dir)
    req = request("nbac_injury_report", {}, as_of=slot.due + timedelta(minutes=10))  # no date either
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", players) and asked(rp) == [name]
    s = outcome.summary
    assert (s["report_datetime_et"], s["not_yet_submitted_count"], s["report_file"]) == (printed, waiting, name)
    assert s["naming_era"] == ("15-minute" if minute else "hourly") and s["anomalies"] == []
    assert outcome.object_name.startswith(f"nba-com/injury-report-pdf/{day}/{slot.local.hour:02d}/")
    json_name = data_name(outcome.object_name)
    check_run(srt, outcome, req, stored=(upstream_dir / "nba_injury_report" / name).read_bytes(), extra=(json_name,))
    doc = json.loads(gcs.read_object(srt, json_name))
    assert doc["summary"]["report_datetime_et"] == printed and len(doc["records"]) == players


@pytest.mark.parametrize(
    ("tick", "name"),
    [
        (et("2024-01-04", "13:00"), "Injury-Report_2024-01-04_12PM.pdf"),
        (et("2025-11-01", "18:00"), "Injury-Report_2025-11-01_05PM.pdf"),
        (et("2026-02-08", "15:45"), "Injury-Report_2026-02-08_03_30PM.pdf"),
    ],
    ids=["hourly_2023_24", "hourly_2025_26", "15_minute"],
)
def test_the_controller_asks_for_the_right_name_in_both_eras(rp, upstream_dir, tmp_path, tick, name):
    """The parameters the controller publishes at `tick` (injury discovery: shared.controller.params)."""
    serve_recordings(rp, upstream_dir)
    cfg = get_config()
    (planned,) = resolve(cfg, "nbac_injury_report", day=tick.astimezone(cfg.timezone).date(), tick=tick)
    out = service.run_local(request("nbac_injury_report", dict(planned.params), as_of=tick), tmp_path)
    assert (out.status, asked(rp)) == ("success", [name])
    assert out.summary["report_datetime_et"] == RECORDINGS[name][1]


@pytest.mark.parametrize("status", [403, 404])
@pytest.mark.parametrize(
    ("params", "as_of", "name"),
    [
        ({"date": "2025-01-10", "hour": "4", "period": "PM"}, et("2025-01-10", "18:00"), "2025-01-10_04PM"),
        # an hourly time after the switch: the 15-minute name of its hour, never the dead hourly one
        ({"date": "2026-02-08", "hour": "3", "period": "PM"}, et("2026-02-08", "16:00"), "2026-02-08_03_00PM"),
    ],
    ids=["hourly", "15_minute"],
)
def test_a_due_report_that_answers_403_or_404_is_a_failed_run(srt, rp, status, params, as_of, name):
    rp.add(PDF_HOST, f"{INJURY_DIR}Injury-Report_{name}.pdf", status=status, body=ACCESS_DENIED)
    rp.add(PDF_HOST, f"{INJURY_DIR}Injury-Report_2026-02-08_03PM.pdf", status=403, body=ACCESS_DENIED)
    req = request("nbac_injury_report", params, as_of=as_of)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", "report_missing", None)
    assert f"Injury-Report_{name}.pdf answered {status}" in outcome.error_message
    assert "should be online since" in outcome.error_message and asked(rp) == [f"Injury-Report_{name}.pdf"]
    assert outcome.summary["http"]["status"] == status
    check_run(srt, outcome, req)


@pytest.mark.parametrize(
    ("params", "as_of", "name"),
    [
        # printed 5:30 PM, due when the 6 PM slot begins
        ({"date": "2025-01-10", "hour": "5", "period": "PM"}, et("2025-01-10", "17:55"), "2025-01-10_05PM"),
        ({**QUARTER_TO_4, "date": "2026-02-08"}, et("2026-02-08", "15:59"), "2026-02-08_03_45PM"),
        ({"date": "2026-02-09"}, et("2026-02-08", "15:59"), "2026-02-09_12_00AM"),  # a date to come: its first
    ],
    ids=["hourly", "15_minute", "date_to_come"],
)  # fmt: skip
def test_a_report_not_due_yet_that_answers_403_is_no_data(srt, rp, params, as_of, name):
    rp.add(PDF_HOST, f"{INJURY_DIR}Injury-Report_{name}.pdf", status=403, body=ACCESS_DENIED)
    req = request("nbac_injury_report", params, as_of=as_of)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("no_data", None, None)
    assert asked(rp) == [f"Injury-Report_{name}.pdf"]
    check_run(srt, outcome, req)


def test_an_empty_report_is_no_data_and_kept(srt, rp):
    """SYNTHETIC: a report of a day without games (its title and no row), drawn by the sample day's writer."""
    pdf = render_injury_report(datetime(2026, 2, 14, 22, 0, tzinfo=UTC), [])  # 5:00 PM ET
    rp.add(PDF_HOST, f"{INJURY_DIR}Injury-Report_2026-02-14_05_00PM.pdf", body=pdf, content_type="application/pdf")
    req = request("nbac_injury_report", {"date": "2026-02-14", "hour": "5", "minute": "00", "period": "PM"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.error_type) == ("no_data", 0, None)
    assert (outcome.summary["report_datetime_et"], outcome.summary["game_count"]) == ("2026-02-14T17:00", 0)
    check_run(srt, outcome, req, stored=pdf, extra=(data_name(outcome.object_name),))


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date": "2024-01-04", "hour": "5", "minute": "30", "period": "PM"}, "are hourly"),
        ({"date": "2026-02-08", "hour": "5", "minute": "10", "period": "PM"}, "every 15 minutes"),
        ({"date": "2026-02-08", "hour": "5"}, "hour and period go together"),
    ],
)
def test_a_report_time_that_cannot_exist_is_an_invalid_request(rp, tmp_path, params, message):
    out = service.run_local(request("nbac_injury_report", params), tmp_path)
    assert (out.status, out.error_type) == ("failed", "invalid_parameter") and message in out.error_message
    assert rp.seen == []


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
