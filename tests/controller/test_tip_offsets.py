"""betting_lines as game_tip_offsets (issue 18): a line snapshot per (game, offset) slot keyed to the game's
current tip, on the 15-minute ticks, decided from the pure `World` on the real 2024-25 schedule (explicit
`now`, DST days), and the credit planner (pure, with hypothesis properties)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared import rules
from shared.config import ConfigError, load_config
from shared.controller import budget
from shared.controller.model import Run
from shared.controller.service import requests_of
from tests.controller.conftest import World, et


def day_of(world: World, d: date) -> list:
    """Decide and record every tick (hour and quarter) of operational day `d`."""
    out = []
    for t in rules.all_ticks(world.cfg, d):
        out.extend(world.step(t))
    return out


def closing_minutes(world: World, d: date, decisions) -> dict[str, float]:
    """game id -> minutes between its closing snapshot's tick and its tip."""
    tips = {g.game_id: g.commence_utc for g in rules.day_games(world.cfg, d, world.games)}
    out = {}
    for x in decisions:
        if x.workflow == "betting_lines" and x.action == "RUN":
            for key in x.context["slots_taken"]:
                gid, name = key.split("/")
                if name == "closing":
                    out[gid] = (tips[gid] - x.tick).total_seconds() / 60
    return out


@pytest.mark.parametrize(
    "d",
    [date(2025, 1, 15), date(2024, 12, 25), date(2025, 3, 9), date(2024, 11, 3), date(2025, 4, 13), date(2025, 2, 12)],
)
def test_every_game_gets_one_closing_snapshot_20_to_35_min_before_its_tip(world, d):
    decisions = day_of(world, d)
    games = rules.day_games(world.cfg, d, world.games)
    mins = closing_minutes(world, d, decisions)
    assert set(mins) == {g.game_id for g in games}
    assert all(20 <= m <= 35 for m in mins.values()), mins
    # Each slot is taken once: no (game, snapshot) key twice in the day.
    keys = [
        k for x in decisions if x.action == "RUN" and x.workflow == "betting_lines" for k in x.context["slots_taken"]
    ]
    assert len(keys) == len(set(keys))


def test_the_regular_day_line_path(world):
    d = date(2025, 1, 15)
    decisions = day_of(world, d)
    bl = [x for x in decisions if x.workflow == "betting_lines"]
    nyk = "0022400561"  # NYK at PHI, the first game of the night, tip 19:00 ET
    g = next(g for g in rules.day_games(world.cfg, d, world.games) if g.game_id == nyk)
    assert rules.hm(world.cfg, g.commence_utc) == "19:00"
    taken = {
        k.split("/")[1]: rules.hm(world.cfg, x.tick)
        for x in bl
        if x.action == "RUN"
        for k in x.context["slots_taken"]
        if k.startswith(nyk)
    }
    assert taken == {"open": "09:00", "t-6h": "13:00", "t-3h": "16:00", "t-90m": "17:30", "closing": "18:30"}
    # The quarter ticks decide only betting_lines; the hour ticks everything plus the freshness check.
    at_1815 = [x for x in decisions if x.tick == et("2025-01-15", "18:15")]
    assert [x.workflow for x in at_1815] == ["betting_lines"]
    assert at_1815[0].decision_id == "betting_lines@2025-01-15T18:15"
    assert len([x for x in decisions if x.tick == et("2025-01-15", "18:00")]) == len(world.cfg.enabled_workflows()) + 1


def test_request_carries_snapshot_type_and_only_the_due_games(world):
    d = date(2025, 1, 15)
    for t in rules.all_ticks(world.cfg, d):
        if t >= et("2025-01-15", "18:30"):
            break
        world.step(t)
    x = next(x for x in world.decide(et("2025-01-15", "18:30")) if x.workflow == "betting_lines")
    assert x.action == "RUN"
    assert x.context["snapshot_games"]["NYKPHI"] == "closing"
    assert "MIALAL" not in x.context["snapshot_games"]  # 22:00 tip: nothing due at 18:30
    (req,) = requests_of(world.cfg, [x])
    assert req.scraper_name == "oddsa_events" and req.params == {"date": "2025-01-15"}
    assert req.context["snapshot_type"] == "closing"
    assert req.context["snapshot_games"] == dict(sorted(x.context["snapshot_games"].items()))
    assert req.context["follow_ups"] == ["oddsa_player_props", "oddsa_game_lines"]
    assert len(x.target_games) == len(x.context["snapshot_games"])


