"""The schedule rules shared by the schedule locker and the master controller.

Why one module: the locker writes what *should* run each day (`daily_expected_schedule`) and the controller
decides what *does* run at each tick; auditing compares the two, so both derive every time from the functions
below. They are pure functions of the configuration, a date or an instant, and the games: no I/O, no wall
clock (the caller passes "now" as a tick).

Vocabulary
- Local time: wall-clock time in `cfg.timezone` (America/New_York, "ET"). Every rule is written in local
  time; every instant returned is an aware UTC datetime.
- Operational day D: from `cfg.operational_day_start` (05:00) local on D to 05:00 on D+1. A clock time t
  belongs to D's calendar date when t >= 05:00, else to D+1: D's 01:00 and 04:00 are on D+1.
- Controller tick: minute 0 of each hour in `cfg.controller_hours()` (cron "0 1,4,6-23 * * *" local). A
  spring-forward hour that does not exist is not a tick; the repeated fall-back 01:00 is one tick, its first
  occurrence (Cloud Scheduler may fire twice; `canonical_tick` maps both firings to the same instant).
- Windows are half-open: [start, end).
- Games of D: games whose local date (of their start instant) is D, of the game types in
  `cfg.games.include_types` (preseason and All-Star exhibitions are left out by default).

Every expected run is a controller tick of its operational day, so the controller can tell whether a
workflow is due at a tick with `due_runs(cfg, tick, games)`: exactly the expected runs at that tick.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from shared.config import PRIORITIES, Config, TimeWindow, TipSnapshot, Workflow
from shared.nba.schedule import Game

_DAY_MINUTES = 24 * 60


@dataclass(frozen=True)
class ExpectedRun:
    """One expected run of a workflow: a row of `daily_expected_schedule` (without the lock columns)."""

    workflow_name: str
    expected_run_time: datetime  # UTC, always one of controller_ticks(cfg, d)
    reason: str
    scrapers: tuple[str, ...]
    games_today: int
    priority: str
    decision_type: str


# ---------------------------------------------------------------------------------------------------------
# Local time and the operational day


def _tz(cfg: Config) -> ZoneInfo:
    return cfg.timezone


def local(cfg: Config, instant: datetime) -> datetime:
    """The instant as local wall-clock time (refuses naive datetimes: they are ambiguous)."""
    if instant.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return instant.astimezone(_tz(cfg))


def wall_instant(cfg: Config, d: date, t: time) -> datetime | None:
    """The UTC instant of local time `t` on `d`, or None when that time does not exist (spring-forward gap).

    A repeated time (fall-back) is its first occurrence (fold=0).
    """
    naive = datetime.combine(d, t)
    utc = naive.replace(tzinfo=_tz(cfg), fold=0).astimezone(UTC)
    return utc if utc.astimezone(_tz(cfg)).replace(tzinfo=None) == naive else None


def _wall_instant_forward(cfg: Config, d: date, t: time) -> datetime:
    """Like wall_instant, but a gap time moves forward by the gap (02:30 -> 03:30), as timeutil.et_at does."""
    return datetime.combine(d, t).replace(tzinfo=_tz(cfg), fold=0).astimezone(UTC)


def clock_date(cfg: Config, d: date, t: time) -> date:
    """The calendar date on which clock time `t` of operational day `d` falls (D, or D+1 before day start)."""
    return d if t >= cfg.operational_day_start else d + timedelta(days=1)


def operational_day_bounds(cfg: Config, d: date) -> tuple[datetime, datetime]:
    """[start, end) of operational day `d` as UTC instants (05:00 local on D to 05:00 local on D+1)."""
    start = cfg.operational_day_start
    return _wall_instant_forward(cfg, d, start), _wall_instant_forward(cfg, d + timedelta(days=1), start)


def operational_day_of(cfg: Config, instant: datetime) -> date:
    """The operational day an instant belongs to: its local date, or the day before when before day start."""
    loc = local(cfg, instant)
    return loc.date() - timedelta(days=1) if loc.time() < cfg.operational_day_start else loc.date()


def _minutes_into_day(cfg: Config, t: time) -> int:
    """Clock minutes of `t` after the operational day start, on a 24 h circle (05:00 -> 0, 04:00 -> 1380)."""
    ds = cfg.operational_day_start
    return (t.hour * 60 + t.minute - (ds.hour * 60 + ds.minute)) % _DAY_MINUTES


def in_clock_window(window: TimeWindow, t: time) -> bool:
    """Plain clock-time membership, [start, end): used for daytime windows such as business hours."""
    return window.start <= t < window.end


_in_clock_window = in_clock_window  # the name the controller first used


def _in_day_window(cfg: Config, window: TimeWindow, t: time) -> bool:
    """Membership in a window laid on the operational day: a window that crosses the day start is clipped at
    the end of the operational day (its part after 05:00 on D+1 belongs to the next day)."""
    s, e, m = (_minutes_into_day(cfg, x) for x in (window.start, window.end, t))
    if e <= s:
        e = _DAY_MINUTES
    return s <= m < e


def hm(cfg: Config, instant: datetime) -> str:
    """ "HH:MM" local, for reasons."""
    return local(cfg, instant).strftime("%H:%M")


# ---------------------------------------------------------------------------------------------------------
# Controller ticks


def controller_ticks(cfg: Config, d: date) -> list[datetime]:
    """UTC instants of the controller's ticks during operational day `d`, in order.

    One tick per hour h of `cfg.controller_hours()`, at h:00 on D (h >= day start) or on D+1 (h < day start).
    DST: an hour skipped by spring-forward yields no tick; a repeated fall-back hour yields one tick (its first
    occurrence). Example, the default config on 2025-01-15: 06:00-23:00 on the 15th, 01:00 and 04:00 on the
    16th, i.e. 20 ticks.
    """
    key = (id(cfg), d)
    hit = _TICKS.get(key)
    if hit is None or hit[0] is not cfg:
        ticks = []
        for h in cfg.controller_hours():
            t = time(h)
            instant = wall_instant(cfg, clock_date(cfg, d, t), t)
            if instant is not None:
                ticks.append(instant)
        if len(_TICKS) > 1024:
            _TICKS.clear()
        hit = _TICKS[key] = (cfg, tuple(sorted(ticks)))
    return list(hit[1])


# Memo of controller_ticks: every rule asks for the day's ticks, often many times per decision. Config is
# frozen, and the entry keeps its config alive and is checked by identity, so a reused id cannot mislead.
_TICKS: dict[tuple[int, date], tuple[Config, tuple[datetime, ...]]] = {}


def canonical_tick(cfg: Config, instant: datetime) -> datetime | None:
    """The controller tick an event instant stands for, or None when its local hour is not a tick hour.

    The instant is floored to its local hour: a Scheduler publish at 18:00:03 is the 18:00 tick. Both firings
    of the repeated fall-back 01:00 map to the first occurrence, so a key built from the tick (see
    `tick_key`) makes the second firing a duplicate.
    """
    loc = local(cfg, instant)
    if loc.hour not in cfg.controller_hours():
        return None
    return wall_instant(cfg, loc.date(), time(loc.hour))


def tick_key(cfg: Config, tick: datetime) -> str:
    """A DST-safe key of the tick's local hour, "YYYY-MM-DDTHH" (the two fall-back 01:00 hours share it); a
    sub-hourly tick (see `sub_tick`) adds its minute: "YYYY-MM-DDTHH:MM"."""
    loc = local(cfg, tick)
    key = f"{loc.date().isoformat()}T{loc.hour:02d}"
    return key if loc.minute == 0 else f"{key}:{loc.minute:02d}"


def sub_tick(cfg: Config, instant: datetime) -> datetime | None:
    """The sub-hourly tick an instant stands for (18:15:04 -> 18:15 with `controller.tick_minutes` 15), or
    None when it is in the first `tick_minutes` of its hour (the hour tick) or outside the tick hours.

    Only the game_tip_offsets workflows are decided at sub-hourly ticks; every other rule keeps the hour
    ticks. A repeated fall-back time is its first occurrence, as for hour ticks.
    """
    every = cfg.controller.tick_minutes
    loc = local(cfg, instant)
    minute = loc.minute - loc.minute % every
    if every >= 60 or minute == 0 or loc.hour not in cfg.controller_hours():
        return None
    return wall_instant(cfg, loc.date(), time(loc.hour, minute))


def is_sub_tick(cfg: Config, tick: datetime) -> bool:
    """Whether a (canonical) tick is a sub-hourly one, not on the hour."""
    return local(cfg, tick).minute != 0


def all_ticks(cfg: Config, d: date) -> list[datetime]:
    """Every controller tick of operational day `d`: the hour ticks and, every `tick_minutes`, the
    sub-hourly ticks of the same hours (an hour skipped by spring-forward has none)."""
    every = cfg.controller.tick_minutes
    out = []
    for h in controller_ticks(cfg, d):
        out.append(h)
        if every < 60:
            out.extend(h + timedelta(minutes=m) for m in range(every, 60, every))
    return out


def next_tick_at_or_after(cfg: Config, d: date, instant: datetime) -> datetime | None:
    """The first tick of operational day `d` at or after `instant` (None if the day has no later tick)."""
    return next((t for t in controller_ticks(cfg, d) if t >= instant), None)


# ---------------------------------------------------------------------------------------------------------
# Games


def include_types(cfg: Config) -> tuple[str, ...]:
    """Game types that count for scheduling (config `games.include_types`)."""
    return cfg.games.include_types


def operational_day_games(games: Iterable[Game], d: date, include: Iterable[str]) -> list[Game]:
    """The games of operational day `d`: local date D, type in `include`, sorted by start time.

    A game belongs to the date of its start (every NBA start is between 12:00 and 23:00 ET, so the operational
    day and the calendar date agree); its late-night end falls in the same operational day.
    """
    types = set(include)
    return sorted(
        (g for g in games if g.game_date == d and g.game_type in types), key=lambda g: (g.commence_utc, g.game_id)
    )


def day_games(cfg: Config, d: date, games: Iterable[Game]) -> list[Game]:
    """operational_day_games with the configured game types."""
    return operational_day_games(games, d, include_types(cfg))


# ---------------------------------------------------------------------------------------------------------
# self_aware: once a day, at the first tick inside the ideal window

SelfAwarePhase = Literal["before", "ideal", "late"]


def self_aware_phase(cfg: Config, wf: Workflow, tick: datetime) -> SelfAwarePhase:
    """Where `tick` stands relative to the ideal window of its operational day.

    "before" the window start (SKIP), inside it ("ideal": RUN), or after its end ("late": RUN with a WARNING
    if the workflow has not succeeded yet). Times are compared on the operational day, so 01:00 on D+1 is
    after a 06:00-10:00 window.
    """
    assert wf.ideal_window is not None, f"{wf.name} is not self_aware"
    t = local(cfg, tick).time()
    w = wf.ideal_window
    if _in_day_window(cfg, w, t):
        return "ideal"
    return "before" if _minutes_into_day(cfg, t) < _minutes_into_day(cfg, w.start) else "late"


def self_aware_due(cfg: Config, wf: Workflow, tick: datetime) -> bool:
    """True from the window start on: the controller runs the workflow at a due tick unless it already
    succeeded during this operational day."""
    return self_aware_phase(cfg, wf, tick) != "before"


def self_aware_run_time(cfg: Config, wf: Workflow, d: date) -> datetime | None:
    """The expected run: the first tick of `d` inside the ideal window; if no tick falls inside it, the first
    due tick after it (a late run), or None if the window starts after the day's last tick."""
    return next((t for t in controller_ticks(cfg, d) if self_aware_due(cfg, wf, t)), None)


