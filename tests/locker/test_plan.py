"""The locker's pure part on the real 2024-25 schedule: the rows of each kind of day, versions, target date,
freshness and schedule-file parsing. No emulators."""

from __future__ import annotations

import dataclasses
import gzip
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from shared import rules
from shared.config import GamesSettings
from shared.errors import PermanentError
from shared.locker.plan import LockRequest, plan, target_date
from shared.nba.schedule_store import ScheduleFileError, is_fresh, parse_schedule_bytes, schedule_prefix, stamp_of
from shared.timeutil import ET
from tests.controller.conftest import legacy_config
from tests.locker.conftest import AS_OF


def make_plan(cfg, games, d: date, **kw):
    # The hourly game_aware betting_lines these tests pin (before issue 18); the tip-keyed one below.
    cfg = legacy_config(cfg) if cfg.workflows["betting_lines"].decision_type == "game_tip_offsets" else cfg
    kw = {"locked_at": AS_OF, "schedule_source": "nba-com/schedule/2024-25/20250115_095500.json"} | kw
    return plan(cfg, d, games, generated_by="test", environment="local", **kw)


def by_workflow(rows) -> dict[str, list[str]]:
    """workflow -> its expected run times as "HH:MM" ET (the day's 01:00 and 04:00 fall on D+1)."""
    out: dict[str, list[str]] = {}
    for r in rows:
        local = datetime.fromisoformat(r["expected_run_time"].replace("Z", "+00:00")).astimezone(ET)
        out.setdefault(r["workflow_name"], []).append(local.strftime("%H:%M"))
    return out


def test_regular_game_day_rows(cfg, games):
    p = make_plan(cfg, games, date(2025, 1, 15))
    assert (p.games_scheduled, p.workflows_evaluated, len(p.rows)) == (11, 8, 30)
    runs = by_workflow(p.rows)
    assert runs["morning_recovery"] == ["06:00"]  # the finals of the 14th's night still missing, once
    assert runs["betting_lines"] == ["13:00", "15:00", "17:00"]
    assert runs["post_game_window_1"] == ["22:00"] and runs["post_game_window_3"] == ["04:00"]
    first = p.rows[0]
    assert first == {
        "date": "2025-01-15",
        "locked_at": "2025-01-15T10:00:00Z",
        "workflow_name": "morning_operations",
        "expected_run_time": "2025-01-15T11:00:00Z",
        "reason": "daily (11 games); ideal window 06:00-10:00 ET, first tick inside it",
        "scrapers": list(cfg.workflows["morning_operations"].scrapers),
        "games_today": 11,
        "priority": "HIGH",
        "schedule_version": p.schedule_version,
        "generated_by": "test",
        "environment": "local",
    }
    bl = next(r for r in p.rows if r["workflow_name"] == "betting_lines")
    assert bl["reason"].startswith("11 games, first tip 19:00 ET; window opens 13:00")
    # Stored in UTC, always on a controller tick of the day.
    ticks = {t.isoformat().replace("+00:00", "Z") for t in rules.controller_ticks(cfg, date(2025, 1, 15))}
    assert {r["expected_run_time"] for r in p.rows} <= ticks
    assert p.schedule_version.startswith("20250115_095500:")


def test_all_star_break(cfg, games):
    # 2025-02-14 to 02-18: only All-Star exhibition games (left out by default) or none.
    # The 14th's morning follows the game night of the 13th: its recovery is expected.
    for d in (date(2025, 2, 14), date(2025, 2, 15), date(2025, 2, 16), date(2025, 2, 17), date(2025, 2, 18)):
        p = make_plan(cfg, games, d)
        daily = ["morning_operations", *(["morning_recovery"] if d == date(2025, 2, 14) else [])]
        assert p.games_scheduled == 0 and [r["workflow_name"] for r in p.rows] == daily, d
    # The day after the break has one game, at 22:00 ET: a late window.
    p = make_plan(cfg, games, date(2025, 2, 19))
    assert p.games_scheduled == 1 and by_workflow(p.rows)["betting_lines"] == ["16:00", "18:00"]


