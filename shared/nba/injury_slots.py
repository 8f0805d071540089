"""The official injury report's publication slots and file names, in both naming eras (pure, no I/O).

Why a module of its own: the controller (which report to ask for), the scraper (which URL, and whether a
403 means "not published yet" or "missing") and the sample day (which files exist) must agree on it.

The league renamed the files on 2025-12-23 (`QUARTER_HOURLY_FROM`):
- hourly era (up to 2025-12-22): one report per hour, named by its hour, `Injury-Report_2025-12-22_06PM.pdf`;
  the time printed in it is 30 minutes later ("06:30 PM");
- 15-minute era (from 2025-12-23): one report per quarter hour, `Injury-Report_2026-02-08_06_15PM.pdf`; the
  printed time equals the name's. The hourly names answer 403 from then on.

A slot's report is *due* (it should be online) once the next slot has begun: the report named 06PM (printed
06:30 PM) by 7:00 PM, the one named 06_15PM by 6:30 PM. So the newest report due at an instant is the slot
before the one the instant falls in. Slots are ET wall-clock times, but all arithmetic is on instants: a
spring-forward day simply has no 2 AM slot, and the repeated hour of a fall-back day yields its slots
twice under the same names (`slots_of_day` lists each name once).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.timeutil import ET, et_at, parse_date

QUARTER_HOURLY_FROM = date(2025, 12, 23)  # the first day of the 15-minute file names
HOURLY, QUARTER_HOURLY = "hourly", "15-minute"
TIME_PARAMS = ("hour", "minute", "period")
_EPSILON = timedelta(microseconds=1)


def naming_era(d: date) -> str:
    """The naming era of the reports of ET date `d`."""
    return QUARTER_HOURLY if d >= QUARTER_HOURLY_FROM else HOURLY


def slot_length(d: date) -> timedelta:
    return timedelta(minutes=15 if naming_era(d) == QUARTER_HOURLY else 60)


@dataclass(frozen=True, order=True)
class ReportSlot:
    """One report: `start` is the instant (UTC) of the time in its file name."""

    start: datetime
    tz: ZoneInfo = field(default=ET, compare=False)

    @property
    def local(self) -> datetime:
        return self.start.astimezone(self.tz)

    @property
    def date(self) -> date:
        return self.local.date()

    @property
    def era(self) -> str:
        return naming_era(self.date)

    @property
    def due(self) -> datetime:
        """When the report should be online: the start of the next slot."""
        return self.start + slot_length(self.date)

    def is_due(self, as_of: datetime) -> bool:
        return as_of >= self.due

    @property
    def params(self) -> dict[str, str]:
        """The scraper parameters naming this report (`minute` only in the 15-minute era)."""
        local = self.local
        out = {"date": local.date().isoformat(), "hour": str(local.hour % 12 or 12), "period": _period(local)}
        if self.era == QUARTER_HOURLY:
            out["minute"] = f"{local.minute:02d}"
        return out

    @property
    def file_name(self) -> str:
        """ "Injury-Report_2025-12-22_06PM.pdf" (hourly) or "Injury-Report_2026-02-08_06_15PM.pdf"."""
        local = self.local
        token = f"{local.hour % 12 or 12:02d}" + (f"_{local.minute:02d}" if self.era == QUARTER_HOURLY else "")
        return f"Injury-Report_{local.date().isoformat()}_{token}{_period(local)}.pdf"

    @property
    def printed(self) -> datetime:
        """The report's own time (its title line): 30 minutes after the name in the hourly era, else the name's."""
        return self.local + (timedelta(minutes=30) if self.era == HOURLY else timedelta(0))

    @property
    def printed_et(self) -> str:
        """The printed time as the parser reports it (`report_datetime_et`, "2026-02-08T15:30")."""
        return self.printed.astimezone(self.tz).replace(tzinfo=None).isoformat(timespec="minutes")

    @property
    def label(self) -> str:
        """ "2026-02-08 3:30 PM": the slot as a person reads it."""
        local = self.local
        return f"{local.date().isoformat()} {local.hour % 12 or 12}:{local.minute:02d} {_period(local)}"


def _period(local: datetime) -> str:
    return "AM" if local.hour < 12 else "PM"


def slot_containing(t: datetime, tz: ZoneInfo = ET) -> ReportSlot:
    """The slot whose name's time is the latest at or before `t` (in `t`'s ET date's era)."""
    if t.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    local = t.astimezone(tz)
    step = int(slot_length(local.date()).total_seconds() // 60)
    floor = local.replace(minute=local.minute // step * step, second=0, microsecond=0)  # keeps the fold
    return ReportSlot(floor.astimezone(UTC), tz)


def newest_due(as_of: datetime, tz: ZoneInfo = ET) -> ReportSlot:
    """The newest report that should be online at `as_of`: the slot before the one `as_of` falls in."""
    return slot_containing(slot_containing(as_of, tz).start - _EPSILON, tz)


def slots_of_day(d: date, tz: ZoneInfo = ET) -> list[ReportSlot]:
    """Every report of ET date `d`, in time order, each file name once."""
    out: list[ReportSlot] = []
    names: set[str] = set()
    t = slot_containing(et_at(d, time(0), tz), tz).start
    while (slot := ReportSlot(t, tz)).date == d:
        if slot.file_name not in names:
            names.add(slot.file_name)
            out.append(slot)
        t = slot.due
    return out


def slot_of(d: date, hour: str, period: str, minute: str | None = None, tz: ZoneInfo = ET) -> ReportSlot:
    """The report named by date, hour (1-12), period (AM/PM) and minute; ValueError if that name cannot exist
    in the date's era (a minute other than 00 before 2025-12-23, one off the quarter hours after)."""
    if not hour.isdigit() or not 1 <= int(hour) <= 12 or period not in ("AM", "PM"):
        raise ValueError(f"bad report time {hour!r} {period!r}: expected hour 1-12 and AM or PM")
    era = naming_era(d)
    if minute is not None and (not minute.isdigit() or len(minute) != 2):
        raise ValueError(f"bad report minute {minute!r}: expected two digits")
    if era == HOURLY and minute not in (None, "00"):
        raise ValueError(
            f"reports of {d.isoformat()} are hourly (15-minute names start on {QUARTER_HOURLY_FROM.isoformat()}): "
            f"there is no report at minute {minute}"
        )
    if era == QUARTER_HOURLY and minute not in (None, "00", "15", "30", "45"):
        raise ValueError(f"reports of {d.isoformat()} are every 15 minutes: there is no report at minute {minute}")
    h24 = int(hour) % 12 + (12 if period == "PM" else 0)
    return ReportSlot(et_at(d, time(h24, int(minute or 0)), tz), tz)


def requested_slot(params: Mapping[str, str], as_of: datetime, tz: ZoneInfo = ET) -> ReportSlot:
    """The report a request means. With hour and period: that one (on `date`, else the ET date of `as_of`).
    Without any time parameter: the newest report due at `as_of`; with a `date` too, the newest due report
    of that date (its last one for a past date, its first, not yet due, for a date to come).
    ValueError for an incomplete or impossible time."""
    given = [p for p in TIME_PARAMS if params.get(p)]
    day = parse_date(params["date"]) if params.get("date") else None
    if given:
        if not {"hour", "period"} <= set(given):
            raise ValueError(f"report time incomplete: {', '.join(given)} given, hour and period go together")
        return slot_of(day or as_of.astimezone(tz).date(), params["hour"], params["period"], params.get("minute"), tz)
    newest = newest_due(as_of, tz)
    if day is None or newest.date == day:
        return newest
    slots = slots_of_day(day, tz)
    return slots[-1] if newest.date > day else slots[0]