# ---------------------------------------------------------------------------------------------------------
# game_aware: before the first game, every frequency_hours, inside business hours


def game_aware_window(cfg: Config, wf: Workflow, d: date, games: Iterable[Game]) -> tuple[datetime, datetime] | None:
    """[opens, first tip) of operational day `d`: opens `window_before_game_hours` (elapsed time) before the
    first game; None on a day without games."""
    day = day_games(cfg, d, games)
    if not day:
        return None
    first = day[0].commence_utc
    return first - timedelta(hours=wf.window_before_game_hours), first


def game_aware_slots(cfg: Config, wf: Workflow, d: date, games: Iterable[Game]) -> list[datetime]:
    """The ticks of operational day `d` at which a game_aware workflow is due.

    Rule: only on days with games. A tick is eligible when it is inside [first tip - window, first tip) and its
    local time is inside business hours [start, end). The first eligible tick runs; after that a tick runs
    when at least `frequency_hours` (elapsed time) have passed since the previous run. This is exactly what a
    controller that runs "when eligible and the last run was at least frequency_hours ago" does when every
    run happens on time, so the cadence starts at the first eligible tick:
    - window opens 13:00 (first tip 19:00): 13, 15, 17 (19:00 is the tip itself, excluded);
    - window opens 13:30 (tip 19:30): not on a tick, so rounded up: 14, 16, 18;
    - window opens 07:00 before business hours 08:00 (tip 13:00): 08, 10, 12;
    - early tip 12:00: window 06:00-12:00, business hours from 08:00: 08, 10;
    - tip before business hours (or within the hour before them): no runs.
    """
    window = game_aware_window(cfg, wf, d, games)
    if window is None:
        return []
    opens, first = window
    assert wf.business_hours is not None, f"{wf.name} is not game_aware"
    every = timedelta(hours=wf.frequency_hours)
    slots: list[datetime] = []
    for t in controller_ticks(cfg, d):
        if not opens <= t < first or not in_clock_window(wf.business_hours, local(cfg, t).time()):
            continue
        if slots and t - slots[-1] < every:
            continue
        slots.append(t)
    return slots