def test_no_games_on_d_after_a_game_night(cfg, games):
    # 2024-12-23 had games; 2024-12-24 none. D's post-game windows (22:00 D, 01:00 and 04:00 D+1) are for
    # D's games, so there are none; the 23rd's 01:00/04:00 windows belong to the 23rd's operational day, and
    # the recovery of the 23rd's night at 06:00 on the 24th to the 24th's.
    p = make_plan(cfg, games, date(2024, 12, 24))
    assert p.games_scheduled == 0 and [r["workflow_name"] for r in p.rows] == ["morning_operations", "morning_recovery"]
    before = by_workflow(make_plan(cfg, games, date(2024, 12, 23)).rows)
    assert before["post_game_window_2"] == ["01:00"] and before["post_game_window_3"] == ["04:00"]


def test_season_opener(cfg, games):
    p = make_plan(cfg, games, date(2024, 10, 22))
    runs = by_workflow(p.rows)
    assert p.games_scheduled == 2
    assert runs["betting_lines"] == ["14:00", "16:00", "18:00"]  # first tip 19:30: window 13:30, next tick 14:00
    assert (
        "first tip 19:30 ET; window opens 13:30"
        in next(r for r in p.rows if r["workflow_name"] == "betting_lines")["reason"]
    )
    # Preseason days before the opener: games exist but are left out.
    pre = make_plan(cfg, games, date(2024, 10, 18))
    assert pre.games_scheduled == 0 and len(pre.rows) == 1


def test_playoff_day(cfg, games):
    p = make_plan(cfg, games, date(2025, 4, 20))
    assert p.games_scheduled == 4 and {r["games_today"] for r in p.rows} == {4}
    assert by_workflow(p.rows)["betting_lines"] == ["08:00", "10:00", "12:00"]  # first tip 13:00
    # Configurable types: without playoffs, a playoff day is empty.
    cfg2 = dataclasses.replace(cfg, games=GamesSettings(include_types=("regular_season",)))
    assert make_plan(cfg2, games, date(2025, 4, 20)).games_scheduled == 0


def test_dst_day_2025_03_09(cfg, games):
    p = make_plan(cfg, games, date(2025, 3, 9))
    times = {r["workflow_name"]: r["expected_run_time"] for r in p.rows}
    assert times["morning_operations"] == "2025-03-09T10:00:00Z"  # 06:00 EDT, the day clocks went forward
    assert times["post_game_window_3"] == "2025-03-10T08:00:00Z"  # 04:00 EDT on the 10th
    before = {r["workflow_name"]: r["expected_run_time"] for r in make_plan(cfg, games, date(2025, 3, 8)).rows}
    assert before["post_game_window_2"] == "2025-03-09T06:00:00Z"  # 01:00 EST, before the change
    assert before["post_game_window_3"] == "2025-03-09T08:00:00Z"  # 04:00 EDT, after it


def test_early_first_game(cfg, games):
    p = make_plan(cfg, games, date(2024, 12, 25))  # Christmas: first tip 12:00 ET
    assert by_workflow(p.rows)["betting_lines"] == ["08:00", "10:00"]


def test_version_is_deterministic_and_tracks_the_plan(cfg, games):
    a = make_plan(cfg, games, date(2025, 1, 15))
    b = make_plan(cfg, games, date(2025, 1, 15), locked_at=AS_OF + timedelta(hours=1))
    assert a.schedule_version == b.schedule_version  # same schedule, same plan: same version
    fewer = [g for g in games if g.game_id != rules.day_games(cfg, date(2025, 1, 15), games)[0].game_id]
    assert make_plan(cfg, fewer, date(2025, 1, 15)).schedule_version != a.schedule_version


