"""Each decision rule on the real 2024-25 schedule (2025-01-15 and its neighbours, Christmas, the All-Star break,
DST days), from histories built by the pure `World` (no cloud)."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime, time, timedelta

import pytest

from shared import rules
from shared.config import TimeWindow
from shared.controller.decide import decide_tick, decision_id, next_check, slot_tick
from shared.controller.model import Decision, Run
from shared.controller.service import request_body, requests_of
from tests.controller.conftest import World, et
from tests.workflow_variants import injury_as_discovery


def by_name(decisions) -> dict[str, Decision]:
    return {d.workflow: d for d in decisions}


def run_until(world: World, first: datetime, last: datetime) -> None:
    """Decide and record every controller tick in [first, last)."""
    d = rules.operational_day_of(world.cfg, first)
    while True:
        for t in rules.controller_ticks(world.cfg, d):
            if first <= t < last:
                world.step(t)
        if rules.operational_day_bounds(world.cfg, d)[1] >= last:
            return
        d += timedelta(days=1)


# ---------------------------------------------------------------------------------------------------------
# self_aware (morning_operations)


def test_self_aware_runs_in_the_ideal_window_then_skips(world):
    first = by_name(world.step(et("2025-01-15", "06:00")))["morning_operations"]
    assert first.action == "RUN" and first.alert_level == "NONE" and len(first.requests) == 34
    assert first.reason.startswith("daily run in the ideal window 06:00-10:00 ET")
    assert first.context["phase"] == "ideal" and first.context["games_today"] == 11
    later = by_name(world.decide(et("2025-01-15", "07:00")))["morning_operations"]
    assert (later.action, later.reason) == ("SKIP", "already succeeded today (34 requests done, complete at 06:00 ET)")


def test_self_aware_before_the_window(cfg, games):
    wf = dataclasses.replace(cfg.workflows["morning_operations"], ideal_window=TimeWindow(time(8), time(10)))
    world = World(dataclasses.replace(cfg, workflows={**cfg.workflows, wf.name: wf}), games)
    x = by_name(world.decide(et("2025-01-15", "07:00")))["morning_operations"]
    assert (x.action, x.reason) == ("SKIP", "before the ideal window 08:00-10:00 ET")


def test_self_aware_late_is_a_warning_and_reruns_only_what_failed(world):
    world.step(et("2025-01-15", "06:00"))
    # One roster and the standings failed (no_data is not success for them): only those run again.
    world.runs = [
        r
        for r in world.runs
        if not (r.scraper == "br_season_roster" and r.params["teamAbbr"] == "PHO") and r.scraper != "bdl_standings"
    ]
    world.runs.append(Run("bdl_standings", et("2025-01-15", "06:00"), "no_data", {"season": "2024"}))
    x = by_name(world.decide(et("2025-01-15", "11:00")))["morning_operations"]
    assert x.action == "RUN" and x.alert_level == "WARNING" and x.reason.startswith("late:")
    assert [(p.scraper, dict(p.params)) for p in x.requests] == [
        ("br_season_roster", {"teamAbbr": "PHO", "year": "2025", "season": "2024-25"}),
        ("bdl_standings", {"season": "2024"}),
    ]
    assert "32 of 34 already done today" in x.reason


def test_self_aware_yesterdays_success_does_not_count(world):
    world.step(et("2025-01-14", "06:00"))
    x = by_name(world.decide(et("2025-01-15", "06:00")))["morning_operations"]
    assert x.action == "RUN" and len(x.requests) == 34


# ---------------------------------------------------------------------------------------------------------
# game_aware (betting_lines before issue 18: tests/controller/conftest.py legacy_config)


def test_game_aware_window_cadence_and_first_tip(legacy_world):
    run_until(legacy_world, et("2025-01-15", "06:00"), et("2025-01-15", "13:00"))
    early = by_name(legacy_world.decisions[-8:])["betting_lines"]  # 12:00
    assert early.reason == "too early: first game at 19:00 ET, window opens at 13:00 ET (6 h before)"
    x = by_name(legacy_world.step(et("2025-01-15", "13:00")))["betting_lines"]
    assert x.action == "RUN" and x.reason == "11 games today, first at 19:00 ET in 6.0 h"
    assert {k: x.context[k] for k in ("games_today", "first_game_time", "hours_until_game")} == {
        "games_today": 11,
        "first_game_time": "2025-01-16T00:00:00Z",
        "hours_until_game": 6.0,
    }
    assert [(p.scraper, dict(p.params)) for p in x.requests] == [("oddsa_events", {"date": "2025-01-15"})]
    assert len(x.target_games) == 11
    nxt = by_name(legacy_world.step(et("2025-01-15", "14:00")))["betting_lines"]
    assert (nxt.action, nxt.reason) == ("SKIP", "ran at 13:00 ET, less than 2 h ago")
    run_until(legacy_world, et("2025-01-15", "15:00"), et("2025-01-15", "19:00"))
    started = by_name(legacy_world.decide(et("2025-01-15", "19:00")))["betting_lines"]
    assert started.reason == "the first game already started at 19:00 ET"


def test_game_aware_business_hours_on_christmas(legacy_world):
    # First tip 12:00: the window opens at 06:00, business hours at 08:00.
    assert by_name(legacy_world.decide(et("2024-12-25", "07:00")))["betting_lines"].reason == (
        "outside business hours 08:00-20:00 ET"
    )
    assert by_name(legacy_world.decide(et("2024-12-25", "08:00")))["betting_lines"].action == "RUN"


def test_game_aware_no_games(legacy_world):
    x = by_name(legacy_world.decide(et("2025-02-14", "13:00")))["betting_lines"]
    assert (x.action, x.reason) == ("SKIP", "no games today")


@pytest.mark.parametrize(
    "readings, action",
    [
        ([("11:00", 120)], "SKIP"),  # under the reserve of 500
        ([("11:00", 120), ("12:00", 9000)], "RUN"),  # the newest reading counts
        ([("11:00", 9000), ("12:00", 499)], "SKIP"),
        # the follow-ups of one tick share its logical time: the lowest of them is the newest (credits only
        # go down between resets), whatever order the records are listed in
        ([("12:00", 9000), ("12:00", 480), ("12:00", 8000)], "SKIP"),
        ([], "RUN"),  # never recorded: no reason to hold back
    ],
)
def test_odds_quota_reserve(legacy_world, readings, action):
    for hhmm, remaining in readings:
        summary = {"record_count": 3, "quota": {"requests_remaining": remaining, "requests_used": 10}}
        legacy_world.runs.append(Run("oddsa_player_props", et("2025-01-15", hhmm), "success", {}, summary, 3))
    x = by_name(legacy_world.decide(et("2025-01-15", "13:00")))["betting_lines"]
    assert x.action == action
    if action == "SKIP":
        assert x.alert_level == "WARNING" and x.reason.startswith("Odds API quota low")
        assert x.context["odds_quota_reserve"] == 500


def test_odds_quota_reading_is_carried_across_the_night(legacy_world):
    # The last odds call of 2025-01-15 left 120 credits; the next morning the day's own records hold no
    # reading yet, but the ledger carried it forward tick by tick: no credits are spent.
    summary = {"record_count": 3, "quota": {"requests_remaining": 120}}
    legacy_world.runs.append(Run("oddsa_game_lines", et("2025-01-15", "17:05"), "success", {}, summary, 3))
    run_until(legacy_world, et("2025-01-15", "18:00"), et("2025-01-16", "13:00"))
    x = by_name(legacy_world.decide(et("2025-01-16", "13:00")))["betting_lines"]
    assert x.action == "SKIP" and x.alert_level == "WARNING" and "120 requests remaining" in x.reason


# ---------------------------------------------------------------------------------------------------------
# game_aware_yesterday (post-game windows)


def test_post_game_window_1_runs_every_game_of_the_night(world):
    x = by_name(world.decide(et("2025-01-15", "22:00")))
    w1 = x["post_game_window_1"]
    assert w1.action == "RUN" and len(w1.target_games) == 11
    assert w1.context["game_night"] == "2025-01-15"
    counts = {s: sum(p.scraper == s for p in w1.requests) for s in w1.scrapers}
    # balldontlie's box scores are one request per date; the NBA.com box scores (stats v3 team and player
    # lines, CDN liveData) one per game.
    per_game = {"nbac_team_boxscore": 11, "nbac_player_boxscore": 11, "nbac_cdn_boxscore": 11}
    assert counts == {"bdl_box_scores": 1, **per_game}
    assert x["post_game_window_2"].reason == "outside the post-game window 01:00 ET (+/-30 min)"


def test_post_game_windows_serve_the_night_that_just_ended(world):
    world.step(et("2025-01-15", "22:00"))
    w2 = by_name(world.decide(et("2025-01-16", "01:00")))["post_game_window_2"]
    assert w2.context["game_night"] == "2025-01-15"
    # only the 19:00 tip was over (3 h) when window 1 ran at 22:00
    assert w2.action == "RUN" and len(w2.target_games) == 10 and "0022400561" not in w2.target_games
    assert w2.alert_level == "NONE"


def test_post_game_all_collected(world):
    # 2025-04-13: 15 games, all tipping by 15:30, so window 1 at 22:00 collects the whole night.
    world.step(et("2025-04-13", "22:00"))
    w2 = by_name(world.decide(et("2025-04-14", "01:00")))["post_game_window_2"]
    assert (w2.action, w2.reason) == ("SKIP", "all 15 games of 2025-04-13 already collected")


def test_post_game_per_date_coverage(world):
    world.step(et("2025-04-13", "22:00"))
    # the balldontlie box scores of the night lacked one game (listed by team tricodes)
    night = rules.day_games(world.cfg, datetime(2025, 4, 13).date(), world.games)
    g = night[0]
    teams = sorted({t for x in night[1:] for t in (x.home, x.away)})
    world.runs = [r for r in world.runs if r.scraper != "bdl_box_scores"]
    summary = {"record_count": 14, "team_tricodes": teams}
    world.runs.append(Run("bdl_box_scores", et("2025-04-13", "22:00"), "success", {"date": "2025-04-13"}, summary, 14))
    w2 = by_name(world.decide(et("2025-04-14", "01:00")))["post_game_window_2"]
    assert w2.target_games == (g.game_id,)
    assert [(p.scraper, dict(p.params)) for p in w2.requests] == [("bdl_box_scores", {"date": "2025-04-13"})]


def test_post_game_warning_when_over_a_fifth_is_still_missing(world):
    # Christmas: 12:00, 14:30 and 17:00 tips were over by 22:00; window 1 ran but collected nothing.
    decided = world.decide(et("2024-12-25", "22:00"))
    assert by_name(decided)["post_game_window_1"].action == "RUN"
    world.claim(decided)  # decided, but every request failed: no runs recorded
    w2 = by_name(world.decide(et("2024-12-26", "01:00")))["post_game_window_2"]
    assert w2.action == "RUN" and w2.alert_level == "WARNING"
    assert len(w2.context["overdue"]) == 3 and "3 of 5 games still missing" in w2.reason


def test_post_game_critical_in_the_last_window(world):
    for hhmm, day in (("22:00", "2025-01-15"), ("01:00", "2025-01-16")):
        world.claim(world.decide(et(day, hhmm)))  # decided, nothing collected
    w3 = by_name(world.decide(et("2025-01-16", "04:00")))["post_game_window_3"]
    assert w3.action == "RUN" and w3.alert_level == "CRITICAL" and len(w3.target_games) == 11
    assert len(w3.context["overdue"]) == 10  # all but the 22:30 tip were over by 01:00


def test_post_game_no_games_that_night(world):
    for day, hhmm, name in (
        ("2025-02-14", "22:00", "post_game_window_1"),
        ("2025-02-15", "01:00", "post_game_window_2"),
    ):
        x = by_name(world.decide(et(day, hhmm)))[name]
        assert (x.action, x.reason) == ("SKIP", "no games on the night of 2025-02-14")
    # ...while the night before the break is served at 01:00 on the first day of the break
    x = by_name(world.decide(et("2025-02-14", "01:00")))["post_game_window_2"]
    assert x.action == "RUN" and x.context["game_night"] == "2025-02-13" and len(x.target_games) == 5


# ---------------------------------------------------------------------------------------------------------
# discovery


def test_discovery_attempts(cfg, games):
    cfg = injury_as_discovery(cfg)
    world = World(cfg, games, empty=frozenset({"nbac_injury_report"}))  # published reports: none yet
    x = by_name(world.step(et("2025-01-15", "07:00")))["injury_discovery"]
    assert x.reason == "before the first attempt at 08:00 ET"
    x = by_name(world.step(et("2025-01-15", "08:00")))["injury_discovery"]
    assert (x.action, x.reason) == ("RUN", "discovery attempt 1 of 8")
    assert x.context["attempt_times"][:3] == ["08:00", "10:00", "12:00"] and x.context["max_attempts"] == 12
    x = by_name(world.step(et("2025-01-15", "09:00")))["injury_discovery"]
    assert x.action == "SKIP" and x.reason.startswith(
        "last attempt at 08:00 ET is too recent: attempt 2 is due at 10:00"
    )
    # The 10:00 tick is lost: the attempt is made at 11:00.
    x = by_name(world.step(et("2025-01-15", "11:00")))["injury_discovery"]
    assert (x.action, x.reason) == ("RUN", "discovery attempt 2 of 8")
    referee = by_name(world.decisions[-8:])["referee_discovery"]
    assert referee.reason == "already found today (at 08:00 ET)"


def test_discovery_exhausted_and_not_a_game_day(cfg, games):
    cfg = injury_as_discovery(cfg)
    world = World(cfg, games, empty=frozenset({"nbac_injury_report"}))
    run_until(world, et("2025-01-15", "06:00"), et("2025-01-16", "01:00"))
    x = by_name(world.decide(et("2025-01-16", "01:00")))["injury_discovery"]
    assert x.action == "SKIP" and x.alert_level == "WARNING"
    assert x.reason == "attempts exhausted: 8 of 8 made today (max 12, none after midnight), nothing found"
    assert by_name(world.decide(et("2025-02-14", "08:00")))["injury_discovery"].reason == "not a game day"


def test_discovery_found_means_records(world):
    at = et("2025-01-15", "08:00")
    world.runs.append(Run("nbac_referee_assignments", at, "success", {"date": "2025-01-15"}, {"record_count": 0}, 0))
    world.runs.append(Run("nbac_injury_report", at, "no_data", {"date": "2025-01-15"}, {}, 0))
    x = by_name(world.decide(et("2025-01-15", "09:00")))
    assert x["referee_discovery"].action == "RUN"  # 0 records: not published yet, keep looking
    world.runs.append(Run("nbac_referee_assignments", at, "success", {"date": "2025-01-15"}, {"record_count": 9}, 9))
    assert by_name(world.decide(et("2025-01-15", "09:00")))["referee_discovery"].reason.startswith("already found")


# ---------------------------------------------------------------------------------------------------------
# schedule freshness


def test_freshness(cfg, games):
    morning = dataclasses.replace(cfg.workflows["morning_operations"], enabled=False)
    world = World(dataclasses.replace(cfg, workflows={**cfg.workflows, morning.name: morning}), games)
    x = by_name(world.decide(et("2025-01-15", "13:00")))["schedule_freshness"]
    assert x.action == "RUN" and x.alert_level == "WARNING" and "no successful nbac_schedule_api run" in x.reason
    assert [dict(p.params) for p in x.requests] == [{"season": "2024-25"}]
    world.runs.append(Run("nbac_schedule_api", et("2025-01-15", "11:00"), "success", {"season": "2024-25"}))
    x = by_name(world.decide(et("2025-01-15", "13:00")))["schedule_freshness"]
    assert (x.action, x.reason) == (
        "SKIP",
        "schedule fresh: last successful nbac_schedule_api run at 11:00 ET (2.0 h ago)",
    )
    x = by_name(world.decide(et("2025-01-15", "18:00")))["schedule_freshness"]
    assert x.action == "RUN" and x.alert_level == "NONE" and "7.0 h ago" in x.reason


def test_freshness_leaves_the_scrape_to_a_run_of_the_same_tick(world):
    x = by_name(world.decide(et("2025-01-16", "06:00")))
    assert x["morning_operations"].action == "RUN"
    assert x["schedule_freshness"].action == "SKIP"
    assert x["schedule_freshness"].reason.endswith("morning_operations scrapes it at this tick")


# ---------------------------------------------------------------------------------------------------------
# ABORT: never a silent skip


def test_a_failed_read_aborts_only_that_workflow(world):
    x = by_name(world.decide(et("2025-01-15", "13:00"), errors={"betting_lines": "InternalServerError: boom"}))
    assert x["betting_lines"].action == "ABORT" and x["betting_lines"].alert_level == "CRITICAL"
    assert "boom" in x["betting_lines"].reason
    assert [d.action for n, d in x.items() if n != "betting_lines"].count("ABORT") == 0
    assert x["morning_operations"].action == "RUN"


def test_no_schedule_aborts_the_workflows_that_need_games(world):
    x = by_name(world.decide(et("2025-01-15", "08:00"), games=None))
    assert {n for n, d in x.items() if d.action == "ABORT"} == {
        "betting_lines",
        "post_game_window_1",
        "post_game_window_2",
        "post_game_window_3",
        "morning_recovery",
        "injury_discovery",
        "referee_discovery",
    }
    assert all(d.alert_level == "CRITICAL" for d in x.values() if d.action == "ABORT")
    assert x["morning_operations"].action == "RUN"


def test_a_rule_that_cannot_be_served_aborts_loudly(cfg, games):
    # A workflow given a scraper whose parameters the controller cannot fill (a config mistake).
    wf = dataclasses.replace(cfg.workflows["referee_discovery"], scrapers=("bp_player_props",))
    world = World(dataclasses.replace(cfg, workflows={**cfg.workflows, wf.name: wf}), games)
    x = by_name(world.decide(et("2025-01-15", "08:00")))
    assert x["referee_discovery"].action == "ABORT" and "ParamError" in x["referee_discovery"].reason
    assert x["injury_discovery"].action == "RUN"


# ---------------------------------------------------------------------------------------------------------
# Slots, ids, DST


def test_slots_and_decision_ids(cfg):
    assert slot_tick(cfg, datetime(2025, 1, 15, 18, 0, 3, tzinfo=UTC)) == datetime(2025, 1, 15, 18, tzinfo=UTC)
    assert decision_id(cfg, "betting_lines", et("2025-01-15", "13:00")) == "betting_lines@2025-01-15T13"
    # fall back: 01:00 EDT (05:00Z) and 01:00 EST (06:00Z) are one slot
    first, second = datetime(2024, 11, 3, 5, tzinfo=UTC), datetime(2024, 11, 3, 6, 0, 2, tzinfo=UTC)
    assert slot_tick(cfg, first) == slot_tick(cfg, second) == first
    assert decision_id(cfg, "post_game_window_2", slot_tick(cfg, second)) == "post_game_window_2@2024-11-03T01"
    # a manual tick outside the cron hours stands for its own hour
    assert rules.tick_key(cfg, slot_tick(cfg, datetime(2025, 1, 15, 8, 10, tzinfo=UTC))) == "2025-01-15T03"
    # spring forward: 03:00 EDT follows 01:59 EST
    assert rules.tick_key(cfg, slot_tick(cfg, datetime(2025, 3, 9, 7, 30, tzinfo=UTC))) == "2025-03-09T03"
    assert next_check(cfg, et("2025-01-15", "23:00")) == et("2025-01-16", "01:00")
    assert next_check(cfg, et("2025-01-16", "04:00")) == et("2025-01-16", "06:00")


def test_dst_days_decide_the_post_game_windows(world):
    # Fall back: the 01:00 window of 2024-11-02's night runs once, at the first 01:00.
    run_until(world, et("2024-11-02", "06:00"), datetime(2024, 11, 3, 10, tzinfo=UTC))
    runs = [(d.workflow, d.tick) for d in world.decisions if d.action == "RUN" and "post_game" in d.workflow]
    assert runs == [
        ("post_game_window_1", et("2024-11-02", "22:00")),
        ("post_game_window_2", datetime(2024, 11, 3, 5, tzinfo=UTC)),  # 01:00 EDT
        ("post_game_window_3", datetime(2024, 11, 3, 9, tzinfo=UTC)),  # 04:00 EST
    ]
    # Spring forward: the night of 2025-03-08 is served at 01:00 EST and 04:00 EDT.
    run_until(world, et("2025-03-08", "06:00"), datetime(2025, 3, 9, 9, tzinfo=UTC))
    runs = [(d.workflow, d.tick) for d in world.decisions if d.action == "RUN" and d.tick > et("2025-03-08", "21:00")]
    assert ("post_game_window_2", datetime(2025, 3, 9, 6, tzinfo=UTC)) in runs
    assert ("post_game_window_3", datetime(2025, 3, 9, 8, tzinfo=UTC)) in runs


def test_rows_round_trip_and_request_ids_are_deterministic(cfg, world):
    decisions = world.decide(et("2025-01-16", "04:00"))
    again = world.decide(et("2025-01-16", "04:00"))
    a, b = requests_of(cfg, decisions), requests_of(cfg, again)
    assert [r.request_id for r in a] == [r.request_id for r in b] and len({r.request_id for r in a}) == len(a)
    for d in decisions:
        row = d.row(environment="test", triggered_by="t")
        back = Decision.from_row({**row, "context": dict(row["context"])})
        assert back == d
    assert all(json.loads(request_body(r)) == r.to_json() for r in a)  # the fast body is the contract's
    w3 = next(r for r in a if r.workflow == "post_game_window_3")
    assert w3.decision_id == "post_game_window_3@2025-01-16T04" and w3.source == "CONTROLLER"
    assert w3.as_of == et("2025-01-16", "04:00") and w3.context["day"] == "2025-01-15"
    events = requests_of(cfg, world.decide(et("2025-01-15", "13:00")))
    ev = next(r for r in events if r.scraper_name == "oddsa_events")
    assert ev.context["follow_ups"] == ["oddsa_player_props", "oddsa_game_lines"]
    # A slot already decided is not decided again, even when the records changed meanwhile.
    first = world.step(et("2025-01-15", "13:00"))
    existing = {d.decision_id: d for d in first}
    again = decide_tick(cfg, world.snapshot(et("2025-01-15", "13:00")), existing)
    assert again == first and by_name(again)["morning_operations"].action == "RUN"
    fresh = decide_tick(cfg, world.snapshot(et("2025-01-15", "13:00")))
    assert by_name(fresh)["morning_operations"].action == "SKIP"  # what deciding again would have said


# ---------------------------------------------------------------------------------------------------------
# Pending teams (the real 2026-27 slice: NBA Cup quarterfinals with teamId 0 and null tricodes)


def test_pending_teams_count_for_the_day_and_their_team_keyed_scrapers_wait(cfg):
    from shared.nba.schedule import parse_schedule
    from tests.conftest import recording

    slice_games = tuple(
        parse_schedule(json.loads(recording("nbacom_cdn/scheduleleaguev2_2026-27_pending_knockout_slice.json")))
    )
    world = World(cfg, slice_games)
    pending = ["0022601201", "0022601202"]
    morning = by_name(world.decide(et("2026-12-04", "06:00")))["morning_operations"]
    assert morning.context["games_today"] == 2  # the two quarterfinals are games of the day
    w3 = by_name(world.decide(et("2026-12-05", "04:00")))["post_game_window_3"]
    assert w3.action == "RUN" and list(w3.target_games) == pending
    assert w3.context["waiting_for_teams"] == {gid: ["nbac_gamebook_pdf"] for gid in pending}
    assert "2 game(s) wait for their teams to be known (0022601201, 0022601202): nbac_gamebook_pdf" in w3.reason
    assert "nbac_gamebook_pdf" not in {p.scraper for p in w3.requests}
    per_game = [p for p in w3.requests if "game_id" in p.params]
    assert {p.params["game_id"] for p in per_game} == set(pending)
    assert all(v and v not in ("None", "TBD") and "TBD" not in v for p in w3.requests for v in p.params.values())
    # Once everything else is collected, the window has nothing to request: it says the game book waits.
    world.record([w3])
    again = by_name(world.decide(et("2026-12-05", "04:00")))["post_game_window_3"]
    assert again.action == "SKIP" and again.reason.startswith("all 2 games of 2026-12-04 already collected; 2 game(s)")
