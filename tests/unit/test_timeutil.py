"""ET/UTC rules, seasons and DST-safe hour keys."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

import pytest

from shared.timeutil import (
    et_at,
    et_date,
    et_hour_key,
    operational_date,
    parse_date,
    parse_instant,
    season_of,
    utc_stamp,
)


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2025, 1, 15), ("2024-25", 2024)),
        (date(2024, 9, 30), ("2023-24", 2023)),
        (date(2024, 10, 1), ("2024-25", 2024)),
        (date(2025, 6, 22), ("2024-25", 2024)),
        (date(1999, 12, 31), ("1999-00", 1999)),
        (date(2029, 10, 22), ("2029-30", 2029)),
    ],
)
def test_season_of(d, expected):
    assert season_of(d) == expected


def test_et_at_regular_and_dst_days():
    assert et_at(date(2025, 1, 15), time(19)) == datetime(2025, 1, 16, 0, 0, tzinfo=UTC)
    assert et_at(date(2025, 7, 1), time(19)) == datetime(2025, 7, 1, 23, 0, tzinfo=UTC)
    # 2025-03-09 has no 02:30: it moves forward past the gap, to 03:30 EDT.
    assert et_at(date(2025, 3, 9), time(2, 30)) == datetime(2025, 3, 9, 7, 30, tzinfo=UTC)
    # 2025-11-02 has 01:00 twice: the first (EDT) is taken.
    assert et_at(date(2025, 11, 2), time(1)) == datetime(2025, 11, 2, 5, 0, tzinfo=UTC)


def test_hour_key_collapses_repeated_fall_back_hour():
    first = datetime(2025, 11, 2, 5, 0, tzinfo=UTC)  # 01:00 EDT
    second = datetime(2025, 11, 2, 6, 0, tzinfo=UTC)  # 01:00 EST
    assert et_hour_key(first) == et_hour_key(second) == "2025-11-02T01"
    # spring forward: 01:59 EST then 03:00 EDT — no 02 key
    keys = {et_hour_key(datetime(2025, 3, 9, h, 30, tzinfo=UTC)) for h in range(5, 9)}
    assert keys == {"2025-03-09T00", "2025-03-09T01", "2025-03-09T03", "2025-03-09T04"}


def test_et_date_and_operational_date():
    late = datetime(2025, 1, 16, 4, 30, tzinfo=UTC)  # 23:30 ET on the 15th
    assert et_date(late) == date(2025, 1, 15)
    assert operational_date(datetime(2025, 1, 16, 9, 0, tzinfo=UTC)) == date(2025, 1, 15)  # 04:00 ET
    assert operational_date(datetime(2025, 1, 16, 10, 0, tzinfo=UTC)) == date(2025, 1, 16)  # 05:00 ET


def test_parsers_reject_bad_input():
    assert parse_date("2025-01-15") == date(2025, 1, 15)
    for bad in ("2025-1-15", "2025-02-30", "yesterday", "", None):
        with pytest.raises(ValueError):
            parse_date(bad)
    assert parse_instant("2025-01-15T18:00:00Z") == datetime(2025, 1, 15, 18, tzinfo=UTC)
    assert parse_instant("2025-01-15T13:00:00-05:00") == datetime(2025, 1, 15, 18, tzinfo=UTC)
    with pytest.raises(ValueError, match="needs a UTC offset"):
        parse_instant("2025-01-15T18:00:00")
    with pytest.raises(ValueError):
        parse_instant("soon")
    assert utc_stamp(datetime(2025, 1, 15, 13, 0, 5, tzinfo=UTC)) == "20250115_130005"
