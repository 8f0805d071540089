"""Official NBA injury report PDF parser against every recorded report, 2023-24 to 2025-26, both naming eras.

The 2024-01-04 12:30 PM report (3 pages) is checked row by row: expected rows were determined from the
PDF's positioned text: page 1 lists 14 player rows (SAS 8, DEN 4, GSW 2) and 3 "NOT YET SUBMITTED" teams
(MIL, ATL, IND); page 2 has 19 and page 3 has 7 not-submitted teams; 16 games in all (2 on 01/04, 14 on
01/05). The others by their totals (status words and NOT YET SUBMITTED cells counted in the positioned
text) and the rows that test a layout quirk: reasons wrapped over two lines, and reasons cut by a page break
(the rest of the reason is the first line of the next page).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.parsers import ParseError
from shared.parsers.nba_injury_report import parse_injury_report_pdf

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "upstream"
REPORT = "nba_injury_report/Injury-Report_2024-01-04_12PM.pdf"


def fixture(rel: str) -> bytes:
    path = FIXTURES / rel
    if not path.is_file():
        pytest.skip(f"upstream fixture missing: {path}")
    return path.read_bytes()


@pytest.fixture(scope="module")
def report() -> dict:
    return parse_injury_report_pdf(fixture(REPORT), report_date="2024-01-04")


def test_every_player_row_is_parsed_with_a_status(report: dict) -> None:
    records = report["records"]
    assert len(records) == 14
    assert all(r["status"] in {"Out", "Questionable", "Doubtful", "Probable", "Available"} for r in records)
    assert all(r["player"] and r["reason"] and r["team"] and r["matchup"] for r in records)
    assert report["summary"]["status_counts"] == {"Out": 10, "Questionable": 2, "Doubtful": 1, "Probable": 1}
    teams = [r["team"] for r in records]
    assert teams.count("San Antonio Spurs") == 8
    assert teams.count("Denver Nuggets") == 4
    assert teams.count("Golden State Warriors") == 2


@pytest.mark.parametrize(
    ("player", "status", "reason", "team", "matchup", "game_time"),
    [
        (
            "Barlow, Dominick",
            "Questionable",
            "G League - Two-Way",
            "San Antonio Spurs",
            "MIL@SAS",
            "07:30 (ET)",
        ),
        (
            "Branham, Malaki",
            "Doubtful",
            "Injury/Illness - Right Ankle; Sprain",
            "San Antonio Spurs",
            "MIL@SAS",
            "07:30 (ET)",
        ),
        # Reason wrapped onto a line above and below the row in the PDF.
        (
            "McDermott, Doug",
            "Out",
            "Injury/Illness - Right Forearm; Contusion",
            "San Antonio Spurs",
            "MIL@SAS",
            "07:30 (ET)",
        ),
        (
            "Jackson, Reggie",
            "Probable",
            "Injury/Illness - Left Calf; Tightness",
            "Denver Nuggets",
            "DEN@GSW",
            "10:00 (ET)",
        ),
        ("Green, Draymond", "Out", "League Suspension", "Golden State Warriors", "DEN@GSW", "10:00 (ET)"),
        (
            "Payton II, Gary",
            "Out",
            "Injury/Illness - Left Hamstring; Strain",
            "Golden State Warriors",
            "DEN@GSW",
            "10:00 (ET)",
        ),
    ],
)
def test_spot_check_players(
    report: dict, player: str, status: str, reason: str, team: str, matchup: str, game_time: str
) -> None:
    row = next(r for r in report["records"] if r["player"] == player)
    assert (row["status"], row["reason"], row["team"], row["matchup"]) == (status, reason, team, matchup)
    assert row["game_date"] == "2024-01-04" and row["game_time"] == game_time  # inherited from group row


def test_player_name_and_matchup_split(report: dict) -> None:
    row = next(r for r in report["records"] if r["player"] == "Duke Jr., David")
    assert row["player_name"] == "David Duke Jr."
    assert (row["away_team"], row["home_team"]) == ("MIL", "SAS")


def test_not_yet_submitted_teams_inherit_across_pages(report: dict) -> None:
    nys = report["not_submitted"]
    assert len(nys) == 29
    assert all(r["status"] == "NOT_YET_SUBMITTED" for r in nys)
    assert [r["page"] for r in nys].count(1) == 3
    assert [r["page"] for r in nys].count(2) == 19
    assert [r["page"] for r in nys].count(3) == 7
    # Page 2 starts mid-group: UTA@BOS inherits date and time from page 1's ATL@IND row.
    jazz = next(r for r in nys if r["team"] == "Utah Jazz")
    assert (jazz["game_date"], jazz["game_time"], jazz["matchup"], jazz["page"]) == (
        "2024-01-05",
        "07:00 (ET)",
        "UTA@BOS",
        2,
    )
    # Page 3 starts with the second team of a game that began on page 2.
    denver = next(r for r in nys if r["page"] == 3)
    assert (denver["team"], denver["matchup"], denver["game_time"]) == (
        "Denver Nuggets",
        "ORL@DEN",
        "09:00 (ET)",
    )
    assert next(r for r in nys if r["team"] == "Milwaukee Bucks")["matchup"] == "MIL@SAS"


def test_summary(report: dict) -> None:
    summary = report["summary"]
    assert summary["report_date"] == "2024-01-04"
    assert summary["report_datetime_et"] == "2024-01-04T12:30"
    assert summary["page_count"] == 3
    assert (summary["player_count"], summary["not_yet_submitted_count"], summary["game_count"]) == (
        14,
        29,
        16,
    )
    assert summary["game_dates"] == ["2024-01-04", "2024-01-05"]
    assert "TOR@SAC" in summary["matchups"] and len(summary["matchups"]) == 16
    assert summary["anomalies"] == []
    json.dumps(report)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty body"),
        (b"<?xml version='1.0'?><Error><Code>AccessDenied</Code></Error>", "not a PDF"),
        (b"%PDF-1.4\n%%EOF", "unreadable PDF"),
        ("not bytes", "expected PDF bytes"),
    ],
)
def test_empty_or_non_pdf_bytes_raise(raw: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        parse_injury_report_pdf(raw)  # type: ignore[arg-type]


def test_truncated_pdf_raises() -> None:
    raw = fixture(REPORT)
    with pytest.raises(ParseError):
        parse_injury_report_pdf(raw[:4000])


def test_text_mangled_pdf_is_diagnosed() -> None:
    """A PDF saved through a text decode/encode round-trip loses its binary bytes; say so explicitly."""
    mangled = fixture(REPORT).decode("utf-8", errors="ignore").encode("utf-8")
    with pytest.raises(ParseError, match="round-trip"):
        parse_injury_report_pdf(mangled)


JAN24 = "Injury-Report_2024-01-04_12PM.pdf"
JAN25 = "Injury-Report_2025-01-10_05PM.pdf"
NOV25 = "Injury-Report_2025-11-01_05PM.pdf"
FEB26 = "Injury-Report_2026-02-08_03_30PM.pdf"

# file: (printed time, pages, players, not yet submitted, games, status counts)
RECORDINGS = {
    JAN24: (
        "2024-01-04T12:30", 3, 14, 29, 16, {"Out": 10, "Questionable": 2, "Doubtful": 1, "Probable": 1},
    ),
    JAN25: (
        "2025-01-10T17:30", 8, 112, 10, 14,
        {"Out": 82, "Questionable": 17, "Probable": 6, "Available": 4, "Doubtful": 3},
    ),
    NOV25: (
        "2025-11-01T17:30", 7, 90, 5, 14, {"Out": 67, "Questionable": 11, "Available": 7, "Probable": 5},
    ),
    FEB26: (
        "2026-02-08T15:30", 5, 61, 18, 14, {"Out": 40, "Available": 18, "Doubtful": 2, "Questionable": 1},
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def parsed() -> dict[str, dict]:
    return {name: parse_injury_report_pdf(fixture(f"nba_injury_report/{name}")) for name in RECORDINGS}


@pytest.mark.parametrize("name", list(RECORDINGS))
def test_every_recording_printed_time_counts_and_statuses(parsed: dict, name: str) -> None:
    printed, pages, players, nys, games, statuses = RECORDINGS[name]
    s = parsed[name]["summary"]
    assert s["report_datetime_et"] == printed  # hourly names print :30 later, 15-minute names the same time
    assert (s["page_count"], s["player_count"], s["not_yet_submitted_count"], s["game_count"]) == (
        pages,
        players,
        nys,
        games,
    )
    assert s["status_counts"] == statuses and s["anomalies"] == []
    records = parsed[name]["records"]
    assert all(r["player"] and r["reason"] and r["team"] and r["matchup"] and r["game_time"] for r in records)
    # Only page 1 has the column header: the rows of every later page are read with its columns.
    assert {r["page"] for r in records + parsed[name]["not_submitted"]} == set(range(1, pages + 1))


@pytest.mark.parametrize(
    ("name", "player", "status", "reason"),
    [
        # reasons wrapped onto a line above and one below their row
        (NOV25, "Murray, Keegan", "Out", "Injury/Illness - Left Thumb; UCL Injury Recovery"),
        (NOV25, "Strus, Max", "Out", "Injury/Illness - Left Foot; Surgery - Jones Fracture"),
        (FEB26, "Poeltl, Jakob", "Out", "Return to Competition Reconditioning"),
        (FEB26, "Young, Trae", "Out", "Injury/Illness - Right Knee; MCL Sprain; Quad Contusion"),
        # a reason cut by the page break, and the first row of the next page, untouched by it
        (NOV25, "Toppin, Obi", "Out", "Injury/Illness - Right Foot; Stress Fracture"),
        (NOV25, "Cain, Jamal", "Out", "Not With Team"),
        (NOV25, "Edey, Zach", "Out", "Injury/Illness - Left Ankle; Surgery Recovery"),
        (NOV25, "Jerome, Ty", "Out", "Injury/Illness - Right Calf; Strain"),
        (FEB26, "Toppin, Obi", "Out", "Injury/Illness - Right Foot; Stress Fracture"),
        (FEB26, "Zubac, Ivica", "Out", "Not With Team"),
        # 2025-26 reason categories
        (NOV25, "Morant, Ja", "Out", "Team Suspension"),
        (FEB26, "Mathurin, Bennedict", "Out", "Trade Pending"),
        (JAN25, "Haliburton, Tyrese", "Available", "Injury/Illness - Right Ankle; Sprain"),
    ],
)  # fmt: skip
def test_layout_quirks_rows(parsed: dict, name: str, player: str, status: str, reason: str) -> None:
    (row,) = [r for r in parsed[name]["records"] if r["player"] == player]
    assert (row["status"], row["reason"]) == (status, reason)


def test_not_yet_submitted_rows_of_the_2025_26_layout(parsed: dict) -> None:
    nys = parsed[NOV25]["not_submitted"]
    got = [(r["game_date"], r["game_time"], r["matchup"], r["team"], r["page"]) for r in nys]
    assert got == [
        ("2025-11-02", "03:30 (ET)", "NOP@OKC", "Oklahoma City Thunder", 4),
        ("2025-11-02", "06:00 (ET)", "UTA@CHA", "Charlotte Hornets", 6),
        ("2025-11-02", "08:00 (ET)", "SAS@PHX", "San Antonio Spurs", 6),
        ("2025-11-02", "08:00 (ET)", "SAS@PHX", "Phoenix Suns", 6),
        ("2025-11-02", "09:30 (ET)", "MIA@LAL", "Los Angeles Lakers", 7),
    ]
    # the team of a not-submitted row is its own: the players after it belong to the other team
    okc = [r for r in parsed[NOV25]["records"] if r["matchup"] == "NOP@OKC"]
    assert {r["team"] for r in okc} == {"New Orleans Pelicans"}
