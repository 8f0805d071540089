"""The injury report series (issue 18): every report the league publishes from 08:00 until the last tip is
fetched once, a missed one is caught up within `catch_up_hours`, a burst is capped per tick, the series ends
after the last tip. Pure decisions on the real 2024-25 schedule (hourly names) and a 15-minute-era date."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta

from shared import rules
from shared.controller.model import Run
from shared.nba.injury_slots import slot_of
from shared.timeutil import ET
from tests.controller.conftest import World, et


def injury(world: World, tick):
    return next(x for x in world.decide(tick) if x.workflow == "injury_discovery")


def test_each_tick_fetches_the_report_due_and_nothing_twice(world):
    assert injury(world, et("2025-01-15", "07:00")).reason == "before the first report of the series at 08:00 ET"
    x = next(x for x in world.step(et("2025-01-15", "08:00")) if x.workflow == "injury_discovery")
    # At 08:00 the newest report due is the one named 7 AM (printed 07:30).
    assert x.action == "RUN" and [dict(p.params) for p in x.requests] == [
        {"date": "2025-01-15", "hour": "7", "period": "AM"}
    ]
    assert x.context["reports"] == ["2025-01-15 7:00 AM"] and x.context["series_end"] == "23:00"
    # Redecided at the same tick after its run: done, nothing more.
    again = injury(world, et("2025-01-15", "08:00"))
    assert (again.action, again.reason) == ("SKIP", "all 1 report(s) due are fetched (newest 2025-01-15 7:00 AM ET)")
    x = next(x for x in world.step(et("2025-01-15", "09:00")) if x.workflow == "injury_discovery")
    assert [p.params["hour"] for p in x.requests] == ["8"]


def test_missed_ticks_are_caught_up_then_given_up_after_the_catch_up_window(world):
    world.step(et("2025-01-15", "08:00"))
    # 09:00 and 10:00 lost: at 11:00 the 8 AM, 9 AM and 10 AM reports are due.
    x = injury(world, et("2025-01-15", "11:00"))
    assert [p.params["hour"] for p in x.requests] == ["8", "9", "10"] and x.alert_level == "NONE"
    # Nothing ran until 14:00: the 8, 9 and 10 AM reports (due 09:00-11:00) are more than 2 h overdue and
    # given up, loudly; the 11 AM, 12 PM and 1 PM ones are fetched.
    x = injury(world, et("2025-01-15", "14:00"))
    assert [p.params["hour"] for p in x.requests] == ["11", "12", "1"]
    assert x.alert_level == "WARNING" and "3 missing for over 2 h given up" in x.reason
    assert x.context["reports_given_up"] == ["2025-01-15 8:00 AM", "2025-01-15 9:00 AM", "2025-01-15 10:00 AM"]


def test_a_burst_is_capped_per_tick_newest_first(cfg, games):
    wfs = dict(cfg.workflows)
    wfs["injury_discovery"] = dataclasses.replace(wfs["injury_discovery"], max_per_tick=2, catch_up_hours=6)
    world = World(dataclasses.replace(cfg, workflows=wfs), games)
    x = injury(world, et("2025-01-15", "12:00"))
    assert [p.params["hour"] for p in x.requests] == ["10", "11"]
    assert "3 older one(s) at the next tick" in x.reason


def test_a_failed_report_is_asked_again_and_a_no_slot_run_does_not_count(world):
    t = et("2025-01-15", "08:00")
    world.runs.append(Run("nbac_injury_report", t, "failed", {"date": "2025-01-15", "hour": "7", "period": "AM"}))
    world.runs.append(Run("nbac_injury_report", t, "success", {"date": "2025-01-15"}, {}, 5))  # names no slot
    x = injury(world, et("2025-01-15", "08:00"))
    assert [p.params["hour"] for p in x.requests] == ["7"]


def test_the_series_ends_after_the_last_tip(world):
    # 2025-01-15: the last tip is 22:30 ET; its report (named 10 PM) is due at 23:00, the last tick of the series.
    x = injury(world, et("2025-01-15", "23:00"))
    assert x.action == "RUN" and x.requests[-1].params["hour"] == "10"
    over = injury(world, et("2025-01-16", "01:00"))
    assert (over.action, over.alert_level) == ("SKIP", "WARNING")
    assert (
        over.reason
        == "the series is over: the last tip's report was due by 23:00 ET; 16 report(s) of the series never fetched"
    )
    for t in rules.controller_ticks(world.cfg, date(2025, 1, 15)):
        if t <= et("2025-01-15", "23:00"):
            world.step(t)
    over = injury(world, et("2025-01-16", "01:00"))
    assert (over.action, over.alert_level) == ("SKIP", "NONE")
    assert over.reason == "the series is over: the last tip's report was due by 23:00 ET"


def test_not_a_game_day(world):
    assert injury(world, et("2025-02-14", "12:00")).reason == "not a game day"


def test_fifteen_minute_names_four_reports_an_hour(cfg, games):
    # From 2025-12-23 a report every quarter hour: an hourly tick asks for the four published since the last.
    day = date(2026, 2, 8)
    g = games[500]
    tip = datetime.combine(day, time(19, 30), ET).astimezone(UTC)
    world = World(cfg, (dataclasses.replace(g, game_date=day, commence_utc=tip),))
    first = next(x for x in world.step(et(day.isoformat(), "08:00")) if x.workflow == "injury_discovery")
    assert [(p.params["hour"], p.params["minute"]) for p in first.requests] == [("7", "45")]
    x = injury(world, et(day.isoformat(), "09:00"))
    assert [(p.params["hour"], p.params["minute"]) for p in x.requests] == [
        ("8", "00"), ("8", "15"), ("8", "30"), ("8", "45")
    ]  # fmt: skip
    assert {
        slot_of(day, p.params["hour"], p.params["period"], p.params["minute"]).is_due(x.tick) for p in x.requests
    } == {True}


def test_expected_runs_agree_with_the_decisions_across_dst(cfg, games):
    # The locker expects the series at every tick of its window; the controller RUNs at each of them when
    # every report is published (hourly names: one new report per hourly tick), on the DST days too.
    for d in (date(2025, 3, 9), date(2025, 11, 2)):
        if not rules.day_games(cfg, d, games):
            continue
        world = World(cfg, games)
        expected = [
            r.expected_run_time for r in rules.expected_runs(cfg, d, games) if r.workflow_name == "injury_discovery"
        ]
        runs = []
        for t in rules.controller_ticks(cfg, d):
            runs += [x.tick for x in world.step(t) if x.workflow == "injury_discovery" and x.action == "RUN"]
        assert runs == expected and len(runs) > 8
        assert all(t - timedelta(0) in rules.controller_ticks(cfg, d) for t in runs)
