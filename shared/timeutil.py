"""ET/UTC time rules, NBA seasons and DST-safe hour keys.

All decisions are made on ET wall-clock time (the league's time) but stored in UTC. Wall-clock times that do
not exist (spring-forward gap) resolve forward to the first real instant after the gap; repeated times
(fall-back) resolve to their first occurrence, so a time-of-day rule fires once a day.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

ET = ZoneInfo("America/New_York")

_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


# Instants and dates this system accepts from outside (messages, upstream answers, the CLI).
MIN_YEAR, MAX_YEAR = 1970, 2199
MIN_DATE_YEAR = 1900  # dates: NBA history starts in 1946
# A day an operator may name (lock-schedule --date, a hand-published tick's "date"): any day of NBA history,
# from the first game (BAA, 1946-11-01), up to this many days after the request's as_of (no schedule is
# published further ahead; a mistyped year such as 2205 is refused, not looked for).
FIRST_NBA_DATE = date(1946, 11, 1)
MAX_DAYS_AHEAD = 400


def parse_date(value: str) -> date:
    """Strict YYYY-MM-DD; raises ValueError with the bad value in the message."""
    if not isinstance(value, str) or not _DATE_RE.match(value):
        raise ValueError(f"bad date {value!r}: expected YYYY-MM-DD")
    try:
        d = date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"bad date {value!r}: not a calendar date") from None
    if not MIN_DATE_YEAR <= d.year <= MAX_YEAR:
        raise ValueError(f"bad date {value!r}: outside the years {MIN_DATE_YEAR}-{MAX_YEAR}")
    return d


def check_nba_date(d: date, today: date) -> None:
    """An explicitly requested day must be a plausible NBA date: on or after FIRST_NBA_DATE, at most
    MAX_DAYS_AHEAD after `today` (the request's as_of date). Past days are intended (backfills, replays); only
    the far future is a mistake. Raises ValueError saying which bound and by how much."""
    if d < FIRST_NBA_DATE:
        raise ValueError(f"date {d.isoformat()} is before the first NBA game ({FIRST_NBA_DATE.isoformat()})")
    ahead = (d - today).days
    if ahead > MAX_DAYS_AHEAD:
        raise ValueError(
            f"date {d.isoformat()} is {ahead} days after {today.isoformat()}: more than {MAX_DAYS_AHEAD} days ahead "
            "(no schedule is published that far ahead)"
        )


def parse_instant(value: str) -> datetime:
    """An ISO-8601 instant with an offset (or Z), returned in UTC; naive times are refused as ambiguous, and so
    are instants outside 1970-2199 (`0001-01-01T00:30:00+01:00` would overflow on conversion, and any
    arithmetic near the ends of datetime's range can: a bounded instant never does)."""
    if not isinstance(value, str) or len(value) > 64:
        raise ValueError(f"bad timestamp {str(value)[:64]!r}: expected an ISO-8601 string")
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00") if value.endswith("Z") else value)
    except ValueError:
        raise ValueError(f"bad timestamp {value!r}: not ISO-8601") from None
    if dt.tzinfo is None:
        raise ValueError(f"bad timestamp {value!r}: needs a UTC offset or Z")
    try:
        out = dt.astimezone(UTC)
    except (OverflowError, ValueError):
        raise ValueError(f"bad timestamp {value!r}: out of range") from None
    if not MIN_YEAR <= out.year <= MAX_YEAR:
        raise ValueError(f"bad timestamp {value!r}: outside the years {MIN_YEAR}-{MAX_YEAR}")
    return out


def to_et(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return dt.astimezone(ET)


def et_date(dt: datetime) -> date:
    """The ET calendar date of an instant."""
    return to_et(dt).date()


def et_at(d: date, t: time, tz: ZoneInfo = ET) -> datetime:
    """The instant (UTC) of wall-clock time `t` on date `d` in `tz`.

    Gap times (02:30 on a spring-forward day) move forward by the gap (to 03:30); repeated times take their
    first occurrence (fold=0).
    """
    # PEP 495: with fold=0 a gap time takes the offset in force before the transition (so 02:30 EST becomes
    # 03:30 EDT) and a repeated time is its first occurrence: exactly the rules above.
    return datetime.combine(d, t).replace(tzinfo=tz, fold=0).astimezone(UTC)


def season_of(d: date) -> tuple[str, int]:
    """NBA season of a date: October starts a season. 2025-01-15 -> ("2024-25", 2024)."""
    start = d.year if d.month >= 10 else d.year - 1
    return f"{start}-{(start + 1) % 100:02d}", start


def et_hour_key(dt: datetime) -> str:
    """Key of "this ET hour" by wall clock: YYYY-MM-DDTHH.

    The two 01:00 hours of a fall-back day share one key (so a repeated tick is a duplicate); a spring-forward
    day simply has no 02 key.
    """
    local = to_et(dt)
    return f"{local.date().isoformat()}T{local.hour:02d}"


def operational_date(dt: datetime, day_start: time = time(5, 0)) -> date:
    """The operational day an instant belongs to: ET date, but before `day_start` it is still yesterday."""
    local = to_et(dt)
    d = local.date()
    return d - timedelta(days=1) if local.time() < day_start else d


def utc_stamp(dt: datetime) -> str:
    """UTC YYYYMMDD_HHMMSS as used in GCS file names."""
    return dt.astimezone(UTC).strftime("%Y%m%d_%H%M%S")


@lru_cache(maxsize=256)
def iso_utc(dt: datetime) -> str:
    """ISO 8601 in UTC with a Z. Cached: a tick formats the same few instants for every row and request it
    builds (datetimes are immutable; equal instants give the same text)."""
    return dt.astimezone(UTC).isoformat().replace("+00:00", "Z")
