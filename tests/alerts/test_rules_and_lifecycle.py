"""Pure tests of the SLA rules (DST, a game after midnight ET, a postponed game), the alert life cycle and
the notifier's flood control (300 failures of one kind)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from shared.alerts import lifecycle, notify, sla
from shared.alerts.sla import DayState, RunFact
from shared.config import ConfigError, get_config
from shared.nba.schedule import Game
from tests.alerts.events import alert_event as ev_msg

CFG = get_config()
ACFG = sla.load_alerts_config()


def game(gid: str, tip: datetime, d: date) -> Game:
    return Game(gid, f"{d:%Y%m%d}/BOSNYK", d, tip, "NYK", "BOS", 1, "regular_season")


def results(states, now, rule):
    ev = sla.evaluate(CFG, ACFG, states, now)
    return {r.subject: r for r in ev.results if r.rule == rule}, ev


def test_config_loads_and_rejects_unknown_kind() -> None:
    assert ACFG.rule("final_box_scores").severity == "CRITICAL"
    assert ACFG.notify.max_per_hour_per_rule == 5 and ACFG.notify.digest_after == 3
    with pytest.raises(ConfigError, match=r"rules.x.kind"):
        sla.parse_alerts_config({"rules": {"x": {"kind": "nope"}}})
    with pytest.raises(ConfigError, match="unknown scraper"):
        sla.parse_alerts_config({"rules": {"x": {"kind": "run_before_tip", "scrapers": ["zzz"]}}}, CFG)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ({"rules": {"x": {"kind": "schedule_fresh", "max_age_hours": float("nan")}}}, "rules.x.max_age_hours"),
        ({"notify": {"cooldown_minutes": float("inf")}}, "notify.cooldown_minutes"),
        ({"notify": {"max_per_hour_per_rule": 0}}, "notify.max_per_hour_per_rule"),
        ({"notify": {"sometimes": 1}}, "notify.sometimes"),
        ({"notify": {"min_severity": "LOUD"}}, "notify.min_severity"),
    ],
)
def test_alert_settings_are_validated_like_every_settings_section(raw, key) -> None:
    with pytest.raises(ConfigError) as info:
        sla.parse_alerts_config(raw)
    assert info.value.key == key


def test_final_box_scores_due_after_last_window_across_dst_fall_back() -> None:
    # 2025-11-02: clocks fall back at 02:00 ET; the 04:00 window of the night is 09:00 UTC.
    d = date(2025, 11, 1)
    g = game("0022500100", datetime(2025, 11, 2, 3, 30, tzinfo=UTC), d)  # 22:30 ET on the 1st (EDT)
    state = DayState(d, games=(g,), runs=())
    due = datetime(2025, 11, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=60)  # 04:00 EST + 30 tolerance + 30 grace
    before, _ = results([state], due - timedelta(minutes=1), "final_box_scores")
    assert before == {}
    at, _ = results([state], due, "final_box_scores")
    assert not at[f"{d}/0022500100"].ok
    run = RunFact("bdl_box_scores", due - timedelta(hours=2), "success", game_ids=frozenset({"0022500100"}))
    ok, _ = results([DayState(d, games=(g,), runs=(run,))], due, "final_box_scores")
    assert ok[f"{d}/0022500100"].ok


def test_the_morning_recovery_resolves_the_finals_alert_it_answers() -> None:
    """The finals SLA opens at 05:00 for a game still missing after the last window (one alert per game); the
    morning recovery decides without an alert of its own, and its successful run (06:00 the next day, filed
    under that operational day, which the SLAs read too) resolves the alert: one alert, never two."""
    d = date(2025, 1, 15)
    g = game("0022400561", datetime(2025, 1, 16, 0, 0, tzinfo=UTC), d)  # 19:00 ET
    five = datetime(2025, 1, 16, 10, 0, tzinfo=UTC)  # 05:00 ET: 04:00 + 30 tolerance + 30 grace
    _, ev = results([DayState(d, games=(g,), runs=())], five, "final_box_scores")
    opened = {e.alert.key: e.alert for e in lifecycle.apply({}, ev, five) if e.alert.rule == "final_box_scores"}
    key = sla.alert_key("final_box_scores", f"{d}/0022400561")
    assert list(opened) == [key] and opened[key].severity == "CRITICAL"
    recovered = RunFact(
        "bdl_box_scores", datetime(2025, 1, 16, 11, 0, tzinfo=UTC), "success", game_ids=frozenset({g.game_id})
    )
    later = datetime(2025, 1, 16, 11, 15, tzinfo=UTC)
    states = [
        DayState(d, games=(g,), runs=(recovered,)),
        DayState(d + timedelta(days=1), games=(g,), runs=(recovered,)),
    ]
    _, ev2 = results(states, later, "final_box_scores")
    events = [e for e in lifecycle.apply(opened, ev2, later) if e.alert.rule == "final_box_scores"]
    assert [(e.event, e.alert.key) for e in events] == [("resolved", key)]


def test_betting_lines_window_and_a_game_after_midnight_et() -> None:
    d = date(2026, 1, 10)
    # A tip at 00:30 ET on the 11th (05:30 UTC) still belongs to operational day the 10th only if the schedule
    # dates it the 10th: the rule judges the games the schedule files under the day.
    late = Game(
        "0022600500", "20260110/LALGSW", d, datetime(2026, 1, 11, 5, 30, tzinfo=UTC), "GSW", "LAL", 1, "regular_season"
    )
    early_run = RunFact("oddsa_events", datetime(2026, 1, 10, 20, 0, tzinfo=UTC), "success")  # 9.5 h before: too early
    r, _ = results([DayState(d, games=(late,), runs=(early_run,))], late.commence_utc, "betting_lines_before_tip")
    assert not r[f"{d}/0022600500"].ok
    in_window = RunFact("oddsa_player_props", datetime(2026, 1, 11, 2, 0, tzinfo=UTC), "success")
    r, _ = results(
        [DayState(d, games=(late,), runs=(early_run, in_window))], late.commence_utc, "betting_lines_before_tip"
    )
    assert r[f"{d}/0022600500"].ok
    r, _ = results(
        [DayState(d, games=(late,), runs=())], late.commence_utc - timedelta(seconds=1), "betting_lines_before_tip"
    )
    assert r == {}  # not due before the tip


def test_closing_line_captured_for_every_game() -> None:
    """The closing-line SLA: a `closing` props run for the game's teams 20-35 min before its tip; judged at
    the tip; a closing run too close to the tip, another game's, or a regular snapshot do not count."""
    d = date(2025, 1, 15)
    tip = datetime(2025, 1, 16, 0, 0, tzinfo=UTC)  # 19:00 ET
    g = game("0022400561", tip, d)  # BOS at NYK: teams "BOSNYK"

    def run(minutes_before: int, kind: str = "closing", teams: str = "BOSNYK") -> RunFact:
        at = tip - timedelta(minutes=minutes_before)
        return RunFact("oddsa_player_props", at, "success", snapshot_type=kind, teams=teams)

    key = f"{d}/0022400561"
    assert (
        results([DayState(d, games=(g,), runs=(run(30),))], tip - timedelta(seconds=1), "closing_line_captured")[0]
        == {}
    )
    ok, _ = results([DayState(d, games=(g,), runs=(run(90, "regular"), run(30)))], tip, "closing_line_captured")
    assert ok[key].ok and "30 min before" in ok[key].detail
    for runs in ((run(10),), (run(30, "regular"),), (run(30, teams="LALGSW"),), ()):
        r, _ = results([DayState(d, games=(g,), runs=runs)], tip, "closing_line_captured")
        assert not r[key].ok and ACFG.rule("closing_line_captured").severity == "ERROR"
    assert (
        "outside 20-35 min before"
        in results([DayState(d, games=(g,), runs=(run(10),))], tip, "closing_line_captured")[0][key].detail
    )