def test_a_rescheduled_game_follows_its_new_tip(world):
    d = date(2025, 1, 15)
    games = list(world.games)
    i = next(i for i, g in enumerate(games) if g.game_id == "0022400561")
    games[i] = dataclasses.replace(games[i], commence_utc=games[i].commence_utc + timedelta(hours=2))  # 19:00 -> 21:00
    world.games = tuple(games)
    mins = closing_minutes(world, d, day_of(world, d))
    assert mins["0022400561"] == 30
    at = [
        x
        for x in world.decisions
        if x.workflow == "betting_lines" and x.action == "RUN" and "0022400561/closing" in x.context["slots_taken"]
    ]
    assert rules.hm(world.cfg, at[0].tick) == "20:30"


def test_a_missed_tick_is_caught_up_late_but_never_after_the_tip(world):
    d = date(2025, 1, 15)
    for t in rules.all_ticks(world.cfg, d):
        if t >= et("2025-01-15", "18:30"):
            break
        world.step(t)
    # 18:30 and 18:45 never happen (an outage): the 19:00 tip's closing slot is not taken at 19:00.
    x = next(x for x in world.step(et("2025-01-15", "19:00")) if x.workflow == "betting_lines")
    assert "0022400561/closing" not in (x.context.get("slots_taken") or [])
    # An outage of one tick only: 18:45 still takes it (20 min late, inside late_minutes 30).
    world2 = World(world.cfg, world.games)
    for t in rules.all_ticks(world2.cfg, d):
        if t >= et("2025-01-15", "18:30"):
            break
        world2.step(t)
    y = next(x for x in world2.step(et("2025-01-15", "18:45")) if x.workflow == "betting_lines")
    assert "0022400561/closing" in y.context["slots_taken"]


def test_missed_closing_is_a_warning_with_its_reason(world):
    world.step(et("2025-01-15", "09:00"))
    # No tick between 09:00 and 18:57 (closing of the 19:00 tip due 18:25, 30 min late allowed).
    x = next(x for x in world.decide(et("2025-01-15", "18:57")) if x.workflow == "betting_lines")
    missed = [s for s in x.context["slots"] if s["slot"] == "0022400561/closing"]
    assert missed and missed[0]["state"] == "missed" and missed[0]["reason"].startswith("missed: due at 18:25 ET")
    assert x.alert_level == "WARNING" and "closing missed" in x.reason


def test_budget_skips_say_why_and_never_cross_the_reserve(world):
    reserve = world.cfg.controller.odds_quota_reserve
    summary = {"record_count": 3, "quota": {"requests_remaining": reserve + 10}}
    world.runs.append(Run("oddsa_player_props", et("2025-01-15", "18:00"), "success", {}, summary, 3))
    x = next(x for x in world.decide(et("2025-01-15", "18:30")) if x.workflow == "betting_lines")
    cost = world.cfg.odds.snapshot_cost()
    taken = [s for s in x.context["slots"] if s["state"] == "take"]
    skipped = [s for s in x.context["slots"] if s["state"] == "skip"]
    assert len(taken) * cost <= 10 and skipped
    assert all(s["reason"].startswith("budget: ") for s in skipped)
    assert all(s["snapshot_type"] == "closing" for s in taken)  # the closing line first
    assert "budget: " in x.reason and x.alert_level == "WARNING"


def test_no_credit_left_above_the_reserve_is_a_skip(world):
    summary = {"record_count": 3, "quota": {"requests_remaining": 120}}
    world.runs.append(Run("oddsa_game_lines", et("2025-01-15", "17:05"), "success", {}, summary, 3))
    x = next(x for x in world.decide(et("2025-01-15", "18:30")) if x.workflow == "betting_lines")
    assert x.action == "SKIP" and x.alert_level == "WARNING" and "budget: closing snapshot costs" in x.reason


