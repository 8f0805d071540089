"""Parameter resolution and fan-out (pure), on real games of 2025-01-15, checked by the scrapers' own validation."""

from __future__ import annotations

import json
from datetime import date

import pytest

from shared import rules
from shared.contracts import ScraperRequest
from shared.controller.params import (
    ParamError,
    Planned,
    covers,
    follow_ups_of,
    injury_report_values,
    published_scrapers,
    resolve,
    unit_of,
    waiting_for_teams,
)
from tests.controller.conftest import et

D = date(2025, 1, 15)


@pytest.fixture(scope="module")
def night(cfg, games):
    return rules.day_games(cfg, D, games)


def params_of(planned: list[Planned]) -> list[dict[str, str]]:
    return [dict(p.params) for p in planned]


def test_day_level_parameters(cfg):
    tick = et("2025-01-15", "06:00")
    assert params_of(resolve(cfg, "nbac_schedule_api", day=D, tick=tick)) == [{"season": "2024-25"}]
    assert params_of(resolve(cfg, "bdl_standings", day=D, tick=tick)) == [{"season": "2024"}]  # balldontlie: year
    assert params_of(resolve(cfg, "nbac_player_list", day=D, tick=tick)) == [{"season": "2024-25"}]
    assert params_of(resolve(cfg, "bdl_active_players", day=D, tick=tick)) == [{}]
    assert params_of(resolve(cfg, "oddsa_events", day=D, tick=tick)) == [{"date": "2025-01-15"}]
    assert params_of(resolve(cfg, "bdl_box_scores", day=D, tick=tick)) == [{"date": "2025-01-15"}]
    assert params_of(resolve(cfg, "nbac_referee_assignments", day=D, tick=tick)) == [{"date": "2025-01-15"}]


def test_every_team_with_basketball_reference_codes(cfg):
    out = params_of(resolve(cfg, "br_season_roster", day=D, tick=et("2025-01-15", "06:00")))
    assert len(out) == 30
    codes = {p["teamAbbr"] for p in out}
    assert {"PHO", "BRK", "CHO"} <= codes and not {"PHX", "BKN", "CHA"} & codes
    assert {(p["year"], p["season"]) for p in out} == {("2025", "2024-25")}  # BBRef's 2025 is 2024-25


def test_every_target_game_not_only_the_first(cfg, night):
    tick = et("2025-01-16", "04:00")
    assert len(night) == 11
    for name, expected in {
        "nbac_team_boxscore": lambda g: {"game_id": g.game_id, "game_date": "2025-01-15"},
        # boxscoretraditionalv3 is per game (the per-date leaguegamelog it replaced was one request a night)
        "nbac_player_boxscore": lambda g: {"game_id": g.game_id, "date": "2025-01-15"},
        "nbac_cdn_boxscore": lambda g: {"game_id": g.game_id, "date": "2025-01-15"},
        "nbac_play_by_play": lambda g: {"game_id": g.game_id, "date": "2025-01-15"},
        "bigdataball_pbp": lambda g: {"game_id": g.game_id, "date": "2025-01-15", "season": "2024-25"},
        "nbac_gamebook_pdf": lambda g: {"game_code": g.game_code, "date": "2025-01-15"},
    }.items():
        out = params_of(resolve(cfg, name, day=D, tick=tick, games=night))
        assert out == [expected(g) for g in night], name
    gamebooks = params_of(resolve(cfg, "nbac_gamebook_pdf", day=D, tick=tick, games=night))
    assert {"game_code": "20250115/NYKPHI", "date": "2025-01-15"} in gamebooks


@pytest.mark.parametrize(
    "hhmm, expected",
    [
        ("08:00", {"date": "2025-01-15", "hour": "7", "period": "AM"}),
        ("12:00", {"date": "2025-01-15", "hour": "11", "period": "AM"}),
        ("13:00", {"date": "2025-01-15", "hour": "12", "period": "PM"}),
        ("22:00", {"date": "2025-01-15", "hour": "9", "period": "PM"}),
    ],
)
def test_injury_report_hour_and_period(cfg, hhmm, expected):
    # The newest report that should exist at the tick: the previous hour's.
    tick = et("2025-01-15", hhmm)
    assert params_of(resolve(cfg, "nbac_injury_report", day=D, tick=tick)) == [expected]


def test_injury_report_hour_across_midnight_and_dst(cfg):
    assert injury_report_values(cfg, et("2025-01-16", "00:00")) == {"date": "2025-01-15", "hour": "11", "period": "PM"}
    # spring forward: 03:00 EDT comes right after 01:59 EST, so one hour before it is 01:00 EST
    assert injury_report_values(cfg, et("2025-03-09", "03:00")) == {"date": "2025-03-09", "hour": "1", "period": "AM"}


@pytest.mark.parametrize(
    "day, hhmm, expected",
    [
        # 15-minute names from 2025-12-23: at hh:00 the report of hh-1:45
        ("2026-02-08", "08:00", {"date": "2026-02-08", "hour": "7", "minute": "45", "period": "AM"}),
        ("2026-02-08", "22:00", {"date": "2026-02-08", "hour": "9", "minute": "45", "period": "PM"}),
        ("2026-02-09", "00:00", {"date": "2026-02-08", "hour": "11", "minute": "45", "period": "PM"}),
        # the switch: at midnight the last hourly report is the newest due, from 01:00 the 15-minute ones
        ("2025-12-23", "00:00", {"date": "2025-12-22", "hour": "11", "period": "PM"}),
        ("2025-12-23", "01:00", {"date": "2025-12-23", "hour": "12", "minute": "45", "period": "AM"}),
        ("2026-03-08", "03:00", {"date": "2026-03-08", "hour": "1", "minute": "45", "period": "AM"}),  # DST
    ],
)
def test_injury_report_in_the_15_minute_era(cfg, day, hhmm, expected):
    tick = et(day, hhmm)
    assert params_of(resolve(cfg, "nbac_injury_report", day=date.fromisoformat(day), tick=tick)) == [expected]


