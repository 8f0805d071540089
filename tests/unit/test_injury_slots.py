"""The injury report's slots in both naming eras (shared.nba.injury_slots): which report is the newest due
at an instant, around the 2025-12-23 switch, midnight and both DST changes; names, printed times, params."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from shared.nba.injury_slots import (
    HOURLY,
    QUARTER_HOURLY,
    newest_due,
    requested_slot,
    slot_of,
    slots_of_day,
)
from shared.timeutil import et_at


def et(day: str, hhmm: str, *, fold: int = 0) -> datetime:
    """An ET wall-clock instant; fold=1 is the second 01:xx of a fall-back day."""
    if fold:
        from shared.timeutil import ET

        h, m = map(int, hhmm.split(":"))
        return datetime.combine(date.fromisoformat(day), time(h, m)).replace(tzinfo=ET, fold=1).astimezone(UTC)
    return et_at(date.fromisoformat(day), time.fromisoformat(hhmm))


@pytest.mark.parametrize(
    ("day", "hhmm", "name"),
    [
        # hourly era: at hh:00 the report named hh-1 (printed hh-1:30) is the newest due
        ("2025-01-15", "08:00", "Injury-Report_2025-01-15_07AM.pdf"),
        ("2025-01-15", "08:59", "Injury-Report_2025-01-15_07AM.pdf"),
        ("2025-01-15", "07:59", "Injury-Report_2025-01-15_06AM.pdf"),
        ("2025-01-15", "13:00", "Injury-Report_2025-01-15_12PM.pdf"),
        ("2025-01-16", "00:00", "Injury-Report_2025-01-15_11PM.pdf"),  # midnight: yesterday's last
        # 15-minute era: the previous quarter hour's report
        ("2026-02-08", "15:45", "Injury-Report_2026-02-08_03_30PM.pdf"),
        ("2026-02-08", "15:44", "Injury-Report_2026-02-08_03_15PM.pdf"),
        ("2026-02-08", "08:00", "Injury-Report_2026-02-08_07_45AM.pdf"),
        ("2026-02-08", "12:15", "Injury-Report_2026-02-08_12_00PM.pdf"),
        ("2026-02-09", "00:00", "Injury-Report_2026-02-08_11_45PM.pdf"),  # midnight
        ("2026-02-09", "00:14", "Injury-Report_2026-02-08_11_45PM.pdf"),
        ("2026-02-09", "00:15", "Injury-Report_2026-02-09_12_00AM.pdf"),
        # the switch: the last hourly report (11PM of 12-22) is due at midnight, the first 15-minute one at 00:15
        ("2025-12-22", "23:59", "Injury-Report_2025-12-22_10PM.pdf"),
        ("2025-12-23", "00:00", "Injury-Report_2025-12-22_11PM.pdf"),
        ("2025-12-23", "00:14", "Injury-Report_2025-12-22_11PM.pdf"),
        ("2025-12-23", "00:15", "Injury-Report_2025-12-23_12_00AM.pdf"),
        ("2025-12-23", "18:30", "Injury-Report_2025-12-23_06_15PM.pdf"),
        # spring forward (02:00 EST -> 03:00 EDT): no 2 AM report in either era
        ("2025-03-09", "03:00", "Injury-Report_2025-03-09_01AM.pdf"),
        ("2025-03-09", "04:00", "Injury-Report_2025-03-09_03AM.pdf"),
        ("2026-03-08", "03:00", "Injury-Report_2026-03-08_01_45AM.pdf"),
        ("2026-03-08", "03:15", "Injury-Report_2026-03-08_03_00AM.pdf"),
    ],
)
def test_newest_due_report(day, hhmm, name):
    assert newest_due(et(day, hhmm)).file_name == name


def test_fall_back_the_repeated_hour_asks_for_its_names_again():
    # 2025-11-02 (hourly): 01:00 EDT, then 01:00 EST again
    assert newest_due(et("2025-11-02", "01:30")).file_name == "Injury-Report_2025-11-02_12AM.pdf"
    assert newest_due(et("2025-11-02", "01:10", fold=1)).file_name == "Injury-Report_2025-11-02_01AM.pdf"
    assert newest_due(et("2025-11-02", "02:00")).file_name == "Injury-Report_2025-11-02_01AM.pdf"
    # 2026-11-01 (15 minutes): the first 01:45 is due at the second 01:00
    assert newest_due(et("2026-11-01", "01:05", fold=1)).file_name == "Injury-Report_2026-11-01_01_45AM.pdf"
    assert newest_due(et("2026-11-01", "01:20", fold=1)).file_name == "Injury-Report_2026-11-01_01_00AM.pdf"


def test_names_printed_times_params_and_due_in_both_eras():
    old = slot_of(date(2025, 1, 10), "5", "PM")
    assert (old.era, old.file_name, old.printed_et, old.label) == (
        HOURLY,
        "Injury-Report_2025-01-10_05PM.pdf",
        "2025-01-10T17:30",  # printed 30 minutes after its name
        "2025-01-10 5:00 PM",
    )
    assert old.params == {"date": "2025-01-10", "hour": "5", "period": "PM"}
    assert old.due == et("2025-01-10", "18:00")
    assert not old.is_due(et("2025-01-10", "17:59")) and old.is_due(et("2025-01-10", "18:00"))

    new = slot_of(date(2026, 2, 8), "3", "PM", "30")
    assert (new.era, new.file_name, new.printed_et, new.label) == (
        QUARTER_HOURLY,
        "Injury-Report_2026-02-08_03_30PM.pdf",
        "2026-02-08T15:30",  # printed time equal to its name
        "2026-02-08 3:30 PM",
    )
    assert new.params == {"date": "2026-02-08", "hour": "3", "period": "PM", "minute": "30"}
    assert not new.is_due(et("2026-02-08", "15:44")) and new.is_due(et("2026-02-08", "15:45"))
    assert slot_of(date(2026, 2, 8), "12", "AM").file_name == "Injury-Report_2026-02-08_12_00AM.pdf"
    assert slot_of(date(2025, 1, 10), "12", "PM", "00").file_name == "Injury-Report_2025-01-10_12PM.pdf"


@pytest.mark.parametrize(
    ("day", "count"),
    [
        ("2025-01-15", 24),
        ("2025-03-09", 23),  # spring forward: no 2 AM
        ("2025-11-02", 24),  # fall back: the repeated 1 AM has one name
        ("2025-12-22", 24),  # the last hourly day
        ("2025-12-23", 96),  # the first 15-minute day
        ("2026-03-08", 92),
        ("2026-11-01", 96),
    ],
)
def test_slots_of_a_day_and_their_params_name_them_back(day, count):
    d = date.fromisoformat(day)
    slots = slots_of_day(d)
    assert len(slots) == count and len({s.file_name for s in slots}) == count
    assert slots == sorted(slots) and all(s.date == d for s in slots)
    for s in slots:
        p = s.params
        assert slot_of(d, p["hour"], p["period"], p.get("minute")).file_name == s.file_name


@pytest.mark.parametrize(
    ("day", "hour", "period", "minute", "message"),
    [
        ("2025-01-10", "5", "PM", "30", "hourly"),
        ("2025-12-22", "11", "PM", "15", "hourly"),
        ("2026-02-08", "3", "PM", "10", "every 15 minutes"),
        ("2026-02-08", "13", "PM", None, "hour 1-12"),
        ("2026-02-08", "3", "XM", None, "AM or PM"),
    ],
)
def test_names_that_cannot_exist_in_the_dates_era(day, hour, period, minute, message):
    with pytest.raises(ValueError, match=message):
        slot_of(date.fromisoformat(day), hour, period, minute)


def test_requested_slot_without_time_parameters():
    at = et("2026-02-08", "15:50")
    assert requested_slot({}, at).file_name == "Injury-Report_2026-02-08_03_30PM.pdf"
    assert requested_slot({"date": "2026-02-08"}, at).file_name == "Injury-Report_2026-02-08_03_30PM.pdf"
    assert requested_slot({"date": "2026-02-07"}, at).file_name == "Injury-Report_2026-02-07_11_45PM.pdf"
    future = requested_slot({"date": "2026-02-09"}, at)
    assert future.file_name == "Injury-Report_2026-02-09_12_00AM.pdf" and not future.is_due(at)
    given = requested_slot({"date": "2025-01-10", "hour": "5", "period": "PM"}, at)
    assert given.file_name == "Injury-Report_2025-01-10_05PM.pdf" and given.is_due(at)
    assert requested_slot({"hour": "9", "period": "AM"}, at).file_name == "Injury-Report_2026-02-08_09_00AM.pdf"
    with pytest.raises(ValueError, match="hour and period go together"):
        requested_slot({"date": "2026-02-08", "hour": "5"}, at)
    with pytest.raises(ValueError, match="hour and period go together"):
        requested_slot({"minute": "15"}, at)
