"""The Cloud Scheduler jobs deploy creates, fired through a cron library over all of 2025 in their time zone:
one locker tick a day at 05:00 ET, controller ticks covering every workflow window (DST days included), a
cleanup tick every 15 minutes of real time; job bodies are valid tick messages."""

from __future__ import annotations

import base64
from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from croniter import croniter

from deploy.deploy import add_common_args, make_context
from deploy.plan import SchedulerJob, build_steps
from shared.config import Config, get_config
from shared.contracts import PubSubMessage, decode_tick

DST_DAYS = (date(2025, 3, 9), date(2025, 11, 2))


@pytest.fixture(scope="module")
def jobs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """cron kind -> the flags deploy gives its scheduler job (schedule, time-zone, topic, message-body...)."""
    import argparse

    parser = argparse.ArgumentParser()
    add_common_args(parser)
    args = parser.parse_args(
        ["--project", "nba-test-proj", "--dry-run", "--build-dir", str(tmp_path_factory.mktemp("b"))]
    )
    ctx = make_context(args)
    return {s.job.cron: s.want(ctx) for s in build_steps(ctx) if isinstance(s, SchedulerJob)}


def fire(cron: str, tz: str, year: int = 2025) -> list[datetime]:
    """Every firing of `cron` in `tz` during `year`, as aware local times."""
    zone = ZoneInfo(tz)
    start = datetime(year, 1, 1, tzinfo=zone) - timedelta(seconds=1)
    end = datetime(year + 1, 1, 1, tzinfo=zone)
    it = croniter(cron, start)
    out = []
    while (t := it.get_next(datetime)) < end:
        out.append(t)
    return out


def by_day(ticks: list[datetime]) -> dict[date, list[datetime]]:
    days: dict[date, list[datetime]] = defaultdict(list)
    for t in ticks:
        days[t.date()].append(t)
    return days


def minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def coverage_problems(cfg: Config, ticks: list[datetime]) -> list[str]:
    """Every workflow window of every day of the year that has no controller tick."""
    days = by_day(ticks)
    problems = []
    d = date(2025, 1, 1)
    while d.year == 2025:
        wall = {minutes(t.time()) for t in days.get(d, [])}
        for wf in cfg.enabled_workflows():
            if wf.decision_type == "self_aware":
                w = wf.ideal_window
                if not any(minutes(w.start) <= m < minutes(w.end) for m in wall):
                    problems.append(f"{d} {wf.name}: no tick in {w.start}-{w.end}")
            elif wf.decision_type == "game_aware":
                w = wf.business_hours
                for h in range(w.start.hour, w.end.hour + 1):
                    if h * 60 not in wall:
                        problems.append(f"{d} {wf.name}: no tick at {h:02d}:00 (business hours)")
            elif wf.decision_type in ("game_aware_yesterday", "recovery"):
                at = minutes(wf.fixed_time)
                if not any(abs(m - at) <= wf.tolerance_minutes for m in wall):
                    problems.append(f"{d} {wf.name}: no tick within {wf.tolerance_minutes} min of {wf.fixed_time}")
            elif wf.decision_type == "game_tip_offsets":
                problems += tip_problems(cfg, wf, d, wall)
            elif wf.decision_type == "discovery":
                for k in range(wf.max_attempts):
                    m = minutes(wf.first_attempt) + round(k * wf.interval_hours * 60)
                    if m < 24 * 60 and m not in wall:
                        problems.append(f"{d} {wf.name}: no tick at attempt {k + 1} ({m // 60:02d}:{m % 60:02d})")
        d += timedelta(days=1)
    return problems


def tip_problems(cfg: Config, wf, d: date, wall: set[int]) -> list[str]:
    """The cadence the tip-keyed snapshots need, derived from the rules: for a tip at every 5 minutes from
    12:00 to 23:00 ET, each snapshot needs a firing in [due, due + late_minutes] before the tip, and the
    closing one a firing 20-35 min before the tip (issue 18's target)."""
    out = []
    for tip in range(12 * 60, 23 * 60 + 1, 5):
        for s in wf.snapshots:
            if s.before_minutes is None:
                due = minutes(s.at)
            else:
                due = tip - s.before_minutes
                if s.snapshot_type != "closing" and wf.business_hours is not None:
                    if not minutes(wf.business_hours.start) <= due < minutes(wf.business_hours.end):
                        continue
            if due >= tip or due < 0:
                continue
            hits = [m for m in wall if due <= m <= due + wf.late_minutes and m < tip]
            if not hits:
                out.append(f"{d} {wf.name}: no tick for {s.name} of a {tip // 60:02d}:{tip % 60:02d} tip")
            elif s.snapshot_type == "closing" and not 20 <= tip - min(hits) <= 35:
                out.append(
                    f"{d} {wf.name}: closing of a {tip // 60:02d}:{tip % 60:02d} tip {tip - min(hits)} min before"
                )
    return out


