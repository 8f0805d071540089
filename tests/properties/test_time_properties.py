"""Property-based tests of the time rules: any date and hour of 2020-2030, DST days included."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from shared import rules
from shared.config import load_config
from shared.nba.schedule import Game
from shared.timeutil import ET, et_at, et_date, et_hour_key, operational_date, season_of, to_et

CFG = load_config()
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
clock = st.builds(time, st.integers(0, 23), st.integers(0, 59))
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC))
# The DST transition days of the period, always exercised on top of random days.
DST_DAYS = [
    d for y in range(2020, 2031) for d in (date(y, 3, 8) + timedelta(days=i) for i in range(7)) if d.weekday() == 6
] + [d for y in range(2020, 2031) for d in (date(y, 11, 1) + timedelta(days=i) for i in range(7)) if d.weekday() == 6]
days = st.one_of(dates, st.sampled_from(DST_DAYS))


@given(days, clock)
def test_et_at_lands_on_the_wall_time_or_just_after_a_gap(d, t):
    local = to_et(et_at(d, t))
    if local.date() == d and local.time() == t:
        return
    # only a spring-forward gap may move a time, by exactly the hour that does not exist
    assert local.date() == d and (datetime.combine(d, local.time()) - datetime.combine(d, t)) == timedelta(hours=1)
    assert t.hour == 2


@given(instants)
def test_hour_key_and_dates_agree_with_the_wall_clock(instant):
    local = instant.astimezone(ET)
    assert et_hour_key(instant) == f"{local.date().isoformat()}T{local.hour:02d}"
    assert et_date(instant) == local.date()
    od = operational_date(instant)
    assert od == (local.date() if local.hour >= 5 else local.date() - timedelta(days=1))


@given(instants, st.integers(1, 5000))
def test_hour_keys_never_go_backwards(instant, minutes):
    later = instant + timedelta(minutes=minutes)
    assert et_hour_key(later) >= et_hour_key(instant)


@given(dates)
def test_season_contains_its_date(d):
    label, start = season_of(d)
    assert date(start, 10, 1) <= d < date(start + 1, 10, 1)
    assert label == f"{start}-{str(start + 1)[-2:]}"


@given(days)
@settings(max_examples=300)
def test_controller_ticks_lie_in_the_operational_day_on_the_hour_and_unique(d):
    ticks = rules.controller_ticks(CFG, d)
    start, end = rules.operational_day_bounds(CFG, d)
    assert ticks == sorted(set(ticks))
    assert all(start <= t < end for t in ticks)
    assert all(to_et(t).minute == 0 for t in ticks)
    assert len({rules.tick_key(CFG, t) for t in ticks}) == len(ticks)
    # every configured hour has its tick unless that wall hour does not exist that day
    assert len(ticks) >= len(CFG.controller_hours()) - 1
    assert all(rules.operational_day_of(CFG, t) == d for t in ticks)


@st.composite
def game_days(draw):
    d = draw(days)
    n = draw(st.integers(0, 15))
    games = []
    for i in range(n):
        tip = draw(st.builds(time, st.integers(12, 22), st.sampled_from([0, 30])))
        games.append(
            Game(
                game_id=f"00224{i:05d}",
                game_code=f"{d:%Y%m%d}/AAABBB",
                game_date=d,
                commence_utc=et_at(d, tip),
                home="BBB",
                away="AAA",
                status=1,
                game_type="regular_season",
            )
        )
    return d, games


@given(game_days())
@settings(max_examples=200, deadline=None)
def test_expected_runs_fall_on_controller_ticks(day):
    d, games = day
    ticks = set(rules.controller_ticks(CFG, d))
    quarters = set(rules.all_ticks(CFG, d))
    runs = rules.expected_runs(CFG, d, games)
    # hour ticks for every workflow; the tip-keyed line snapshots also at the quarter ticks
    assert all(r.expected_run_time in (quarters if r.decision_type == "game_tip_offsets" else ticks) for r in runs)
    by_type = {r.decision_type for r in runs}
    if not games:
        assert by_type <= {"self_aware"}
    for r in runs:
        assert r.reason and r.scrapers and r.games_today == len(games)