def game_aware_due(cfg: Config, wf: Workflow, tick: datetime, games: Iterable[Game]) -> bool:
    """Whether `tick` is one of the game_aware slots of its operational day."""
    return tick in game_aware_slots(cfg, wf, operational_day_of(cfg, tick), games)


# ---------------------------------------------------------------------------------------------------------
# game_aware_yesterday: post-game windows at a fixed local time, for the games of the operational day


def fixed_time_instant(cfg: Config, wf: Workflow, d: date) -> datetime:
    """The instant of the workflow's fixed time within operational day `d` (22:00 on D, 01:00 on D+1...).

    A fixed time inside a spring-forward gap moves forward by the gap.
    """
    assert wf.fixed_time is not None, f"{wf.name} is not game_aware_yesterday"
    return _wall_instant_forward(cfg, clock_date(cfg, d, wf.fixed_time), wf.fixed_time)


def fixed_window_target(cfg: Config, wf: Workflow, instant: datetime) -> date | None:
    """The operational day whose fixed-time window contains `instant` (|instant - fixed| <= tolerance), or None.

    Neighbouring operational days are checked too, so a tolerance reaching across the day start still finds
    its window.
    """
    tol = timedelta(minutes=wf.tolerance_minutes)
    od = operational_day_of(cfg, instant)
    for d in (od, od - timedelta(days=1), od + timedelta(days=1)):
        if abs(instant - fixed_time_instant(cfg, wf, d)) <= tol:
            return d
    return None


