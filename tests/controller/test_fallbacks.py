"""Decisions that depend on a fallback's data (pure): a run of a scraper's catalogue fallback does the
scraper's work, and the decision says which scraper served (reason and context).

The box score fallback of the issue (stats v3 `nbac_team_boxscore` -> CDN liveData `nbac_cdn_boxscore`) is
wired by the line `fallback: [nbac_cdn_boxscore]` once that scraper is in the catalogue; until then these
tests add the same entry to a copy of the configuration (`with_cdn_boxscore`)."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pytest

from shared import rules
from shared.config import ScraperSpec
from shared.controller.decide import decide_tick
from shared.controller.model import Run
from shared.controller.state import parts_for
from tests.controller.conftest import World, et


def by_name(decisions):
    return {d.workflow: d for d in decisions}


@pytest.fixture
def cdn_cfg(cfg):
    """The catalogue plus nbac_cdn_boxscore as the fallback of nbac_team_boxscore."""
    cdn = ScraperSpec(
        name="nbac_cdn_boxscore",
        source="nba_cdn",
        url="https://cdn.nba.com/static/json/liveData/boxscore/boxscore_{game_id}.json",
        gcs_path="nba-com/cdn-boxscore/{game_date}/{game_id}/{timestamp}.json",
        required=("game_id", "game_date"),
    )
    team = dataclasses.replace(cfg.scrapers["nbac_team_boxscore"], fallback=("nbac_cdn_boxscore",))
    # The shipped catalogue names the CDN box score as nbac_player_boxscore's fallback too (by `date`); these
    # tests are about one primary, the team box score, so the stand-in is its fallback alone.
    player = dataclasses.replace(cfg.scrapers["nbac_player_boxscore"], fallback=())
    return dataclasses.replace(cfg, scrapers={**cfg.scrapers, team.name: team, player.name: player, cdn.name: cdn})


def test_the_fallbacks_runs_are_read_for_the_decisions_that_count_them(cfg, cdn_cfg):
    parts = {p.owner: p.evidence for p in parts_for(cdn_cfg)}
    assert {"nbac_schedule_api", "nbac_schedule_cdn"} <= parts["schedule_freshness"]
    assert "nbac_schedule_cdn" in parts["morning_operations"]
    assert "nbac_cdn_boxscore" in parts["post_game_window_1"]
    assert cfg.fallbacks_of("nbac_schedule_api") == ("nbac_schedule_cdn",) and cfg.fallbacks_of("bdl_games") == ()


def test_freshness_counts_the_cdn_schedule_and_says_it_served(cfg, games):
    morning = dataclasses.replace(cfg.workflows["morning_operations"], enabled=False)
    world = World(dataclasses.replace(cfg, workflows={**cfg.workflows, morning.name: morning}), games)
    at = et("2025-01-15", "11:00")
    world.runs.append(Run("nbac_schedule_api", at, "failed", {"season": "2024-25"}))  # blocked
    world.runs.append(Run("nbac_schedule_cdn", at, "success", {"season": "2024-25"}))  # its fallback
    x = by_name(world.decide(et("2025-01-15", "13:00")))["schedule_freshness"]
    assert (x.action, x.reason) == (
        "SKIP",
        "schedule fresh: last successful nbac_schedule_cdn (fallback of nbac_schedule_api) run at 11:00 ET (2.0 h ago)",
    )
    assert x.context["schedule_served_by"] == "nbac_schedule_cdn"
    # The schedule scraper itself, when it serves, is named as before.
    world.runs.append(Run("nbac_schedule_api", et("2025-01-15", "12:00"), "success", {"season": "2024-25"}))
    x = by_name(world.decide(et("2025-01-15", "13:00")))["schedule_freshness"]
    assert x.reason.startswith("schedule fresh: last successful nbac_schedule_api run at 12:00 ET")
    assert x.context["schedule_served_by"] == "nbac_schedule_api"


def test_morning_operations_counts_the_cdn_schedule(world):
    world.step(et("2025-01-15", "06:00"))  # every morning request succeeds...
    ran = next(r for r in world.runs if r.scraper == "nbac_schedule_api")
    world.runs.remove(ran)  # ...except the stats API, blocked, whose fallback served
    world.runs.append(dataclasses.replace(ran, scraper="nbac_schedule_cdn"))
    x = by_name(world.decide(et("2025-01-15", "07:00")))["morning_operations"]
    assert x.action == "SKIP" and x.reason.endswith("; nbac_schedule_api served by its fallback nbac_schedule_cdn")
    assert x.context["served_by"] == {"nbac_schedule_api": "nbac_schedule_cdn"}


def test_post_game_counts_cdn_box_scores_and_says_which_games_they_served(cdn_cfg, games):
    world = World(cdn_cfg, games)
    world.step(et("2025-04-13", "22:00"))  # 15 games, all over by 22:00: window 1 collects the night
    night = rules.day_games(cdn_cfg, datetime(2025, 4, 13).date(), games)
    served = {g.game_id for g in night[:2]}
    for r in [r for r in world.runs if r.scraper == "nbac_team_boxscore" and r.params["game_id"] in served]:
        world.runs.remove(r)  # the stats API was blocked for two games; the CDN served them
        world.runs.append(dataclasses.replace(r, scraper="nbac_cdn_boxscore"))
    w2 = by_name(decide_tick(cdn_cfg, world.snapshot(et("2025-04-14", "01:00"))))["post_game_window_2"]
    assert (w2.action, w2.reason) == (
        "SKIP",
        "all 15 games of 2025-04-13 already collected; nbac_team_boxscore served by its fallback nbac_cdn_boxscore",
    )
    assert w2.context["served_by"] == {gid: {"nbac_team_boxscore": "nbac_cdn_boxscore"} for gid in served}


def test_a_fallback_run_before_the_game_was_over_does_not_count(cdn_cfg, games):
    world = World(cdn_cfg, games)
    night = rules.day_games(cdn_cfg, datetime(2025, 4, 13).date(), games)
    g = night[0]
    early = g.commence_utc  # at the tip: not the final box score
    world.runs.append(Run("nbac_cdn_boxscore", early, "success", {"game_id": g.game_id, "game_date": "2025-04-13"}))
    w1 = by_name(decide_tick(cdn_cfg, world.snapshot(et("2025-04-13", "22:00"))))["post_game_window_1"]
    assert w1.action == "RUN" and "nbac_team_boxscore" in w1.context["missing"][g.game_id]
    assert "served_by" not in w1.context
    # The same run once the game is surely over (3 h after the tip) collects it for nbac_team_boxscore.
    world.runs[-1] = dataclasses.replace(world.runs[-1], at=g.commence_utc + timedelta(hours=3))
    w1 = by_name(decide_tick(cdn_cfg, world.snapshot(et("2025-04-13", "22:00"))))["post_game_window_1"]
    assert "nbac_team_boxscore" not in w1.context["missing"][g.game_id]
    assert w1.context["served_by"] == {g.game_id: {"nbac_team_boxscore": "nbac_cdn_boxscore"}}
