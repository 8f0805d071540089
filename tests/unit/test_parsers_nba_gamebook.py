"""NBA gamebook PDF parser.

Both recorded gamebooks (MEM@CLE 2024-04-10 and MIL@BKN 2021-10-08, as their document titles say) are
damaged: the capture saved them through a text decode/encode round-trip, so every byte that was not
valid UTF-8 is gone (17,543 bytes kept of a 26,658-byte file per its startxref) and no content stream
decompresses. The real-file tests therefore assert what is still readable (document info) and that
the parser reports the damage precisely. The text grammar is tested on a SYNTHETIC box score, built in
this file as a real PDF and modelled on the documented gamebook line formats - it is not a recording.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.parsers import ParseError
from shared.parsers.nba_gamebook import gamebook_pdf_info, parse_gamebook_pdf, parse_gamebook_text
from tooling.sample_day.pdf import lines_pdf

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "upstream"

# Synthetic sample (not a recording), following the documented line formats of the box score page.
SAMPLE_LINES = [
    "Wednesday, April 10, 2024 Rocket Mortgage FieldHouse, Cleveland, OH",
    "Officials: #24 Kevin Scott, #36 Brent Barnaky, #41 Nate Green",
    "Game Duration: 2:10",
    "Attendance: 19432 (Sellout)",
    "VISITOR: Memphis Grizzlies (27-54)",
    "45 GG Jackson F 35:42 7 21 2 10 6 6 0 2 2 2 2 2 1 1 -13 22",
    "4 Jake LaRavia F 40:00 10 18 8 11 4 5 1 6 7 1 1 2 5 1 -16 32",
    "7 Santi Aldama NWT - Injury/Illness - Right Foot; Strain",
    "Inactive: Grizzlies - Morant (Injury/Illness - Right Shoulder; Labral Repair), Bane (Injury/Illness -",
    "Left Ankle; Sprain)",
    "HOME: Cleveland Cavaliers (48-33)",
    "45 Donovan Mitchell G 33:36 9 17 5 10 6 7 1 3 4 8 2 3 3 1 2 29",
    "4 Evan Mobley F 31:27 4 10 2 4 2 2 3 9 12 1 1 3 4 4 12 12",
    "23 Marcus Morris Sr. DNP - Coach's Decision",
    "Inactive: Cavaliers - Nance ()",
]


def fixture(rel: str) -> bytes:
    path = FIXTURES / rel
    if not path.is_file():
        pytest.skip(f"upstream fixture missing: {path}")
    return path.read_bytes()


def make_text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with one text line per entry (the project's own PDF writer)."""
    return lines_pdf(lines)


@pytest.mark.parametrize(
    ("rel", "title", "away", "home", "created"),
    [
        (
            "nba_gamebook/gamebook_0173bcd1.pdf",
            "Box Score Grizzlies - Cavaliers",
            "Grizzlies",
            "Cavaliers",
            "2024-04-11T01:40:45",
        ),
        (
            "nba_gamebook/gamebook_d8072441.pdf",
            "Box Score Bucks - Nets",
            "Bucks",
            "Nets",
            "2021-10-09T01:58:23",
        ),
    ],
)
def test_recorded_gamebook_document_info(rel: str, title: str, away: str, home: str, created: str) -> None:
    info = gamebook_pdf_info(fixture(rel))
    assert info == {
        "title": title,
        "away_team_nickname": away,
        "home_team_nickname": home,
        "creator": "wkhtmltopdf 0.12.5",
        "created": created,
        "page_count": 1,
    }


@pytest.mark.parametrize("rel", ["nba_gamebook/gamebook_0173bcd1.pdf", "nba_gamebook/gamebook_d8072441.pdf"])
def test_recorded_gamebooks_are_reported_as_text_mangled(rel: str) -> None:
    with pytest.raises(ParseError, match=r"1 of 1 page content streams do not decompress.*round-trip"):
        parse_gamebook_pdf(fixture(rel))


def test_synthetic_pdf_end_to_end() -> None:
    out = parse_gamebook_pdf(make_text_pdf(SAMPLE_LINES))
    summary = out["summary"]
    assert summary["page_count"] == 1
    assert summary["game_date"] == "2024-04-10"
    assert (summary["arena"], summary["location"]) == ("Rocket Mortgage FieldHouse", "Cleveland, OH")
    assert summary["officials"] == [
        {"number": 24, "name": "Kevin Scott"},
        {"number": 36, "name": "Brent Barnaky"},
        {"number": 41, "name": "Nate Green"},
    ]
    assert (summary["attendance"], summary["attendance_note"], summary["game_duration"]) == (
        19432,
        "Sellout",
        "2:10",
    )
    assert (summary["away_team"], summary["away_record"]) == ("Memphis Grizzlies", "27-54")
    assert (summary["home_team"], summary["home_record"]) == ("Cleveland Cavaliers", "48-33")
    assert (summary["active_count"], summary["did_not_play_count"], summary["inactive_count"]) == (4, 2, 3)
    assert summary["points_from_player_lines"] == {"Memphis Grizzlies": 54, "Cleveland Cavaliers": 41}
    assert summary["unparsed_lines"] == []
    json.dumps(out)


def test_synthetic_player_lines() -> None:
    records = parse_gamebook_text("\n".join(SAMPLE_LINES))["records"]
    jackson = next(r for r in records if r["name"] == "GG Jackson")
    assert (jackson["team"], jackson["jersey_number"], jackson["position"], jackson["status"]) == (
        "Memphis Grizzlies",
        "45",
        "F",
        "active",
    )
    assert jackson["stats"]["minutes"] == "35:42"
    assert (jackson["stats"]["field_goals_made"], jackson["stats"]["field_goals_attempted"]) == (7, 21)
    assert (jackson["stats"]["plus_minus"], jackson["stats"]["points"]) == (-13, 22)
    aldama = next(r for r in records if r["name"] == "Santi Aldama")
    assert (aldama["status"], aldama["dnp_code"]) == ("did_not_play", "NWT")
    assert aldama["reason"] == "NWT - Injury/Illness - Right Foot; Strain"
    morris = next(r for r in records if r["name"] == "Marcus Morris Sr.")
    assert (morris["team"], morris["reason"]) == ("Cleveland Cavaliers", "DNP - Coach's Decision")
    inactive = {r["name"]: r for r in records if r["status"] == "inactive"}
    assert inactive["Morant"]["reason"] == "Injury/Illness - Right Shoulder; Labral Repair"
    assert inactive["Bane"]["reason"] == "Injury/Illness - Left Ankle; Sprain"  # continued on the next line
    assert inactive["Bane"]["team"] == "Grizzlies"
    assert inactive["Nance"]["reason"] is None


def test_stat_line_with_wrong_column_count_is_reported_not_guessed() -> None:
    out = parse_gamebook_text("VISITOR: Memphis Grizzlies (27-54)\n45 GG Jackson F 35:42 7 21 2\n")
    assert out["records"] == []
    assert out["summary"]["unparsed_lines"] == ["45 GG Jackson F 35:42 7 21 2"]


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty body"),
        (b"<html>Not Found</html>", "not a PDF"),
        (b"%PDF-1.4 garbage", "unreadable PDF"),
    ],
)
def test_empty_or_non_pdf_bytes_raise(raw: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_gamebook_pdf(raw)


def test_pdf_with_unrelated_text_raises() -> None:
    with pytest.raises(ParseError, match="does not look like an NBA gamebook"):
        parse_gamebook_pdf(make_text_pdf(["Quarterly report", "Revenue 12 13"]))
    with pytest.raises(ParseError, match="empty gamebook text"):
        parse_gamebook_text("   ")
