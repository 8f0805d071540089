"""The backfill plan on real weeks of the 2024-25 schedule (pure): the same requests the live rules make."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

import pytest

from shared import rules
from shared.backfill.plan import PlanError, plan_range, summary
from shared.controller.params import unit_of

PER_GAME = (
    "nbac_team_boxscore",
    "nbac_player_boxscore",
    "nbac_cdn_boxscore",
    "nbac_play_by_play",
    "nbac_gamebook_pdf",
    "bigdataball_pbp",
)
WEEK = (date(2025, 1, 13), date(2025, 1, 19))
# real weeks of 2024-25: (first, last, games)
WEEKS = {
    "mid-January": (*WEEK, 51),
    "the fall-back week (2024-11-03)": (date(2024, 10, 28), date(2024, 11, 3), 52),
    "the last week, a 15-game day": (date(2025, 4, 7), date(2025, 4, 13), 57),
}


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


@pytest.fixture(scope="module")
def week(cfg, games):
    return plan_range(cfg, games, *WEEK)


@pytest.mark.parametrize("span", WEEKS, ids=list(WEEKS))
def test_a_week_is_games_times_scrapers_and_teams_once(cfg, games, span):
    first, last, n_expected = WEEKS[span]
    week = plan_range(cfg, games, first, last)
    day_games = {d: rules.day_games(cfg, d, games) for d in _days(first, last)}
    n_games = sum(len(v) for v in day_games.values())
    assert n_games == n_expected
    counts = Counter(i.scraper for i in week.items)
    for s in PER_GAME:
        assert counts[s] == n_games, s
        # one request per game, each game once
        assert (
            sorted(i.params["game_id"] for i in week.items if i.scraper == s and "game_id" in i.params)
            == sorted(g.game_id for v in day_games.values() for g in v)
            or s == "nbac_gamebook_pdf"
        )
    assert counts["bdl_box_scores"] == sum(1 for v in day_games.values() if v)  # one per game night
    assert counts["br_season_roster"] == 30  # team-keyed: once per team for the whole range
    assert {i.params["teamAbbr"] for i in week.items if i.scraper == "br_season_roster"} >= {"PHO", "BRK", "CHO"}
    for s in ("nbac_schedule_api", "nbac_player_list", "bdl_standings", "bdl_active_players"):
        assert counts[s] == 1, s  # season-keyed: once
    assert counts["nbac_referee_assignments"] == sum(1 for v in day_games.values() if v)  # found at once
    # the injury report series: every report of each day's series once (the hourly era: one per tick)
    per_day = Counter(i.day for i in week.items if i.scraper == "nbac_injury_report")
    wf = cfg.workflows["injury_discovery"]
    for d, v in day_games.items():
        assert per_day[d] == len(rules.report_series_ticks(cfg, wf, d, v)), d
    assert len({i.key for i in week.items}) == len(week.items)  # planned once each


def test_post_game_requests_are_asked_when_the_game_is_final(cfg, games, week):
    by_id = {g.game_id: g for g in games}
    after = timedelta(hours=cfg.controller.game_final_after_hours)
    for i in week.items:
        if i.scraper in PER_GAME:
            g = by_id[i.games[0]]
            assert i.final_at == g.commence_utc + after
            assert i.as_of >= i.final_at, (i.scraper, i.games, i.as_of)
            assert i.workflow.startswith("post_game_window_")
    # the play-by-play, the game book and BigDataBall only run in the last window (04:00 ET)
    last = {i.workflow for i in week.items if i.scraper in ("nbac_play_by_play", "nbac_gamebook_pdf")}
    assert last == {"post_game_window_3"}


def test_historical_odds_at_the_near_tip_offsets(cfg, games, week):
    wf = cfg.workflows["betting_lines"]
    # every slot the live rules take, at the tick that takes it (several slots of a game due at one tick are
    # one snapshot, as live)
    expected = Counter()
    for d in _days(*WEEK):
        for tick, teams in {(tick, g.teams) for g, _snap, tick in rules.tip_slot_ticks(cfg, wf, d, games)}:
            expected[(tick, teams)] += 1
    his = [i for i in week.items if i.scraper == "oddsa_events_his"]
    assert his and not [i for i in week.items if i.scraper == "oddsa_events"]  # the live call has no past
    got = Counter()
    for i in his:
        assert i.params["snapshot"] == i.as_of.strftime("%Y-%m-%dT%H:%M:%SZ")
        for teams in i.context["snapshot_games"]:
            got[(i.as_of, teams)] += 1
    assert got == expected
    closing = [(i.as_of, t) for i in his for t, kind in i.context["snapshot_games"].items() if kind == "closing"]
    assert len(closing) == 51  # one closing line per game, 20-35 min before its tip
    # the historical cost model: 1 credit per events call, 10 x markets x regions per odds call (props: 3
    # markets, lines: 2, from the catalogue's URLs), per game of the snapshot
    for i in his:
        assert i.credits == 1 + 10 * (3 + 2) * len(i.context["snapshot_games"])
        assert i.calls == 1 + 2 * len(i.context["snapshot_games"])
    assert week.credits == len(his) + 50 * sum(expected.values())


def test_the_all_star_break_is_empty(cfg, games):
    p = plan_range(cfg, games, date(2025, 2, 14), date(2025, 2, 18))
    assert all(not rules.day_games(cfg, d, games) for d in _days(date(2025, 2, 14), date(2025, 2, 18)))
    units = {unit_of(cfg.scrapers[i.scraper]) for i in p.items}
    assert units <= {"day", "team"}
    assert {i.workflow for i in p.items} == {"morning_operations"}  # no games: nothing but the morning's
    assert p.credits == 0
    assert summary(cfg, p)["per_source"].get("odds_api") is None


def test_ids_are_deterministic_per_backfill_scraper_and_params(cfg, games, week):
    again = plan_range(cfg, games, *WEEK)
    assert [i.request_id("bf-a") for i in again.items] == [i.request_id("bf-a") for i in week.items]
    a = {i.request_id("bf-a") for i in week.items}
    b = {i.request_id("bf-b") for i in week.items}
    assert len(a) == len(week.items) and not a & b


def test_filters(cfg, games):
    p = plan_range(cfg, games, *WEEK, scrapers=["nbac_gamebook_pdf"])
    assert {i.scraper for i in p.items} == {"nbac_gamebook_pdf"} and len(p.items) == 51
    p = plan_range(cfg, games, *WEEK, scrapers=["oddsa_player_props_his"])
    assert {i.scraper for i in p.items} == {"oddsa_events_his"}  # the events call is what releases the props
    p = plan_range(cfg, games, *WEEK, workflows=["referee_discovery"])
    assert Counter(i.scraper for i in p.items) == {"nbac_referee_assignments": 7}


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"workflows": ["nope"]}, "unknown or disabled workflow"),
        ({"scrapers": ["nope"]}, "unknown scraper"),
    ],
)
def test_bad_names_are_refused(cfg, games, kw, message):
    with pytest.raises(PlanError, match=message):
        plan_range(cfg, games, *WEEK, **kw)


def test_bad_ranges_are_refused(cfg, games):
    with pytest.raises(PlanError, match="before"):
        plan_range(cfg, games, date(2025, 1, 19), date(2025, 1, 13))
    with pytest.raises(PlanError, match="at most"):
        plan_range(cfg, games, date(2024, 1, 1), date(2025, 6, 1))


def test_summary_durations_at_each_source_rate(cfg, week):
    s = summary(cfg, week)
    assert s["requests"] == len(week.items)
    assert s["per_source"]["basketball_reference"]["seconds_at_rate"] == 30 * 3.0
    assert s["per_source"]["nba_stats"]["interval_seconds"] == 0.6
    odds = s["per_source"]["odds_api"]
    assert odds["seconds_at_rate"] == pytest.approx(odds["calls"] * 0.2, abs=0.1)
    assert s["seconds_at_rate"] == max(e["seconds_at_rate"] for e in s["per_source"].values())
    assert sum(s["per_day"].values()) == len(week.items)