def test_units_and_published_scrapers(cfg):
    assert unit_of(cfg.scrapers["nbac_team_boxscore"]) == "game"
    assert unit_of(cfg.scrapers["nbac_gamebook_pdf"]) == "game"
    assert unit_of(cfg.scrapers["br_season_roster"]) == "team"
    assert unit_of(cfg.scrapers["oddsa_player_props"]) == "event"
    assert unit_of(cfg.scrapers["bdl_box_scores"]) == "day"
    bl = cfg.workflows["betting_lines"]
    assert published_scrapers(cfg, bl) == ["oddsa_events"]
    assert follow_ups_of(cfg, bl, "oddsa_events") == ["oddsa_player_props", "oddsa_game_lines"]
    assert published_scrapers(cfg, cfg.workflows["post_game_window_3"]) == list(
        cfg.workflows["post_game_window_3"].scrapers
    )


def test_what_the_controller_cannot_fill_is_an_error(cfg):
    with pytest.raises(ParamError, match="released by their dependency"):
        resolve(cfg, "oddsa_player_props", day=D, tick=et("2025-01-15", "13:00"))
    with pytest.raises(ParamError, match="no value for required parameter 'market'"):
        resolve(cfg, "bp_player_props", day=D, tick=et("2025-01-15", "13:00"))


def test_covers_matches_recorded_parameters():
    p = Planned("nbac_team_boxscore", {"game_id": "0022400561", "game_date": "2025-01-15"})
    assert covers(p, {"game_id": "0022400561", "game_date": "2025-01-15", "extra": "x"})
    assert not covers(p, {"game_id": "0022400562", "game_date": "2025-01-15"})
    assert not covers(p, {"game_id": "0022400561"})
    assert covers(Planned("bdl_active_players", {}), {})


def test_every_request_of_every_workflow_passes_the_scrapers_validation(cfg, night):
    """The scrapers function validates each request (required params, patterns, path safety): every request
    the controller can publish, for every workflow, must pass it."""
    from shared.scrapers import core, registry
    from shared.scrapers.base import Scraper
    from shared.scrapers.errors import ScraperFailure

    tick = et("2025-01-16", "04:00")
    added = []
    try:
        for wf in cfg.enabled_workflows():
            for name in published_scrapers(cfg, wf):
                try:
                    registry.implementation(name, cfg)
                except ScraperFailure:  # not implemented yet: validate against its catalogue entry alone
                    registry.register(name, Scraper)
                    added.append(name)
                planned = resolve(cfg, name, day=D, tick=tick, games=night)
                assert planned
                for p in planned:
                    req = ScraperRequest.create(name, dict(p.params), scope="t", as_of=tick)
                    _, ctx = core.plan(cfg, req)
                    assert dict(ctx.params) == dict(p.params) or set(p.params) <= set(ctx.params)
    finally:
        for name in added:
            registry.register(name, None)


# ---------------------------------------------------------------------------------------------------------
# Pending teams: the 2026-27 schedule slice's NBA Cup knockout games have teamId 0 and null tricodes.

PENDING_SLICE = "nbacom_cdn/scheduleleaguev2_2026-27_pending_knockout_slice.json"
CUP_NIGHT = date(2026, 12, 4)


@pytest.fixture(scope="module")
def cup_night(cfg):
    from shared.nba.schedule import parse_schedule
    from tests.conftest import recording

    night = rules.day_games(cfg, CUP_NIGHT, parse_schedule(json.loads(recording(PENDING_SLICE))))
    assert [(g.game_id, g.teams_known, g.game_type) for g in night] == [
        ("0022601201", False, "nba_cup"),
        ("0022601202", False, "nba_cup"),
    ]  # both quarterfinals count for the day although nobody knows who plays them
    return night


def test_pending_teams_never_make_a_team_keyed_request(cfg, cup_night):
    from shared.scrapers import core

    tick = et("2026-12-05", "04:00")
    ids = [g.game_id for g in cup_night]
    assert waiting_for_teams(cfg, "nbac_gamebook_pdf", cup_night) == ids  # its game_code is "YYYYMMDD/AWYHOM"
    assert params_of(resolve(cfg, "nbac_gamebook_pdf", day=CUP_NIGHT, tick=tick, games=cup_night)) == []
    for wf in cfg.enabled_workflows():
        for name in published_scrapers(cfg, wf):
            planned = resolve(cfg, name, day=CUP_NIGHT, tick=tick, games=cup_night)
            for p in planned:
                for key, value in p.params.items():
                    assert value.strip() and value not in ("None", "TBD") and "TBD" not in value, (name, key)
                core.plan(cfg, ScraperRequest.create(name, dict(p.params), scope="t", as_of=tick))  # validates
            if unit_of(cfg.scrapers[name]) == "game" and name != "nbac_gamebook_pdf":
                # keyed by game_id alone: the game's requests are made (its id is known)
                assert [p.params["game_id"] for p in planned] == ids, name
                assert waiting_for_teams(cfg, name, cup_night) == []


def test_an_empty_or_none_value_is_refused(cfg, night):
    from dataclasses import replace

    for bad in ("None", " "):
        with pytest.raises(ParamError, match=f"'game_id' would be {bad!r}"):
            resolve(
                cfg, "nbac_team_boxscore", day=D, tick=et("2025-01-16", "04:00"), games=[replace(night[0], game_id=bad)]
            )