def within_fixed_window(cfg: Config, wf: Workflow, instant: datetime) -> bool:
    """Whether `instant` is within `tolerance_minutes` of the workflow's fixed time (either side)."""
    return fixed_window_target(cfg, wf, instant) is not None


def post_game_target_date(cfg: Config, wf: Workflow, tick: datetime) -> date:
    """The game night a post-game window at `tick` serves: the ET date whose games it collects.

    22:00 -> that evening's date; 01:00 and 04:00 -> the date that just ended (the operational day). Outside
    the window this is the tick's operational day.
    """
    return fixed_window_target(cfg, wf, tick) or operational_day_of(cfg, tick)


def fixed_window_tick(cfg: Config, wf: Workflow, d: date) -> datetime | None:
    """The expected run of a post-game window on operational day `d`: the first tick within the tolerance of
    its fixed time (the fixed time itself when it is on the hour), or None when no tick is close enough."""
    target, tol = fixed_time_instant(cfg, wf, d), timedelta(minutes=wf.tolerance_minutes)
    return next((t for t in controller_ticks(cfg, d) if abs(t - target) <= tol), None)


def post_game_due(cfg: Config, wf: Workflow, tick: datetime, games: Iterable[Game]) -> bool:
    """Whether the post-game window is due at `tick`: the window's tick, and its game night had games."""
    d = post_game_target_date(cfg, wf, tick)
    return bool(day_games(cfg, d, games)) and fixed_window_tick(cfg, wf, d) == tick


# ---------------------------------------------------------------------------------------------------------
# recovery: the morning after a game night, once, at a fixed local time


def recovery_instant(cfg: Config, wf: Workflow, night: date) -> datetime:
    """The instant of the recovery of game night `night`: its fixed time on the next calendar date (06:00 on
    D+1 for the night of D; a gap time moves forward by the gap)."""
    assert wf.fixed_time is not None, f"{wf.name} has no fixed time"
    return _wall_instant_forward(cfg, night + timedelta(days=1), wf.fixed_time)