def test_hourly_ticks_cannot_serve_the_tip_keyed_snapshots() -> None:
    """The cadence check is not vacuous: the hourly cron of before issue 18 misses closing lines."""
    cfg = get_config()
    ticks = [t for t in fire("0 1,4,6-23 * * *", "America/New_York") if t.month == 1 and t.day == 15]
    problems = coverage_problems(cfg, ticks)
    assert any("closing of a 19:30 tip" in p or "no tick for closing" in p for p in problems)


def test_jobs_run_in_new_york_time(jobs: dict[str, dict[str, str]]) -> None:
    assert set(jobs) == {"locker", "controller", "cleanup"}
    assert {j["time-zone"] for j in jobs.values()} == {"America/New_York"}
    assert jobs["locker"]["schedule"] == "0 5 * * *"  # not the 0 10 * * * of the system we replace
    assert jobs["cleanup"]["schedule"] == "*/15 * * * *"


def test_one_locker_tick_a_day_at_five_et(jobs: dict[str, dict[str, str]]) -> None:
    ticks = fire(jobs["locker"]["schedule"], jobs["locker"]["time-zone"])
    days = by_day(ticks)
    assert len(days) == 365
    assert all(len(t) == 1 for t in days.values())
    assert {(t.hour, t.minute) for t in ticks} == {(5, 0)}
    for d in DST_DAYS:  # 05:00 EDT after spring-forward, 05:00 EST after fall-back
        (t,) = days[d]
        assert t.utcoffset() == (timedelta(hours=-4) if d.month == 3 else timedelta(hours=-5))


def test_controller_ticks_cover_every_workflow_window(jobs: dict[str, dict[str, str]]) -> None:
    cfg = get_config()
    ticks = fire(jobs["controller"]["schedule"], jobs["controller"]["time-zone"])
    assert coverage_problems(cfg, ticks) == []
    days = by_day(ticks)
    assert len(days) == 365
    # DST days: the post-game windows at 01:00 and 04:00 still get their ticks.
    for d in DST_DAYS:
        hours = {t.hour for t in days[d]}
        assert {1, 4, 22} <= hours, (d, sorted(hours))
    # Fall-back repeats 01:00: a second tick then is harmless (the controller is idempotent per hour key).
    assert [(t.hour, t.minute) for t in days[date(2025, 11, 2)]].count((1, 0)) in (1, 2)


def test_the_replaced_systems_crons_fail_these_checks() -> None:
    """The check is not vacuous: the faulty schedules of the system we replace are caught."""
    cfg = get_config()
    old_controller = fire("0 6-23 * * *", "America/New_York")
    problems = coverage_problems(cfg, old_controller)
    assert any("post_game_window_2" in p for p in problems)
    assert any("post_game_window_3" in p for p in problems)
    # a cron starting at 07:00 misses the morning recovery's 06:00 (the ideal window 06-10 still has ticks)
    late = coverage_problems(cfg, fire("*/15 1,4,7-23 * * *", "America/New_York"))
    assert {p.split(": ")[0].split(" ")[1] for p in late} == {"morning_recovery"}
    old_locker = fire("0 10 * * *", "America/New_York")
    assert {(t.hour, t.minute) for t in old_locker} == {(10, 0)}


def test_cleanup_ticks_every_fifteen_minutes_of_real_time(jobs: dict[str, dict[str, str]]) -> None:
    ticks = fire(jobs["cleanup"]["schedule"], jobs["cleanup"]["time-zone"])
    utc = sorted({t.astimezone(UTC) for t in ticks})
    gaps = {b - a for a, b in zip(utc, utc[1:], strict=False)}
    assert gaps == {timedelta(minutes=15)}
    assert len(utc) >= 365 * 96 - 4


@pytest.mark.parametrize("kind", ["locker", "controller", "cleanup"])
def test_job_bodies_are_valid_ticks(kind: str, jobs: dict[str, dict[str, str]]) -> None:
    body = jobs[kind]["message-body"].encode()
    published = datetime(2025, 3, 9, 10, 0, tzinfo=UTC)
    tick = decode_tick(PubSubMessage(data=body, attributes={}, message_id="m1", publish_time=published))
    assert tick.as_of == published  # "now" is the publish time: the scheduler's firing time
    assert tick.date is None and not tick.force and not tick.dry_run
    assert base64.b64decode(base64.b64encode(body)) == body
    assert jobs[kind]["topic"].startswith("projects/nba-test-proj/topics/")
