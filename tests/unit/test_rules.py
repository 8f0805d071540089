"""The shared schedule rules (shared.rules), on the real 2024-25 NBA.com schedule and on edge-case configs.

Pure tests: no emulators. The recording is read in place.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import rules
from shared.config import GamesSettings, TimeWindow, load_config
from shared.nba.schedule import Game, parse_schedule
from tests.controller.conftest import legacy_config
from tests.workflow_variants import injury_as_discovery

# The hourly configuration before issue 18 (betting_lines as game_aware): these tests pin the hour-tick rules;
# the tip-keyed snapshots (game_tip_offsets, 15-minute ticks) are tested in tests/unit/test_tip_offsets.py.
CFG = legacy_config(load_config())


@pytest.fixture(scope="module")
def games(upstream_dir) -> list[Game]:
    with gzip.open(upstream_dir / "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz") as fh:
        return parse_schedule(json.load(fh))


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def et_hours(ticks: list[datetime]) -> list[str]:
    return [rules.hm(CFG, t) for t in ticks]


def runs_of(runs: list[rules.ExpectedRun], name: str) -> list[str]:
    return [rules.hm(CFG, r.expected_run_time) for r in runs if r.workflow_name == name]


def game(gid: str, start: datetime, game_type: str = "regular_season") -> Game:
    d = rules.local(CFG, start).date()
    return Game(gid, f"{d:%Y%m%d}/AAABBB", d, start, "BBB", "AAA", 1, game_type)


def with_workflow(cfg, name: str, **changes):
    wf = dataclasses.replace(cfg.workflows[name], **changes)
    return dataclasses.replace(cfg, workflows={**cfg.workflows, name: wf})


# ---------------------------------------------------------------------------------------------------------
# Controller ticks


def test_controller_ticks_regular_day():
    ticks = rules.controller_ticks(CFG, date(2025, 1, 15))
    assert len(ticks) == 20
    assert ticks[0] == utc(2025, 1, 15, 11) and ticks[-1] == utc(2025, 1, 16, 9)  # 06:00 and 04:00 ET (EST)
    assert et_hours(ticks) == [f"{h:02d}:00" for h in range(6, 24)] + ["01:00", "04:00"]
    assert all(t.tzinfo == UTC for t in ticks) and ticks == sorted(ticks)
    start, end = rules.operational_day_bounds(CFG, date(2025, 1, 15))
    assert (start, end) == (utc(2025, 1, 15, 10), utc(2025, 1, 16, 10))
    assert all(start <= t < end for t in ticks)


def test_controller_ticks_across_spring_forward():
    # Operational day 2025-03-08 ends on 2025-03-09 at 05:00 EDT: its 01:00 is EST, its 04:00 already EDT.
    ticks = rules.controller_ticks(CFG, date(2025, 3, 8))
    assert ticks[-2:] == [utc(2025, 3, 9, 6), utc(2025, 3, 9, 8)]
    # Every hour ticking: the 02:00 that does not exist on 2025-03-09 is not a tick.
    hourly = dataclasses.replace(CFG, controller=dataclasses.replace(CFG.controller, first_hour=0, last_hour=23))
    ticks = rules.controller_ticks(hourly, date(2025, 3, 8))
    assert len(ticks) == 23 and "02:00" not in et_hours(ticks)
    assert len(set(ticks)) == 23


def test_controller_ticks_across_fall_back():
    # 2024-11-03: 01:00 happens twice; it is one tick, the first occurrence (EDT, 05:00 UTC).
    ticks = rules.controller_ticks(CFG, date(2024, 11, 2))
    assert ticks[-2:] == [utc(2024, 11, 3, 5), utc(2024, 11, 3, 9)]
    hourly = dataclasses.replace(CFG, controller=dataclasses.replace(CFG.controller, first_hour=0, last_hour=23))
    assert len(rules.controller_ticks(hourly, date(2024, 11, 2))) == 24
    # Cloud Scheduler may fire the repeated 01:00 twice: both firings are the same tick and key.
    first, second = utc(2024, 11, 3, 5, 0, 2), utc(2024, 11, 3, 6, 0, 2)
    assert rules.canonical_tick(CFG, first) == rules.canonical_tick(CFG, second) == utc(2024, 11, 3, 5)
    assert rules.tick_key(CFG, first) == rules.tick_key(CFG, second) == "2024-11-03T01"


def test_canonical_tick():
    assert rules.canonical_tick(CFG, utc(2025, 1, 15, 23, 0, 3)) == utc(2025, 1, 15, 23)  # 18:00:03 ET
    assert rules.canonical_tick(CFG, utc(2025, 1, 15, 23, 59, 59)) == utc(2025, 1, 15, 23)
    assert rules.canonical_tick(CFG, utc(2025, 1, 15, 8)) is None  # 03:00 ET: no tick
    assert rules.canonical_tick(CFG, utc(2025, 1, 15, 10, 30)) is None  # 05:30 ET: the locker's hour
    with pytest.raises(ValueError, match="naive"):
        rules.canonical_tick(CFG, datetime(2025, 1, 15, 18))


def test_operational_day_of():
    assert rules.operational_day_of(CFG, utc(2025, 1, 16, 9)) == date(2025, 1, 15)  # 04:00 ET on the 16th
    assert rules.operational_day_of(CFG, utc(2025, 1, 16, 10)) == date(2025, 1, 16)  # 05:00 ET
    assert rules.operational_day_of(CFG, utc(2025, 1, 16, 4)) == date(2025, 1, 15)  # 23:00 ET on the 15th


# ---------------------------------------------------------------------------------------------------------
# Games of the day


def test_operational_day_games_filters_types(games):
    assert len(rules.day_games(CFG, date(2025, 1, 15), games)) == 11
    all_star = rules.operational_day_games(games, date(2025, 2, 16), ["all_star"])
    assert len(all_star) == 3 and rules.day_games(CFG, date(2025, 2, 16), games) == []
    assert rules.day_games(CFG, date(2024, 10, 6), games) == []  # preseason only
    with_pre = rules.operational_day_games(games, date(2024, 10, 6), ["preseason"])
    assert len(with_pre) == 5 and with_pre == sorted(with_pre, key=lambda g: g.commence_utc)


# ---------------------------------------------------------------------------------------------------------
# The expected schedule on real days


def test_regular_game_day_2025_01_15(games):
    d = date(2025, 1, 15)
    runs = rules.expected_runs(CFG, d, games)
    assert runs_of(runs, "morning_operations") == ["06:00"]
    assert runs_of(runs, "betting_lines") == ["13:00", "15:00", "17:00"]  # first tip 19:00 ET
    assert runs_of(runs, "post_game_window_1") == ["22:00"]
    assert runs_of(runs, "post_game_window_2") == ["01:00"]
    assert runs_of(runs, "post_game_window_3") == ["04:00"]
    assert runs_of(runs, "morning_recovery") == ["06:00"]  # the night of the 14th
    # The injury report series: every tick from 08:00 until the last tip's (22:30) report is due at 23:00.
    assert runs_of(runs, "injury_discovery") == [f"{h:02d}:00" for h in range(8, 24)]
    assert runs_of(runs, "referee_discovery") == ["08:00", "09:00", "10:00", "11:00", "12:00", "13:00"]
    assert len(runs) == 30
    ticks = set(rules.controller_ticks(CFG, d))
    assert all(r.expected_run_time in ticks for r in runs)
    assert all(r.games_today == 11 for r in runs)
    bl = next(r for r in runs if r.workflow_name == "betting_lines")
    assert bl.reason.startswith("11 games, first tip 19:00 ET; window opens 13:00")
    assert bl.priority == "CRITICAL" and bl.scrapers == ("oddsa_events", "oddsa_player_props", "oddsa_game_lines")
    pg3 = next(r for r in runs if r.workflow_name == "post_game_window_3")
    assert pg3.expected_run_time == utc(2025, 1, 16, 9) and "2025-01-15" in pg3.reason
    assert "nbac_gamebook_pdf" in pg3.scrapers
    # Ordered by time, then priority (CRITICAL betting_lines before MEDIUM discovery at 13:00).
    assert runs == sorted(runs, key=lambda r: r.expected_run_time)
    at13 = [r.workflow_name for r in runs if rules.hm(CFG, r.expected_run_time) == "13:00"]
    assert at13 == ["betting_lines", "injury_discovery", "referee_discovery"]


def test_all_star_break_has_only_the_daily_workflow(games):
    for d in (date(2025, 2, 14), date(2025, 2, 16), date(2025, 2, 17), date(2025, 2, 18)):
        runs = rules.expected_runs(CFG, d, games)
        # the 14th's morning recovers the night of the 13th (a game night)
        daily = ["morning_operations", *(["morning_recovery"] if d == date(2025, 2, 14) else [])]
        assert [r.workflow_name for r in runs] == daily, d
        assert runs[0].games_today == 0 and "no games" in runs[0].reason
    # With All-Star games included by configuration, 2025-02-16 becomes a game day.
    cfg = dataclasses.replace(CFG, games=GamesSettings(include_types=("regular_season", "all_star")))
    runs = rules.expected_runs(cfg, date(2025, 2, 16), games)
    assert runs[0].games_today == 3 and "betting_lines" in {r.workflow_name for r in runs}


def test_no_games_on_d_but_games_the_day_before(games):
    # 2024-12-23 had games, 2024-12-24 none: D's night has no games, so no post-game windows for D, even
    # though D's early hours (01:00, 04:00 on the 24th) belong to the 23rd's operational day.
    assert rules.day_games(CFG, date(2024, 12, 23), games)
    assert rules.day_games(CFG, date(2024, 12, 24), games) == []
    runs = rules.expected_runs(CFG, date(2024, 12, 24), games)
    assert [r.workflow_name for r in runs] == ["morning_operations", "morning_recovery"]  # the 23rd's night
    before = rules.expected_runs(CFG, date(2024, 12, 23), games)
    assert runs_of(before, "post_game_window_3") == ["04:00"]
    assert [r.expected_run_time for r in before if r.workflow_name == "post_game_window_3"] == [utc(2024, 12, 24, 9)]


def test_season_opener(games):
    d = date(2024, 10, 22)
    runs = rules.expected_runs(CFG, d, games)
    assert runs[0].games_today == 2
    # First tip 19:30 ET: the window opens 13:30, rounded up to the 14:00 tick.
    assert runs_of(runs, "betting_lines") == ["14:00", "16:00", "18:00"]
    assert runs_of(runs, "post_game_window_1") == ["22:00"]
    # The day before the opener has only preseason games: nothing but the daily workflow.
    assert [r.workflow_name for r in rules.expected_runs(CFG, date(2024, 10, 18), games)] == ["morning_operations"]


def test_playoff_day(games):
    d = date(2025, 4, 26)  # 4 playoff games, first at 13:00 ET
    runs = rules.expected_runs(CFG, d, games)
    assert {g.game_type for g in rules.day_games(CFG, d, games)} == {"playoffs"}
    assert runs[0].games_today == 4
    assert runs_of(runs, "betting_lines") == ["08:00", "10:00", "12:00"]  # window opens 07:00, before 08:00
    assert runs_of(runs, "post_game_window_2") == ["01:00"]
    play_in = rules.expected_runs(CFG, date(2025, 4, 15), games)
    assert play_in[0].games_today == 2 and runs_of(play_in, "betting_lines") == ["14:00", "16:00", "18:00"]


def test_dst_spring_forward_2025_03_09(games):
    d = date(2025, 3, 9)  # clocks go forward at 02:00; first tip 13:00 EDT
    runs = rules.expected_runs(CFG, d, games)
    mo = next(r for r in runs if r.workflow_name == "morning_operations")
    assert mo.expected_run_time == utc(2025, 3, 9, 10)  # 06:00 EDT
    bl = [r.expected_run_time for r in runs if r.workflow_name == "betting_lines"]
    assert bl == [utc(2025, 3, 9, 12), utc(2025, 3, 9, 14), utc(2025, 3, 9, 16)]  # 08, 10, 12 EDT
    # The operational day that contains the transition: its 01:00 is EST (06 UTC), its 04:00 EDT (08 UTC).
    before = rules.expected_runs(CFG, date(2025, 3, 8), games)
    pg = {r.workflow_name: r.expected_run_time for r in before if r.workflow_name.startswith("post_game")}
    assert pg == {
        "post_game_window_1": utc(2025, 3, 9, 3),
        "post_game_window_2": utc(2025, 3, 9, 6),
        "post_game_window_3": utc(2025, 3, 9, 8),
    }


def test_dst_fall_back_post_game_01_once(games):
    runs = rules.expected_runs(CFG, date(2024, 11, 2), games)
    pg2 = [r.expected_run_time for r in runs if r.workflow_name == "post_game_window_2"]
    assert pg2 == [utc(2024, 11, 3, 5)]  # the first 01:00 (EDT); the repeated hour adds no run


def test_early_game_day(games):
    d = date(2025, 1, 20)  # MLK day: first tip 12:00 ET, before the usual window
    runs = rules.expected_runs(CFG, d, games)
    assert runs_of(runs, "betting_lines") == ["08:00", "10:00"]  # window 06:00-12:00, business hours from 08:00
    bl = next(r for r in runs if r.workflow_name == "betting_lines")
    assert "first tip 12:00 ET; window opens 06:00" in bl.reason and "run 1/2" in bl.reason


# ---------------------------------------------------------------------------------------------------------
# game_aware edge cases with synthetic games


D = date(2025, 1, 15)
BL = CFG.workflows["betting_lines"]


def tip_at(hh: int, mm: int = 0) -> list[Game]:
    start = rules.wall_instant(CFG, D, time(hh, mm))
    assert start is not None
    return [game("0022400001", start), game("0022400002", start + timedelta(hours=3))]


@pytest.mark.parametrize(
    ("tip", "expected"),
    [
        ((19, 0), ["13:00", "15:00", "17:00"]),  # the tip's own tick is excluded
        ((19, 30), ["14:00", "16:00", "18:00"]),  # window start 13:30 rounds up to 14:00
        ((13, 0), ["08:00", "10:00", "12:00"]),  # window start 07:00 is before business hours
        ((12, 0), ["08:00", "10:00"]),
        ((8, 30), ["08:00"]),
        ((8, 0), []),  # tip at business-hours start: no tick before it inside them
        ((7, 0), []),  # tip before business hours
        ((23, 0), ["17:00", "19:00"]),  # 21:00 would be after business hours end (20:00, exclusive)
    ],
)
def test_game_aware_slots(tip, expected):
    slots = rules.game_aware_slots(CFG, BL, D, tip_at(*tip))
    assert et_hours(slots) == expected
    for t in rules.controller_ticks(CFG, D):
        assert rules.game_aware_due(CFG, BL, t, tip_at(*tip)) == (t in slots)


def test_game_aware_fractional_frequency_and_window():
    cfg = with_workflow(CFG, "betting_lines", frequency_hours=1.5, window_before_game_hours=4.5)
    wf = cfg.workflows["betting_lines"]
    # tip 19:00, opens 14:30 -> ticks 15, 16 (too soon), 17 (2 h), 18 (1 h: too soon)
    assert et_hours(rules.game_aware_slots(cfg, wf, D, tip_at(19))) == ["15:00", "17:00"]


def test_game_aware_no_games():
    assert rules.game_aware_slots(CFG, BL, D, []) == []
    assert rules.game_aware_window(CFG, BL, D, []) is None


# ---------------------------------------------------------------------------------------------------------
# self_aware, post-game windows, discovery


def test_self_aware_phases():
    wf = CFG.workflows["morning_operations"]
    phase = {rules.hm(CFG, t): rules.self_aware_phase(CFG, wf, t) for t in rules.controller_ticks(CFG, D)}
    assert phase["06:00"] == phase["09:00"] == "ideal"
    assert phase["10:00"] == phase["23:00"] == phase["01:00"] == phase["04:00"] == "late"
    assert not rules.self_aware_due(CFG, wf, utc(2025, 1, 15, 10, 30))  # 05:30 ET: before the window
    late_window = with_workflow(CFG, "morning_operations", ideal_window=TimeWindow(time(2, 0), time(3, 0)))
    wf2 = late_window.workflows["morning_operations"]
    # No tick inside 02:00-03:00: the expected run is the first tick after it (04:00 on D+1), marked late.
    assert rules.self_aware_run_time(late_window, wf2, D) == utc(2025, 1, 16, 9)
    (run,) = rules.workflow_runs(late_window, wf2, D, [])
    assert "no tick inside" in run.reason


def test_post_game_target_date_and_tolerance():
    w1, w2, w3 = (CFG.workflows[f"post_game_window_{i}"] for i in (1, 2, 3))
    assert rules.post_game_target_date(CFG, w1, utc(2025, 1, 16, 3)) == date(2025, 1, 15)  # 22:00 ET
    assert rules.post_game_target_date(CFG, w2, utc(2025, 1, 16, 6)) == date(2025, 1, 15)  # 01:00 ET on 16th
    assert rules.post_game_target_date(CFG, w3, utc(2025, 1, 16, 9)) == date(2025, 1, 15)  # 04:00 ET on 16th
    assert rules.within_fixed_window(CFG, w1, utc(2025, 1, 16, 3, 30))  # 22:30: edge of the tolerance
    assert not rules.within_fixed_window(CFG, w1, utc(2025, 1, 16, 3, 31))
    assert rules.within_fixed_window(CFG, w3, utc(2025, 1, 16, 9, 30))  # 04:30, still the 15th's window
    assert rules.fixed_window_target(CFG, w3, utc(2025, 1, 16, 9, 30)) == date(2025, 1, 15)
    assert not rules.within_fixed_window(CFG, w2, utc(2025, 1, 16, 4))  # 23:00
    # A fixed time off the hour: the first tick within tolerance; none when no tick is close enough.
    cfg = with_workflow(CFG, "post_game_window_1", fixed_time=time(22, 30), tolerance_minutes=30)
    assert rules.fixed_window_tick(cfg, cfg.workflows["post_game_window_1"], D) == utc(2025, 1, 16, 3)
    cfg = with_workflow(CFG, "post_game_window_1", fixed_time=time(22, 30), tolerance_minutes=15)
    assert rules.fixed_window_tick(cfg, cfg.workflows["post_game_window_1"], D) is None


def test_post_game_due_needs_games_of_that_night(games):
    w2 = CFG.workflows["post_game_window_2"]
    assert rules.post_game_due(CFG, w2, utc(2025, 1, 16, 6), games)  # 01:00 on the 16th, for the 15th
    assert rules.post_game_due(CFG, w2, utc(2024, 12, 24, 6), games)  # for the 23rd's games
    assert not rules.post_game_due(CFG, w2, utc(2024, 12, 25, 6), games)  # the 24th had none
    assert not rules.post_game_due(CFG, w2, utc(2025, 1, 16, 9), games)  # 04:00 is not window 2


def test_discovery_attempts():
    CFG = injury_as_discovery(load_config())
    inj, ref = CFG.workflows["injury_discovery"], CFG.workflows["referee_discovery"]
    assert et_hours(rules.discovery_attempt_times(CFG, inj, D)) == [f"{h:02d}:00" for h in range(8, 24, 2)]
    assert et_hours(rules.discovery_attempt_times(CFG, ref, D)) == [f"{h:02d}:00" for h in range(8, 14)]
    games = tip_at(19)
    assert rules.discovery_attempt(CFG, inj, utc(2025, 1, 15, 17), games) == 3  # 12:00 ET
    assert rules.discovery_attempt(CFG, inj, utc(2025, 1, 15, 18), games) is None  # 13:00: between attempts
    assert rules.discovery_attempt(CFG, inj, utc(2025, 1, 15, 17), []) is None  # not a game day
    every_day = with_workflow(CFG, "injury_discovery", game_days_only=False)
    assert rules.discovery_attempt(every_day, every_day.workflows["injury_discovery"], utc(2025, 1, 15, 17), []) == 3
    # Off-the-hour attempts are rounded up to the next tick; none is carried past midnight.
    cfg = with_workflow(CFG, "injury_discovery", first_attempt=time(8, 30), interval_hours=1.5, max_attempts=20)
    times = et_hours(rules.discovery_attempt_times(cfg, cfg.workflows["injury_discovery"], D))
    assert times == ["09:00", "10:00", "12:00", "13:00", "15:00", "16:00", "18:00", "19:00", "21:00", "22:00"]


def test_disabled_workflow_has_no_runs(games):
    cfg = with_workflow(CFG, "betting_lines", enabled=False)
    runs = rules.expected_runs(cfg, date(2025, 1, 15), games)
    assert "betting_lines" not in {r.workflow_name for r in runs} and len(runs) == 27


# ---------------------------------------------------------------------------------------------------------
# Properties over the whole season: the locker's schedule and the controller's per-tick view agree


SEASON = st.dates(min_value=date(2024, 10, 1), max_value=date(2025, 6, 30))


@settings(max_examples=60, deadline=None)
@given(d=SEASON)
def test_every_expected_run_is_a_tick_and_due_runs_agree(games, d):
    runs = rules.expected_runs(CFG, d, games)
    ticks = rules.controller_ticks(CFG, d)
    assert all(r.expected_run_time in ticks for r in runs)
    per_tick = [r for t in ticks for r in rules.due_runs(CFG, t, games)]
    assert sorted(per_tick, key=rules._order) == runs
    # Keys are unique: one expected run per (workflow, tick).
    assert len({(r.workflow_name, r.expected_run_time) for r in runs}) == len(runs)
    has_games = bool(rules.day_games(CFG, d, games))
    assert has_games == any(r.workflow_name.startswith("post_game") for r in runs)


@settings(max_examples=80, deadline=None)
@given(
    d=SEASON,
    window=st.floats(min_value=0, max_value=12),
    freq=st.floats(min_value=1, max_value=6),
    bh_start=st.integers(min_value=5, max_value=20),
    bh_len=st.integers(min_value=1, max_value=18),
    tip_minutes=st.integers(min_value=11 * 60, max_value=23 * 60 + 30),
)
def test_game_aware_slot_properties(d, window, freq, bh_start, bh_len, tip_minutes):
    end = min(bh_start + bh_len, 23)
    if end <= bh_start:
        return
    cfg = with_workflow(
        CFG,
        "betting_lines",
        window_before_game_hours=window,
        frequency_hours=freq,
        business_hours=TimeWindow(time(bh_start), time(end)),
    )
    wf = cfg.workflows["betting_lines"]
    tip = rules._wall_instant_forward(cfg, d, time(tip_minutes // 60, tip_minutes % 60))
    slots = rules.game_aware_slots(cfg, wf, d, [game("0022400009", tip)])
    ticks = rules.controller_ticks(cfg, d)
    for s in slots:
        assert s in ticks and tip - timedelta(hours=window) <= s < tip
        assert time(bh_start) <= rules.local(cfg, s).time() < time(end)
    assert all(b - a >= timedelta(hours=freq) for a, b in zip(slots, slots[1:], strict=False))
    eligible = [
        t
        for t in ticks
        if tip - timedelta(hours=window) <= t < tip and time(bh_start) <= rules.local(cfg, t).time() < time(end)
    ]
    assert bool(slots) == bool(eligible) and (not slots or slots[0] == eligible[0])