def injury_run(at, triggers, status="success"):
    """An injury report run as the scrapers file it: its changes' matchups in `injury_triggers`."""
    summary = {"record_count": 40, "compared_with": "1200", "injury_triggers": list(triggers)}
    return Run("nbac_injury_report", at, status, {"date": "2025-01-15"}, summary, 40)


def lines(decisions):
    return next(x for x in decisions if x.workflow == "betting_lines")


def test_injury_news_releases_one_re_snapshot_of_its_game_at_the_next_tick(world):
    """A report run whose changes name NYK@PHI (tip 19:00 ET): the next quarter tick takes an `injury`
    snapshot of that game only; the tick after has nothing more to answer."""
    for t in rules.all_ticks(world.cfg, date(2025, 1, 15)):
        if t >= et("2025-01-15", "13:00"):
            break
        world.step(t)
    world.runs.append(injury_run(et("2025-01-15", "13:00"), ["NYK@PHI", "ZZZ@YYY"]))  # unknown matchup: ignored
    world.step(et("2025-01-15", "13:00"))
    x = lines(world.step(et("2025-01-15", "13:15")))
    assert x.action == "RUN" and x.context["slots_taken"] == ["0022400561/injury-1300"], x.reason
    assert x.context["snapshot_games"] == {"NYKPHI": "injury"}
    assert [p.context["snapshot_type"] for p in x.requests] == ["injury"] * len(x.requests)
    assert x.target_games == ("0022400561",)
    nxt = lines(world.decide(et("2025-01-15", "13:30")))
    assert not any("/injury" in k for k in nxt.context.get("slots_taken") or ()), nxt.reason
    # Later news about the same game asks again (answered by a snapshot after it, not by the earlier one).
    world.runs.append(injury_run(et("2025-01-15", "14:00"), ["NYK@PHI"]))
    world.step(et("2025-01-15", "13:30"))
    world.step(et("2025-01-15", "13:45"))
    world.step(et("2025-01-15", "14:00"))
    x = lines(world.decide(et("2025-01-15", "14:15")))
    assert x.action == "RUN" and x.context["slots_taken"] == ["0022400561/injury-1400"]


def test_a_snapshot_due_anyway_answers_the_news_and_a_started_game_gets_none(world):
    d = date(2025, 1, 15)
    tips = {g.game_id: g.commence_utc for g in rules.day_games(world.cfg, d, world.games)}
    ticks = rules.all_ticks(world.cfg, d)
    # The tick of NYK@PHI's T-90 snapshot: news read at the tick before is answered by that snapshot.
    t90 = next(
        x.tick
        for t in ticks
        if (x := lines(world.step(t))).action == "RUN" and "0022400561/t-90m" in x.context["slots_taken"]
    )
    fresh = World(world.cfg, world.games)
    before = ticks[ticks.index(t90) - 1]
    fresh.runs.append(injury_run(before, ["NYK@PHI"]))
    for t in ticks:
        if t > t90:
            break
        out = fresh.step(t)
    x = lines(out)
    tag = f"0022400561/injury-{rules.local(world.cfg, before):%H%M}"
    assert "0022400561/t-90m" in x.context["slots_taken"] and tag in x.context["slots_taken"]
    assert x.context["snapshot_games"]["NYKPHI"] == "injury"  # a regular slot, answering news: its priority
    assert sum(k.startswith("0022400561/") for k in x.context["slots_taken"]) == 2
    after_t90 = lines(fresh.decide(ticks[ticks.index(t90) + 1])).context.get("slots_taken") or ()
    assert not any(k.startswith("0022400561/") for k in after_t90)
    # News after the tip: nothing (the game has started).
    late = World(world.cfg, world.games)
    after = tips["0022400561"] + timedelta(minutes=5)
    late.runs.append(injury_run(after, ["NYK@PHI"]))
    nxt = next(t for t in ticks if t > after)
    x = lines(late.decide(nxt))
    assert not any(k.startswith("0022400561/injury") for k in x.context.get("slots_taken") or ())