def test_a_postponed_game_resolves_its_alert() -> None:
    d = date(2026, 1, 10)
    g = game("0022600501", datetime(2026, 1, 11, 0, 0, tzinfo=UTC), d)
    now = g.commence_utc + timedelta(minutes=5)
    _, ev = results([DayState(d, games=(g,), runs=())], now, "injury_report_before_tip")
    events = lifecycle.apply({}, ev, now)
    opened = {e.alert.key: e.alert for e in events if e.event == "opened"}
    key = sla.alert_key("injury_report_before_tip", f"{d}/0022600501")
    assert key in opened
    # the newest schedule moved the game to another day: not judged any more, so its alert resolves
    later = now + timedelta(minutes=15)
    _, ev2 = results([DayState(d, games=(), runs=())], later, "injury_report_before_tip")
    again = lifecycle.apply(opened, ev2, later)
    assert [(e.event, e.alert.key) for e in again if e.alert.key == key] == [("resolved", key)]


def test_source_blocked_for_more_than_n_minutes_and_recovering() -> None:
    d = date(2026, 1, 10)
    t0 = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)
    blocked = tuple(
        RunFact("nbac_player_list", t0 + timedelta(minutes=10 * i), "failed", error_type="blocked") for i in range(8)
    )
    source = CFG.scrapers["nbac_player_list"].source
    r, _ = results([DayState(d, runs=blocked[:3])], t0 + timedelta(minutes=30), "source_not_blocked")
    assert r[source].ok  # blocked 30 min: under the limit
    r, _ = results([DayState(d, runs=blocked)], t0 + timedelta(minutes=75), "source_not_blocked")
    assert not r[source].ok
    fine = RunFact("nbac_player_list", t0 + timedelta(minutes=80), "success")
    r, _ = results([DayState(d, runs=(*blocked, fine))], t0 + timedelta(minutes=85), "source_not_blocked")
    assert r[source].ok


