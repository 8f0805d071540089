"""The one date normaliser every answer-vs-request check uses (shared.parsers._common.iso_day / check_day),
on every form the upstream APIs write, and on the real leaguegamefinder answer that echoes ISO request dates
as MM/DD/YYYY."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from shared.parsers import ParseError
from shared.parsers._common import check_day, iso_day, minutes_seconds, snake
from shared.parsers.nbacom_stats import result_sets
from tests.conftest import recording

FINDER = "nbacom_stats/leaguegamefinder_teams_2024-11-01_to_2024-11-13.json"


@pytest.mark.parametrize(
    "written",
    [
        "2026-02-22",
        "2026-02-22T00:00:00",  # stats.nba.com row dates (GAME_DATE_EST)
        "2026-02-22T00:00:00Z",  # the schedule's gameDateEst
        "2026-02-22T19:30:00.000Z",
        "2026-02-22T19:30:00-05:00",
        "2026-02-22 00:00:00",
        "2026-02-22 00:00:00.000",
        "02/22/2026",  # stats.nba.com's echo of a GameDate sent as 2026-02-22
        "2/22/2026",
        "02/22/2026 00:00:00",  # schedule gameDates[].gameDate
        "02/22/2026 7:30 PM",
        "  02/22/2026  ",
        date(2026, 2, 22),
        datetime(2026, 2, 22, 23, 59, tzinfo=UTC),
    ],
)
def test_every_form_is_the_same_day(written):
    assert iso_day(written, source="t") == "2026-02-22"
    check_day("2026-02-22", written, source="t")  # no error
    check_day("02/22/2026", written, source="t")  # the request side is normalised too


def test_the_written_date_is_kept_not_shifted_by_a_zone():
    # An echo is a calendar date: 23:30 at UTC-05:00 is still the 22nd, not the UTC 23rd.
    assert iso_day("2026-02-22T23:30:00-05:00", source="t") == "2026-02-22"


@pytest.mark.parametrize("empty", [None, "", "   "])
def test_nothing_echoed_is_nothing_to_check(empty):
    assert iso_day(empty, source="t") is None
    check_day("2026-02-22", empty, source="t")


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("Feb 22, 2026", "unrecognised date 'Feb 22, 2026'"),
        ("22.02.2026", "unrecognised date"),
        ("20260222", "unrecognised date"),
        ("22/02/2026", "impossible date '22/02/2026'"),  # day-first is not a form these APIs use
        ("2026-02-30", "impossible date"),
    ],
)
def test_other_forms_are_parse_errors_naming_the_value(written, message):
    with pytest.raises(ParseError, match=message):
        iso_day(written, source="stats.nba.com")
    with pytest.raises(ParseError, match=message):
        check_day("2026-02-22", written, source="stats.nba.com")


def test_another_day_is_refused_with_both_forms_in_the_message():
    with pytest.raises(ParseError, match=r"asked for 2026-02-22, the answer is of 2026-02-21 \(written '02/21/2026'\)"):
        check_day("2026-02-22", "02/21/2026", source="t")
    with pytest.raises(ParseError, match=r"asked for 2026-02-22, the scoreboard of 2026-02-23$"):
        check_day("2026-02-22", "2026-02-23", source="t", what="the scoreboard of")


def test_the_real_mm_dd_yyyy_echo_of_leaguegamefinder():
    """Sent DateFrom=2024-11-01&DateTo=2024-11-13 (ISO); the answer echoes 11/01/2024 and 11/13/2024."""
    doc = json.loads(recording(FINDER))
    echoed = doc["parameters"]
    assert (echoed["DateFrom"], echoed["DateTo"]) == ("11/01/2024", "11/13/2024")
    assert (iso_day(echoed["DateFrom"], source="t"), iso_day(echoed["DateTo"], source="t")) == (
        "2024-11-01",
        "2024-11-13",
    )
    check_day("2024-11-01", echoed["DateFrom"], source="t")
    check_day("2024-11-13", echoed["DateTo"], source="t")
    with pytest.raises(ParseError, match=r"asked for 2024-11-02, the answer is of 2024-11-01 \(written '11/01/2024'\)"):
        check_day("2024-11-02", echoed["DateFrom"], source="t")
    rows = result_sets(doc)["LeagueGameFinderResults"]
    days = {iso_day(r["GAME_DATE"], source="t") for r in rows}
    assert len(rows) == 208 and min(days) == "2024-11-01" and max(days) == "2024-11-13"


def test_minutes_and_camel_case_helpers():
    assert minutes_seconds("34:24") == 2064.0 and minutes_seconds("240:00") == 14400.0
    assert minutes_seconds("PT34M24.00S") == 2064.0 and minutes_seconds("PT00M00.00S") == 0.0
    assert minutes_seconds("") is None and minutes_seconds(None) is None and minutes_seconds("DNP") is None
    assert snake("fieldGoalsMade") == "field_goals_made" and snake("plusMinusPoints") == "plus_minus_points"
    assert snake("points") == "points" and snake("threePointersPercentage") == "three_pointers_percentage"