def test_injury_news_is_read_from_the_report_runs_of_the_day_only(world, cfg):
    """`state.injury_news`: only successful runs, only matchups of the day's games, the newest run per game."""
    from shared.controller.state import injury_news

    day = rules.day_games(cfg, date(2025, 1, 15), world.games)
    runs = [
        injury_run(et("2025-01-15", "12:00"), ["NYK@PHI"]),
        injury_run(et("2025-01-15", "15:00"), ["NYK@PHI", "BOS@NOP"]),
        injury_run(et("2025-01-15", "16:00"), ["NYK@PHI"], status="no_data"),
        Run("nbac_injury_report", et("2025-01-15", "17:00"), "success", {}, {"injury_triggers": "NYK@PHI"}, 1),
    ]
    got = injury_news(runs, day)
    assert got == {"0022400561": et("2025-01-15", "15:00")}, got


def test_the_snapshot_reads_injury_news_for_the_tip_workflow_only(world):
    world.runs.append(injury_run(et("2025-01-15", "13:00"), ["NYK@PHI"]))
    snap = world.snapshot(et("2025-01-15", "13:15"))
    assert snap.history["betting_lines"].injury_news == {"0022400561": et("2025-01-15", "13:00")}
    assert all(not h.injury_news for w, h in snap.history.items() if w != "betting_lines")


def test_dst_days_keep_quarter_ticks_and_keys():
    cfg = load_config()
    spring = rules.all_ticks(cfg, date(2025, 3, 9))
    fall = rules.all_ticks(cfg, date(2024, 11, 3))
    assert len(spring) == len(set(spring)) and len(fall) == len(set(fall))
    assert len({rules.tick_key(cfg, t) for t in fall}) == len(fall)
    assert rules.tick_key(cfg, et("2025-03-09", "19:45")) == "2025-03-09T19:45"
    # A firing at 19:47:10 is the 19:45 tick; one at 19:07 the 19:00 hour tick.
    from shared.controller.decide import slot_tick

    assert slot_tick(cfg, et("2025-03-09", "19:47") + timedelta(seconds=10)) == et("2025-03-09", "19:45")
    assert slot_tick(cfg, et("2025-03-09", "19:07")) == et("2025-03-09", "19:00")


def test_config_validation(tmp_path):
    import shutil

    import yaml

    from shared.config import CONFIG_DIR

    def mutated(fn, file="workflows.yaml"):
        d = tmp_path / f"c{len(list(tmp_path.iterdir()))}"
        shutil.copytree(CONFIG_DIR, d)
        doc = yaml.safe_load((d / file).read_text())
        fn(doc)
        (d / file).write_text(yaml.safe_dump(doc))
        return d

    bl = lambda w: w["workflows"]["betting_lines"]  # noqa: E731
    with pytest.raises(ConfigError, match="exactly one snapshot of type closing"):
        load_config(mutated(lambda w: bl(w)["snapshots"].pop()))
    with pytest.raises(ConfigError, match="exactly one of before_minutes or at"):
        load_config(mutated(lambda w: bl(w)["snapshots"][1].update(at="10:00")))
    with pytest.raises(ConfigError, match="unknown snapshot type"):
        load_config(mutated(lambda w: bl(w)["snapshots"][1].update(type="middle")))
    with pytest.raises(ConfigError, match="late_minutes"):
        load_config(mutated(lambda w: bl(w).update(late_minutes=5)))
    with pytest.raises(ConfigError, match="unknown market 'player_pointz'"):
        load_config(mutated(lambda s: s["odds"]["prop_markets"].append("player_pointz"), "settings.yaml"))
    with pytest.raises(ConfigError, match="odds.regions"):
        load_config(mutated(lambda s: s["odds"].update(regions=["mars"]), "settings.yaml"))
    with pytest.raises(ConfigError, match="tick_minutes"):
        load_config(mutated(lambda s: s["controller"].update(tick_minutes=25), "settings.yaml"))
    with pytest.raises(ConfigError, match="odds.billing_reset_day"):
        load_config(mutated(lambda s: s["odds"].update(billing_reset_day=31), "settings.yaml"))