def test_schema_drift_and_ticks_ran_and_dead_letters() -> None:
    d = date(2026, 1, 10)
    now = datetime(2026, 1, 10, 17, 0, tzinfo=UTC)  # 12:00 ET
    drift = RunFact("nbac_schedule_api", now - timedelta(hours=1), "success", schema_drift=True)
    seen = frozenset(f"2026-01-10T{h:02d}" for h in range(6, 11))  # 11:00 missing
    st = DayState(d, runs=(drift,), controller_ticks=seen, dead_letters=2)
    ev = sla.evaluate(CFG, ACFG, [st], now)
    by = {(r.rule, r.subject): r for r in ev.results}
    assert not by[("schema_drift", f"{d}/nbac_schedule_api")].ok
    ticks = by[("controller_ticks_ran", d.isoformat())]
    assert not ticks.ok and "11:00 ET" in ticks.detail
    assert not by[("dead_letters_empty", "dead-letter")].ok
    assert "cleanup_ticks_ran" not in ev.rules  # not read: not judged


def test_the_dead_letter_count_is_shown_bounded_and_none_is_not_judged() -> None:
    d, now = date(2026, 1, 10), datetime(2026, 1, 10, 17, 0, tzinfo=UTC)

    def dead(n: int | None) -> list:
        ev = sla.evaluate(CFG, ACFG, [DayState(d, dead_letters=n)], now)
        return [r for r in ev.results if r.rule == "dead_letters_empty"]

    (full,) = dead(sla.DEAD_LETTER_PEEK_LIMIT)
    assert not full.ok and full.detail == f"{sla.DEAD_LETTER_PEEK_LIMIT}+ message(s) in the dead-letter subscription"
    (some,) = dead(7)
    assert some.detail.startswith("7 message(s)")
    (empty,) = dead(0)
    assert empty.ok
    assert dead(None) == []  # unreadable: no result, so an open alert is neither resolved nor counted


def test_spring_forward_day_expects_no_skipped_tick() -> None:
    d = date(2026, 3, 8)  # 02:00 ET does not exist; the day's ticks are the configured hours that exist
    ticks = frozenset(f"{t:%Y-%m-%dT%H}" for t in [])
    st = DayState(d, controller_ticks=ticks)
    ev = sla.evaluate(CFG, ACFG, [st], datetime(2026, 3, 9, 12, 0, tzinfo=UTC))
    r = next(r for r in ev.results if r.rule == "controller_ticks_ran")
    from shared import rules

    assert f"0 of {len(rules.controller_ticks(CFG, d))}" in r.detail


def test_life_cycle_opens_once_counts_repeats_and_ignores_redelivery() -> None:
    d = date(2026, 1, 10)
    t = datetime(2026, 1, 10, 17, 0, tzinfo=UTC)
    st = DayState(d, dead_letters=1)
    stored: dict[str, lifecycle.Alert] = {}
    log = []
    for i in range(4):
        now = t + timedelta(minutes=15 * i)
        for _ in range(2):  # every tick delivered twice
            for e in lifecycle.apply(stored, sla.evaluate(CFG, ACFG, [st], now), now):
                stored[e.alert.key] = e.alert
                log.append(e.event)
    assert log == ["opened", "repeated", "repeated", "repeated"]
    (a,) = stored.values()
    assert a.count == 4 and a.opened_at == t
    later = t + timedelta(hours=2)
    (e,) = lifecycle.apply(stored, sla.evaluate(CFG, ACFG, [DayState(d, dead_letters=0)], later), later)
    assert e.event == "resolved" and e.alert.resolved_at == later
    stored[e.alert.key] = e.alert
    again = t + timedelta(hours=3)
    (e2,) = lifecycle.apply(stored, sla.evaluate(CFG, ACFG, [st], again), again)
    assert e2.event == "opened" and e2.alert.opened_at == again and e2.token != log[0]


# ---------------------------------------------------------------------------------------------------------
# Flood control


S = sla.NotifySettings()


