"""The controller agrees with the schedule locker, over whole days of the real 2024-25 schedule.

Every controller tick of consecutive operational days is decided from a history in which every RUN's
requests succeed at their tick (the pure `World`). Then, for each day:
- every RUN of a configured workflow falls on an expected run of `rules.expected_runs` (what the locker
  locks), and
- every expected run has a decision at its tick: a RUN, or a SKIP because the work is already done.
The schedule freshness check is left out of the first property on purpose: it refreshes the schedule when
its last scrape is older than 6 h, which depends on history, not on the day's plan, and the locker does
not lock it (it is checked separately below).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from shared import rules
from shared.controller.decide import slot_tick
from shared.controller.model import FRESHNESS
from tests.controller.conftest import World
from tests.workflow_variants import injury_as_discovery

# (first day, last day): consecutive operational days simulated with one continuous history.
PERIODS = {
    "regular days around 2025-01-15": (date(2025, 1, 14), date(2025, 1, 16)),
    "early tips on MLK day": (date(2025, 1, 19), date(2025, 1, 20)),
    "Christmas (tip at 12:00)": (date(2024, 12, 24), date(2024, 12, 25)),
    "All-Star break (no games after a game night)": (date(2025, 2, 13), date(2025, 2, 15)),
    "spring forward (2025-03-09)": (date(2025, 3, 8), date(2025, 3, 9)),
    "fall back (2024-11-03)": (date(2024, 11, 2), date(2024, 11, 3)),
    "season opener": (date(2024, 10, 21), date(2024, 10, 22)),
    "a 15-game day": (date(2025, 2, 12), date(2025, 2, 12)),
}


def simulate(world: World, first: date, last: date) -> dict[date, list]:
    out: dict[date, list] = {}
    d = first
    while d <= last:
        out[d] = []
        for tick in rules.all_ticks(world.cfg, d):
            out[d].extend(world.step(tick))
        d += timedelta(days=1)
    return out


def check_agreement(cfg, games, day: date, decisions: list) -> None:
    expected = {(r.workflow_name, r.expected_run_time) for r in rules.expected_runs(cfg, day, games)}
    by_key = {(x.workflow, x.tick): x for x in decisions}
    assert len(by_key) == len(decisions), "one decision per workflow per tick"
    assert not [x for x in decisions if x.action == "ABORT"]
    runs = {(x.workflow, x.tick) for x in decisions if x.action == "RUN" and x.workflow != FRESHNESS}
    stray = sorted((w, rules.hm(cfg, t)) for w, t in runs - expected)
    assert not stray, f"{day}: RUNs that are not expected runs: {stray}"
    for wf, t in sorted(expected, key=lambda k: k[1]):
        x = by_key.get((wf, t))
        assert x is not None, f"{day}: no decision for the expected run {wf} at {rules.hm(cfg, t)}"
        assert x.action == "RUN" or x.reason.startswith("already") or "already collected" in x.reason, (
            f"{day}: expected run {wf} at {rules.hm(cfg, t)} was {x.action}: {x.reason}"
        )
    # Every hour tick has one decision per enabled workflow plus the freshness check; every sub-hourly tick
    # one per game_tip_offsets workflow.
    ticks = rules.controller_ticks(cfg, day)
    subs = len(rules.all_ticks(cfg, day)) - len(ticks)
    tips = sum(w.decision_type == "game_tip_offsets" for w in cfg.enabled_workflows())
    assert len(decisions) == len(ticks) * (len(cfg.enabled_workflows()) + 1) + subs * tips


@pytest.mark.parametrize("period", PERIODS)
def test_every_run_is_expected_and_every_expected_run_is_decided(cfg, games, period):
    first, last = PERIODS[period]
    world = World(cfg, games)
    days = simulate(world, first - timedelta(days=1), last)  # a day of history before the checked days
    for day in sorted(days)[1:]:
        check_agreement(cfg, games, day, days[day])


def test_discovery_that_never_finds_runs_exactly_at_the_expected_attempts(cfg, games):
    # Injury and referee reports never published: every attempt of the locked schedule is made, no other.
    cfg = injury_as_discovery(cfg)
    world = World(cfg, games, empty=frozenset({"nbac_injury_report", "nbac_referee_assignments"}))
    day = date(2025, 1, 15)
    decisions = simulate(world, day, day)[day]
    for name in ("injury_discovery", "referee_discovery"):
        expected = [r.expected_run_time for r in rules.expected_runs(cfg, day, games) if r.workflow_name == name]
        runs = [x.tick for x in decisions if x.workflow == name and x.action == "RUN"]
        assert runs == expected and len(runs) == {"injury_discovery": 8, "referee_discovery": 6}[name]
        last = [x for x in decisions if x.workflow == name][-1]  # 04:00: the day's search is over
        assert last.alert_level == "WARNING" and last.reason.startswith("attempts exhausted")


def test_the_regular_day_in_detail(cfg, games):
    world = World(cfg, games)
    simulate(world, date(2025, 1, 14), date(2025, 1, 14))
    decisions = simulate(world, date(2025, 1, 15), date(2025, 1, 15))[date(2025, 1, 15)]
    runs = [(rules.hm(cfg, x.tick), x.workflow, len(x.requests)) for x in decisions if x.action == "RUN"]
    # The injury report series: the hourly era's one new report at every tick from 08:00 to 23:00 (the report
    # named at the last tip, 22:00, printed 22:30, is due at 23:00).
    assert [r for r in runs if r[1] == "injury_discovery"] == [
        (f"{h:02d}:00", "injury_discovery", 1) for h in range(8, 24)
    ]
    runs = [r for r in runs if r[1] != "injury_discovery"]
    assert runs == [
        ("06:00", "morning_operations", 34),  # schedule, player list, 30 rosters, standings, active players
        ("08:00", "referee_discovery", 1),
        ("09:00", "betting_lines", 1),  # the opening line of all 11 games: one oddsa_events call
        ("13:00", "schedule_freshness", 1),  # 7 h after the 06:00 scrape (limit 6 h)
        # betting_lines (game_tip_offsets): T-6h, T-3h, T-90m and the closing line of each game, at the
        # quarter-hour tick where they fall (one oddsa_events call each; props and lines follow per event)
        *[(t, "betting_lines", 1) for t in ("13:00", "13:30", "14:00", "15:00", "15:30", "16:00", "16:30")],
        *[(t, "betting_lines", 1) for t in ("17:00", "17:30", "18:00", "18:30", "19:00", "19:30")],
        ("20:00", "schedule_freshness", 1),
        ("20:00", "betting_lines", 1),
        ("20:30", "betting_lines", 1),
        ("21:00", "betting_lines", 1),
        ("21:30", "betting_lines", 1),
        ("22:00", "betting_lines", 1),  # the 22:30 tip's closing line
        # three per-game NBA.com box scores (stats v3 team and player lines, CDN liveData) x 11 games + the
        # per-date balldontlie box scores
        ("22:00", "post_game_window_1", 3 * 11 + 1),
        ("01:00", "post_game_window_2", 3 * 10 + 1),  # 10 games not over at 22:00 (tips after 19:00)
        ("04:00", "schedule_freshness", 1),
        # the 22:30 tip was not over at 01:00: its box scores again, plus bigdataball, pbp and gamebooks for all 11
        ("04:00", "post_game_window_3", 3 + 1 + 3 * 11),
    ]
    alerts = [(x.workflow, x.alert_level) for x in decisions if x.alert_level != "NONE"]
    assert alerts == []  # nothing late, nothing missing


def variant(cfg):
    """Times that do not fall on ticks: windows opening at :30, a 1.5 h discovery interval from 08:30, a post-game
    window whose tolerance covers two ticks, an ideal window starting between ticks."""
    from datetime import time

    from shared.config import TimeWindow

    wfs = dict(cfg.workflows)
    wfs["morning_operations"] = dataclasses.replace(
        wfs["morning_operations"], ideal_window=TimeWindow(time(7, 30), time(9))
    )
    from shared.config import TipSnapshot

    wfs["betting_lines"] = dataclasses.replace(
        wfs["betting_lines"],
        snapshots=(
            TipSnapshot("open", "open", at=time(9, 50)),
            TipSnapshot("t-4h", "regular", before_minutes=247),
            TipSnapshot("closing", "closing", before_minutes=33),
        ),
    )
    wfs["post_game_window_1"] = dataclasses.replace(
        wfs["post_game_window_1"], fixed_time=time(22, 30), tolerance_minutes=45
    )
    wfs["injury_discovery"] = dataclasses.replace(
        wfs["injury_discovery"], first_attempt=time(8, 30), interval_hours=1.5
    )
    return dataclasses.replace(cfg, workflows=wfs)


@pytest.mark.parametrize("day", [date(2025, 1, 15), date(2024, 12, 25), date(2025, 3, 9)])
def test_agreement_with_times_between_ticks(cfg, games, day):
    vcfg = variant(cfg)
    for empty in (frozenset(), frozenset({"nbac_injury_report"})):
        world = World(vcfg, games, empty=empty)
        decisions = simulate(world, day - timedelta(days=1), day)[day]
        check_agreement(vcfg, games, day, decisions)
        if empty:  # never found: every locked attempt is made
            expected = [
                r.expected_run_time
                for r in rules.expected_runs(vcfg, day, games)
                if r.workflow_name == "injury_discovery"
            ]
            assert [x.tick for x in decisions if x.workflow == "injury_discovery" and x.action == "RUN"] == expected


def test_whole_season_sample_agrees(cfg, games):
    # Every 12th day of the season (plus its previous day as history): about 20 days of every kind.
    world_days = sorted({g.game_date for g in games})[::12]
    for day in world_days:
        world = World(cfg, games)
        decisions = simulate(world, day - timedelta(days=1), day)[day]
        check_agreement(cfg, games, day, decisions)


def test_the_configured_cron_fires_exactly_at_the_rules_ticks(cfg):
    """The deployed cron (derived from the configuration) fires, in America/New_York, at exactly the ticks the
    rules and the locker use: every 15 min of 06:00-23:00 plus the 01:00 and 04:00 post-game windows (hour
    ticks for every workflow, the quarters for the tip-keyed ones), DST days included."""
    from croniter import croniter

    assert cfg.controller_cron() == "*/15 1,4,6-23 * * *"
    for day in (date(2025, 1, 15), date(2025, 3, 8), date(2024, 11, 2)):
        start, end = rules.operational_day_bounds(cfg, day)
        it = croniter(cfg.controller_cron(), start.astimezone(cfg.timezone) - timedelta(seconds=1))
        fired = []
        while (t := it.get_next(datetime)) < end:
            fired.append(t.astimezone(UTC))
        # a fall-back day may fire the repeated 01:00 twice: both are the same slot
        slots = sorted({slot_tick(cfg, t) for t in fired})
        assert slots == rules.all_ticks(cfg, day)
        assert [t for t in slots if not rules.is_sub_tick(cfg, t)] == rules.controller_ticks(cfg, day)
        for wf in cfg.enabled_workflows():
            if wf.fixed_time is not None:
                assert rules.fixed_window_tick(cfg, wf, day) in slots, (wf.name, day)


def test_a_slot_lost_in_the_spring_forward_gap_is_caught_up(cfg, games):
    # Hourly ticks around the clock, and an injury discovery starting at 02:00: on 2025-03-09 02:00 does not
    # exist, so the attempt is made at the next tick, 03:00 EDT (the locker expects it there too).
    from datetime import time

    wfs = dict(injury_as_discovery(cfg).workflows)
    wfs["injury_discovery"] = dataclasses.replace(wfs["injury_discovery"], first_attempt=time(2))
    hourly = dataclasses.replace(
        cfg, controller=dataclasses.replace(cfg.controller, first_hour=0, last_hour=23), workflows=wfs
    )
    hourly = dataclasses.replace(hourly, operational_day_start=time(0))
    world = World(hourly, games, empty=frozenset({"nbac_injury_report"}))
    day = date(2025, 3, 9)
    decisions = simulate(world, day - timedelta(days=1), day)[day]
    check_agreement(hourly, games, day, decisions)
    first = next(x for x in decisions if x.workflow == "injury_discovery" and x.action == "RUN")
    assert rules.local(hourly, first.tick).strftime("%H:%M %Z") == "03:00 EDT"
    assert first.reason == "discovery attempt 1 of 11"