def recovery_target(cfg: Config, wf: Workflow, instant: datetime) -> date | None:
    """The game night whose recovery window (fixed time +/- tolerance) contains `instant`, or None: the ET
    date before the window's date, so 06:00 on 2025-01-16 recovers the night of 2025-01-15."""
    tol = timedelta(minutes=wf.tolerance_minutes)
    cal = local(cfg, instant).date()
    for night in (cal - timedelta(days=1), cal, cal - timedelta(days=2)):
        if abs(instant - recovery_instant(cfg, wf, night)) <= tol:
            return night
    return None


def recovery_tick(cfg: Config, wf: Workflow, night: date) -> datetime | None:
    """The expected run of the recovery of `night`: the first controller tick within the tolerance of its
    fixed time, or None when no tick is close enough."""
    target, tol = recovery_instant(cfg, wf, night), timedelta(minutes=wf.tolerance_minutes)
    od = operational_day_of(cfg, target)
    return next(
        (t for d in (od - timedelta(days=1), od) for t in controller_ticks(cfg, d) if abs(t - target) <= tol), None
    )


def recovery_nights(cfg: Config, wf: Workflow, d: date) -> list[date]:
    """The game nights whose recovery tick falls in operational day `d` (one: the night before at 06:00; the
    night of `d` itself for a time before the day start, e.g. 04:30)."""
    out = []
    for night in (d - timedelta(days=1), d):
        t = recovery_tick(cfg, wf, night)
        if t is not None and operational_day_of(cfg, t) == d:
            out.append(night)
    return out


# ---------------------------------------------------------------------------------------------------------
# discovery: a fixed series of attempts on (game) days