def test_one_failure_repeated_300_times_in_a_night_is_at_most_a_few_notifications() -> None:
    state = notify.RuleState("source_not_blocked")
    t0 = datetime(2026, 1, 11, 3, 0, tzinfo=UTC)
    sent = []
    events = [ev_msg("opened", "k", t0)] + [
        ev_msg("repeated", "k", t0 + timedelta(minutes=2 * i), count=i + 1, opened=t0) for i in range(1, 300)
    ]
    events.append(ev_msg("resolved", "k", t0 + timedelta(minutes=600), count=300, opened=t0))
    for e in events:
        for _ in range(2):  # redelivered
            state, out = notify.plan(state, e, notify.parse_instant(e["at"]), S)
            sent += out
    assert len(sent) <= 10
    assert [n.kind for n in sent][0] == "alert" and sent[-1].kind == "resolved"
    assert "x300" not in sent[-1].text and "300 time(s)" in sent[-1].text


def test_300_distinct_failures_of_one_rule_are_digested_and_all_listed() -> None:
    state = notify.RuleState("source_not_blocked")
    t0 = datetime(2026, 1, 11, 3, 0, tzinfo=UTC)
    sent: list[notify.Notification] = []
    tokens: set[str] = set()
    times: list[datetime] = []
    for i in range(300):  # opening across the night, a few a minute
        e = ev_msg("opened", f"k{i}", t0 + timedelta(minutes=2 * i))
        tokens.add(e["token"])
        state, out = notify.plan(state, e, notify.parse_instant(e["at"]), S)
        sent += out
        times += [notify.parse_instant(e["at"])] * len(out)
    end = t0 + timedelta(minutes=2 * 300 + 60)
    for i in range(300):
        e = ev_msg("resolved", f"k{i}", end + timedelta(seconds=i), opened=t0 + timedelta(minutes=2 * i))
        tokens.add(e["token"])
        state, out = notify.plan(state, e, notify.parse_instant(e["at"]), S)
        sent += out
        times += [notify.parse_instant(e["at"])] * len(out)
    listed = {t for n in sent for t in n.tokens}
    assert tokens <= listed and not state.pending  # every failure and every resolution is in a notification
    assert len(sent) <= 10
    assert sum(n.kind == "alert" for n in sent) == S.digest_after
    for t in times:  # at most max_per_hour per rule in any sliding hour
        assert sum(t - timedelta(hours=1) < u <= t for u in times) <= S.max_per_hour_per_rule


def test_flush_sends_a_due_digest_without_a_new_event() -> None:
    state = notify.RuleState("source_not_blocked")
    t0 = datetime(2026, 1, 11, 3, 0, tzinfo=UTC)
    for i in range(5):  # a burst at one instant: 3 alone, 2 waiting for the digest
        state, _ = notify.plan(state, ev_msg("opened", f"k{i}", t0), t0, S)
    assert len(state.pending) == 2
    state, out = notify.flush(state, t0 + timedelta(minutes=1), S)
    assert out == []  # still within group_wait
    state, out = notify.flush(state, t0 + timedelta(minutes=15), S)
    assert [n.kind for n in out] == ["digest"] and len(out[0].tokens) == 2 and not state.pending


def test_an_alert_of_a_closed_day_is_closed_saying_so() -> None:
    d = date(2026, 1, 10)
    now = datetime(2026, 1, 11, 17, 0, tzinfo=UTC)
    st = DayState(d, controller_ticks=frozenset())
    stored = {e.alert.key: e.alert for e in lifecycle.apply({}, sla.evaluate(CFG, ACFG, [st], now), now)}
    assert sla.alert_key("controller_ticks_ran", d.isoformat()) in stored
    later = now + timedelta(days=2)  # the evaluation now covers the 12th and 13th only
    states = [DayState(d + timedelta(days=k), controller_ticks=frozenset()) for k in (2, 3)]
    closed = [e for e in lifecycle.apply(stored, sla.evaluate(CFG, ACFG, states, later), later) if e.alert.day == d]
    assert [e.event for e in closed] == ["resolved"] and closed[0].alert.detail.startswith("closed with its day")


def test_games_before_the_first_recorded_tick_are_not_judged() -> None:
    d = date(2026, 1, 10)
    g = game("0022600502", datetime(2026, 1, 11, 0, 0, tzinfo=UTC), d)
    now = g.commence_utc + timedelta(hours=1)
    installed = DayState(d, games=(g,), runs=(), ticks_since=g.commence_utc + timedelta(minutes=30))
    r, _ = results([installed], now, "injury_report_before_tip")
    assert r == {}
    r, _ = results(
        [DayState(d, games=(g,), runs=(), ticks_since=g.commence_utc - timedelta(hours=8))],
        now,
        "injury_report_before_tip",
    )
    assert not r[f"{d}/0022600502"].ok