def test_cost_model():
    odds = load_config().odds
    assert odds.call_cost(5) == 5 and odds.call_cost(3, historical=True) == 30
    assert odds.snapshot_cost() == len(odds.prop_markets) + len(odds.line_markets)
    two = dataclasses.replace(odds, regions=("us", "uk"))
    assert two.snapshot_cost() == 2 * odds.snapshot_cost()


# ---------------------------------------------------------------------------------------------------------
# The planner (pure)

KINDS = st.sampled_from(["closing", "injury", "regular", "open"])
CANDS = st.lists(st.tuples(KINDS, st.integers(min_value=1, max_value=40)), max_size=25)


@settings(max_examples=200, deadline=None)
@given(
    cands=CANDS,
    remaining=st.integers(min_value=0, max_value=2000),
    reserve=st.integers(min_value=0, max_value=800),
    future=st.integers(min_value=0, max_value=500),
)
def test_planner_never_crosses_the_reserve_and_takes_closing_first(cands, remaining, reserve, future):
    cs = [budget.Candidate(f"g{i}/{k}", f"g{i}", k, c) for i, (k, c) in enumerate(cands)]
    p = budget.plan(cs, remaining=remaining, reserve=reserve, future_closing_cost=future)
    assert len(p.choices) == len(cs)
    assert remaining - p.spend >= reserve or p.spend == 0
    assert all(ch.reason.startswith("budget: ") for ch in p.skipped)
    # A lower class never got credits a skipped closing snapshot could have used.
    skipped_closing = [ch.candidate for ch in p.skipped if ch.candidate.kind == "closing"]
    if skipped_closing:
        lower = sum(c.cost for c in p.taken if c.kind != "closing")
        assert lower == 0 or min(c.cost for c in skipped_closing) > remaining - reserve - sum(
            c.cost for c in p.taken if c.kind == "closing"
        )
    # Lower classes leave the credits kept for the closing lines ahead.
    lower = sum(c.cost for c in p.taken if c.kind != "closing")
    if lower:
        assert remaining - p.spend - reserve >= future or remaining - reserve - lower >= future


def test_planner_without_a_reading_takes_everything():
    cs = [budget.Candidate("a/closing", "a", "closing", 8), budget.Candidate("b/open", "b", "open", 8)]
    p = budget.plan(cs, remaining=None, reserve=500)
    assert [c.take for c in p.choices] == [True, True] and p.notes


def test_planner_order_and_reasons():
    cs = [
        budget.Candidate("a/open", "a", "open", 8),
        budget.Candidate("b/t-3h", "b", "regular", 8),
        budget.Candidate("c/injury", "c", "injury", 8),
        budget.Candidate("d/closing", "d", "closing", 8),
    ]
    p = budget.plan(cs, remaining=530, reserve=500, future_closing_cost=8)
    assert [(c.candidate.kind, c.take) for c in p.choices] == [
        ("closing", True),
        ("injury", True),
        ("regular", False),
        ("open", False),
    ]
    assert "kept for the closing lines" in p.choices[2].reason


@settings(max_examples=40, deadline=None)
@given(d=st.dates(min_value=date(2024, 10, 22), max_value=date(2025, 6, 22)))
def test_locker_and_controller_agree_on_the_quarter_ticks(games, d):
    """Over the season (hypothesis): every expected run is one of the day's ticks (hour or quarter), and the
    per-tick view (`rules.due_runs`, which maps a firing to its quarter) gives back exactly the day's runs."""
    cfg = load_config()
    runs = rules.expected_runs(cfg, d, games)
    ticks = rules.all_ticks(cfg, d)
    assert all(r.expected_run_time in ticks for r in runs)
    per_tick = [r for t in ticks for r in rules.due_runs(cfg, t + timedelta(seconds=4), games)]
    assert sorted(per_tick, key=rules._order) == runs
    tips = [r for r in runs if r.workflow_name == "betting_lines"]
    assert bool(tips) == bool(rules.day_games(cfg, d, games))