def test_target_date():
    assert target_date(LockRequest(AS_OF)) == date(2025, 1, 15)
    # 03:00 UTC on the 16th is still the 15th in ET.
    assert target_date(LockRequest(datetime(2025, 1, 16, 3, tzinfo=UTC))) == date(2025, 1, 15)
    assert target_date(LockRequest(AS_OF, date(2026, 2, 19))) == date(2026, 2, 19)  # 400 days ahead: allowed
    with pytest.raises(PermanentError, match=r"2026-02-20 is 401 days after 2025-01-15: more than 400 days ahead"):
        target_date(LockRequest(AS_OF, date(2026, 2, 20)))
    # An operator's past day is intended (issue 19): any day of NBA history, however far back from as_of.
    now = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
    for past in (date(2024, 11, 3), date(2023, 12, 10), date(1946, 11, 1)):
        assert target_date(LockRequest(now, past)) == past
    with pytest.raises(PermanentError, match=r"1946-10-31 is before the first NBA game \(1946-11-01\)"):
        target_date(LockRequest(now, date(1946, 10, 31)))
    # A scheduler tick names no date: the day is its as_of's, whatever the as_of (the contract bounds it).
    assert target_date(LockRequest(datetime(1999, 2, 1, 12, tzinfo=UTC))) == date(1999, 2, 1)


def test_stamp_and_freshness():
    assert stamp_of("nba-com/schedule/2024-25/20250115_095500.json") == datetime(2025, 1, 15, 9, 55, tzinfo=UTC)
    assert stamp_of("nba-com/schedule/2024-25/latest.json") is None
    assert stamp_of("x/20251399_000000.json") is None
    assert is_fresh(AS_OF - timedelta(hours=24), AS_OF)
    assert not is_fresh(AS_OF - timedelta(hours=24, seconds=1), AS_OF)
    assert is_fresh(AS_OF + timedelta(days=300), AS_OF)  # newer than a replayed day: fresh
    assert not is_fresh(None, AS_OF)
    assert schedule_prefix(date(2025, 1, 15)) == "nba-com/schedule/2024-25/"
    assert schedule_prefix(date(2025, 10, 1)) == "nba-com/schedule/2025-26/"


def test_parse_schedule_bytes(schedule_gz):
    assert len(parse_schedule_bytes(schedule_gz, "gz")) == 1400
    assert len(parse_schedule_bytes(gzip.decompress(schedule_gz), "plain")) == 1400
    for bad, match in [
        (b"<html>rate limited</html>", "not a readable league schedule"),
        (b'{"leagueSchedule": {}}', "gameDates"),
        (schedule_gz[:5000], "not a readable league schedule"),  # truncated gzip
        (json.dumps([1, 2]).encode(), "no leagueSchedule"),
        (b"\xff\xfe", "not a readable league schedule"),
    ]:
        with pytest.raises(ScheduleFileError, match=match) as info:
            parse_schedule_bytes(bad, "gs://b/nba-com/schedule/2024-25/x.json")
        assert "gs://b/nba-com/schedule/2024-25/x.json" in str(info.value)
        assert isinstance(info.value, PermanentError)


def test_tip_keyed_betting_lines_rows(cfg, games):
    """With betting_lines keyed to each tip, the locker expects one row per tick that takes snapshots:
    2025-01-15 (11 games, tips 19:00-22:30) from the 09:00 opening lines to the 22:00 closing line."""
    src = "nba-com/schedule/2024-25/20250115_095500.json"
    p = plan(cfg, date(2025, 1, 15), games, generated_by="t", environment="local", locked_at=AS_OF, schedule_source=src)
    bl = [r for r in p.rows if r["workflow_name"] == "betting_lines"]
    from shared.timeutil import parse_instant

    times = [rules.hm(cfg, parse_instant(str(r["expected_run_time"]))) for r in bl]
    assert times[0] == "09:00" and times[-1] == "22:00" and len(times) == 19 and len(p.rows) == 46
    assert "line snapshots keyed to each tip" in bl[-1]["reason"] and "closing" in bl[-1]["reason"]