def discovery_attempt_times(cfg: Config, wf: Workflow, d: date) -> list[datetime]:
    """The attempt ticks of a discovery workflow on operational day `d` (ignoring whether it is a game day).

    Attempt k (k = 0 .. max_attempts-1) is at local clock time first_attempt + k * interval_hours on D, kept
    only before 24:00 (and not before the operational day start). A time on the hour is a tick; any other
    time is rounded up to the next tick (dropped if that is after midnight), so the controller can run it.
    Defaults: injuries 08, 10, ... 22 (8 of 12, the rest would be after midnight); referees 08-13.
    """
    assert wf.first_attempt is not None
    start_minute = wf.first_attempt.hour * 60 + wf.first_attempt.minute
    day_start, _ = operational_day_bounds(cfg, d)
    out: list[datetime] = []
    for k in range(wf.max_attempts):
        minute = start_minute + round(k * wf.interval_hours * 60)
        if minute >= _DAY_MINUTES:
            break
        instant = _wall_instant_forward(cfg, d, time(minute // 60, minute % 60))
        if instant < day_start:
            continue
        tick = next_tick_at_or_after(cfg, d, instant)
        # Rounding up must not carry an attempt past midnight: attempts are "before 24:00".
        if tick is not None and local(cfg, tick).date() == d and tick not in out:
            out.append(tick)
    return out


def discovery_applies(cfg: Config, wf: Workflow, d: date, games: Iterable[Game]) -> bool:
    """A discovery workflow runs on every day, or only on days with games when `game_days_only`."""
    return not wf.game_days_only or bool(day_games(cfg, d, games))


def discovery_attempt(cfg: Config, wf: Workflow, tick: datetime, games: Iterable[Game]) -> int | None:
    """The 1-based attempt number due at `tick` ("Discovery attempt n/max"), or None when none is due."""
    d = operational_day_of(cfg, tick)
    if not discovery_applies(cfg, wf, d, games):
        return None
    times = discovery_attempt_times(cfg, wf, d)
    return times.index(tick) + 1 if tick in times else None


# ---------------------------------------------------------------------------------------------------------
# game_tip_offsets: snapshots per game, keyed to its tip (open at a clock time, then T-x before the tip)

# An injury re-snapshot ("injury", the controller's own label) outranks the regular ones, not the closing line.
SNAPSHOT_RANK = {"open": 0, "regular": 1, "injury": 2, "closing": 3}


def tip_slot_key(wf: Workflow, g: Game, snap: TipSnapshot) -> str:
    """The idempotency key of one (game, snapshot) slot: "0022400123/closing"."""
    return f"{g.game_id}/{snap.name}"


def tip_slot_due(cfg: Config, g: Game, snap: TipSnapshot) -> datetime:
    """When a snapshot falls due: `before_minutes` (elapsed time) before the game's current tip, or the clock
    time `at` of the game's ET date (a gap time moves forward, a repeated one is its first occurrence)."""
    if snap.before_minutes is not None:
        return g.commence_utc - timedelta(minutes=snap.before_minutes)
    assert snap.at is not None
    return _wall_instant_forward(cfg, g.game_date, snap.at)


TipState = Literal["later", "due", "missed", "started", "off_hours"]


def tip_slot_state(cfg: Config, wf: Workflow, g: Game, snap: TipSnapshot, tick: datetime) -> TipState:
    """Where a slot stands at `tick` (pure): "later" before it falls due; "due" from the first tick at or
    after its time for `late_minutes`, never at or after the tip; "missed" after that; "started" once the
    game started; "off_hours" for a non-closing snapshot due outside the workflow's business hours (the
    closing snapshot has no business-hours cut)."""
    due = tip_slot_due(cfg, g, snap)
    if tick >= g.commence_utc:
        return "started"
    if snap.snapshot_type != "closing" and wf.business_hours is not None:
        if not in_clock_window(wf.business_hours, local(cfg, due).time()):
            return "off_hours"
    if tick < due:
        return "later"
    if tick - due > timedelta(minutes=wf.late_minutes):
        return "missed"
    return "due"


def tip_slot_ticks(
    cfg: Config, wf: Workflow, d: date, games: Iterable[Game]
) -> list[tuple[Game, TipSnapshot, datetime]]:
    """Every slot of operational day `d` that a tick can take, with the tick that takes it when every tick
    happens: the first tick (hour or sub-hourly) at which it is due. Slots no tick can take are left out."""
    ticks = all_ticks(cfg, d)
    out = []
    for g in day_games(cfg, d, games):
        for snap in wf.snapshots:
            due = tip_slot_due(cfg, g, snap)
            t = next((t for t in ticks if t >= due), None)
            if t is not None and tip_slot_state(cfg, wf, g, snap, t) == "due":
                out.append((g, snap, t))
    return sorted(out, key=lambda x: (x[2], x[0].commence_utc, x[0].game_id))


# ---------------------------------------------------------------------------------------------------------
# The expected schedule


def report_series_window(cfg: Config, wf: Workflow, d: date, games: Iterable[Game]) -> tuple[datetime, datetime]:
    """(first attempt, end) of a report series on operational day `d`: from `first_attempt` until the report
    named at the last tip is due (one slot after it; midnight when there are no games)."""
    from shared.nba.injury_slots import slot_containing, slot_length  # report slots: only this rule needs them

    start = _wall_instant_forward(cfg, d, wf.first_attempt)
    day = day_games(cfg, d, games)
    if not day:
        return start, operational_day_bounds(cfg, d)[1]
    last_tip = max(g.commence_utc for g in day)
    return start, slot_containing(last_tip, _tz(cfg)).start + slot_length(d)


def report_series_ticks(cfg: Config, wf: Workflow, d: date, games: Iterable[Game]) -> list[datetime]:
    """The ticks of a report series: every controller tick inside its window (each may find new reports)."""
    games = list(games)
    if wf.game_days_only and not day_games(cfg, d, games):
        return []
    start, end = report_series_window(cfg, wf, d, games)
    return [t for t in controller_ticks(cfg, d) if start <= t <= end]


def _games_phrase(n: int) -> str:
    return "no games" if n == 0 else f"{n} game" + ("" if n == 1 else "s")


def workflow_runs(cfg: Config, wf: Workflow, d: date, games: Iterable[Game]) -> list[ExpectedRun]:
    """The expected runs of one workflow on operational day `d`, each with a human reason."""
    games = list(games)
    day = day_games(cfg, d, games)
    n = len(day)

    def run(t: datetime, reason: str) -> ExpectedRun:
        return ExpectedRun(wf.name, t, reason, tuple(wf.scrapers), n, wf.priority, wf.decision_type)

    if wf.decision_type == "self_aware":
        t = self_aware_run_time(cfg, wf, d)
        if t is None:
            return []
        w = wf.ideal_window
        assert w is not None
        where = "first tick inside" if self_aware_phase(cfg, wf, t) == "ideal" else "no tick inside; first after"
        return [run(t, f"daily ({_games_phrase(n)}); ideal window {w.start:%H:%M}-{w.end:%H:%M} ET, {where} it")]

    if wf.decision_type == "game_aware":
        slots = game_aware_slots(cfg, wf, d, games)
        opens, first = game_aware_window(cfg, wf, d, games) or (None, None)
        bh = wf.business_hours
        assert bh is not None
        out = []
        for i, t in enumerate(slots, 1):
            out.append(
                run(
                    t,
                    f"{_games_phrase(n)}, first tip {hm(cfg, first)} ET; window opens {hm(cfg, opens)} "
                    f"({wf.window_before_game_hours:g} h before); run {i}/{len(slots)}, every "
                    f"{wf.frequency_hours:g} h within business hours {bh.start:%H:%M}-{bh.end:%H:%M}",
                )
            )
        return out

    if wf.decision_type == "game_aware_yesterday":
        if not day:
            return []
        t = fixed_window_tick(cfg, wf, d)
        if t is None:
            return []
        assert wf.fixed_time is not None
        when = f"{hm(cfg, t)} ET" + ("" if local(cfg, t).date() == d else f" on {local(cfg, t).date():%Y-%m-%d}")
        return [
            run(
                t,
                f"{_games_phrase(n)} on {d:%Y-%m-%d}, last tip {hm(cfg, day[-1].commence_utc)} ET; post-game "
                f"window {wf.fixed_time:%H:%M} (+/-{wf.tolerance_minutes} min) at {when}",
            )
        ]

    if wf.decision_type == "recovery":
        out = []
        for night in recovery_nights(cfg, wf, d):
            m = len(day_games(cfg, night, games))
            t = recovery_tick(cfg, wf, night)
            if m and t is not None:
                assert wf.fixed_time is not None
                out.append(
                    run(
                        t,
                        f"{_games_phrase(m)} on {night:%Y-%m-%d}; recovery {wf.fixed_time:%H:%M} "
                        f"(+/-{wf.tolerance_minutes} min): the finals still missing after the post-game windows, once",
                    )
                )
        return out

    if wf.decision_type == "report_series":
        ticks = report_series_ticks(cfg, wf, d, games)
        return [
            run(t, f"{_games_phrase(n)}; report series tick {i}/{len(ticks)}: every report due since the last one")
            for i, t in enumerate(ticks, 1)
        ]

    if wf.decision_type == "game_tip_offsets":
        by_tick: dict[datetime, list[str]] = {}
        for g, snap, t in tip_slot_ticks(cfg, wf, d, games):
            by_tick.setdefault(t, []).append(f"{g.away}@{g.home} {snap.name}")
        return [
            run(t, f"{_games_phrase(n)}; line snapshots keyed to each tip: {', '.join(names)}")
            for t, names in sorted(by_tick.items())
        ]

    # discovery
    if not discovery_applies(cfg, wf, d, games):
        return []
    times = discovery_attempt_times(cfg, wf, d)
    assert wf.first_attempt is not None
    return [
        run(
            t,
            f"{_games_phrase(n)}; discovery attempt {i}/{len(times)} (max {wf.max_attempts}), every "
            f"{wf.interval_hours:g} h from {wf.first_attempt:%H:%M} ET before midnight",
        )
        for i, t in enumerate(times, 1)
    ]


def _order(r: ExpectedRun) -> tuple[datetime, int, str]:
    return (r.expected_run_time, PRIORITIES.index(r.priority), r.workflow_name)


def expected_runs(cfg: Config, d: date, games: Iterable[Game]) -> list[ExpectedRun]:
    """Every expected run of every enabled workflow on operational day `d`, ordered by time, then priority.

    Each `expected_run_time` is one of `all_ticks(cfg, d)` (hour ticks, except game_tip_offsets snapshots).
    """
    # Filter once: a season has 1,400 games, a day at most 15. The night before stays for the recovery.
    near = (d - timedelta(days=1), d)
    games = [g for n in near for g in day_games(cfg, n, games)]
    runs = [r for wf in cfg.enabled_workflows() for r in workflow_runs(cfg, wf, d, games)]
    return sorted(runs, key=_order)


def due_runs(cfg: Config, tick: datetime, games: Iterable[Game]) -> list[ExpectedRun]:
    """The expected runs due at a controller tick (the controller's view of the same schedule).

    `tick` may be any instant of the tick's hour; it is mapped with `canonical_tick`. Empty when the instant
    is not a tick hour.
    """
    canon = sub_tick(cfg, tick) or canonical_tick(cfg, tick)
    if canon is None:
        return []
    return [r for r in expected_runs(cfg, operational_day_of(cfg, canon), games) if r.expected_run_time == canon]
