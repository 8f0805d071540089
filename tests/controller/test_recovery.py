"""The morning recovery (issue 19 item 4), pure: at 06:00 ET the finals of the night before that still have no
done run after the post-game windows are requested once, exactly those (game, scraper) pairs, with the
windows' own parameters. Histories come from the pure `World` on the real 2024-25 schedule: every tick of the
night is decided and its RUNs succeed, then runs are removed or marked failed (the injected losses)."""

from __future__ import annotations

import dataclasses
from datetime import date, time, timedelta

import pytest

from shared import rules
from shared.config import ConfigError, load_config
from shared.controller.decide import decide_tick
from shared.controller.model import Run
from tests.controller.conftest import World, et

NIGHT = "2025-01-14"
MORNING = et("2025-01-15", "06:00")


def by_name(decisions) -> dict:
    return {d.workflow: d for d in decisions}


def watch(world: World, first: date, last: date) -> None:
    """Decide and record every tick of the operational days first..last (every RUN succeeds)."""
    d = first
    while d <= last:
        for t in rules.all_ticks(world.cfg, d):
            world.step(t)
        d += timedelta(days=1)


def recovery(world: World, tick=MORNING):
    return by_name(world.decide(tick))["morning_recovery"]


def game_of(night, params) -> str | None:
    """The game a request is for: its game_id, or the game of its game code (the game book)."""
    code = params.get("game_code")
    return params.get("game_id") or next((g.game_id for g in night if code == f"{g.game_date:%Y%m%d}/{g.teams}"), None)


def window_request(world: World, night, scraper: str, game_id: str | None):
    """The request a post-game window of the night made for (scraper, game): the parameters to expect."""
    for x in world.decisions:
        if x.action == "RUN" and x.workflow.startswith("post_game_window") and x.context.get("game_night") == NIGHT:
            for p in x.requests:
                if p.scraper == scraper and game_of(night, p.params) == game_id:
                    return p
    raise AssertionError(f"no window request for {scraper} {game_id}")


@pytest.fixture
def night(world, cfg, games):
    """The night of 2025-01-14 watched from its morning: every window ran and every request succeeded."""
    watch(world, date(2025, 1, 14), date(2025, 1, 14))
    return rules.day_games(cfg, date(2025, 1, 14), games)


def test_nothing_missing_skips(world, night):
    x = recovery(world)
    assert x.action == "SKIP" and x.alert_level == "NONE" and not x.requests
    assert x.reason == f"all {len(night)} games of {NIGHT} already collected: nothing to recover"
    assert x.context["game_night"] == NIGHT and x.context["missing"] == {}
    assert x.decision_id == "morning_recovery@2025-01-15T06"


def test_the_missing_subset_and_the_failed_runs_are_requested_exactly(world, night):
    a, b, c = night[0].game_id, night[1].game_id, night[2].game_id
    lost = {("nbac_team_boxscore", a), ("nbac_gamebook_pdf", b)}

    def keep(r: Run) -> bool:
        return (
            r.scraper,
            game_of(night, r.params),
        ) not in lost and r.scraper != "bdl_box_scores"  # the per-date scraper: all lost

    world.runs = [r for r in world.runs if keep(r)]
    # c's play-by-play ran in every window it was asked for, and failed: a failed run is no run
    world.runs = [
        dataclasses.replace(r, status="failed")
        if r.scraper == "nbac_play_by_play" and r.params.get("game_id") == c
        else r
        for r in world.runs
    ]
    x = recovery(world)
    assert x.action == "RUN" and x.alert_level == "NONE"
    expected = [
        window_request(world, night, "bdl_box_scores", None),
        window_request(world, night, "nbac_team_boxscore", a),
        window_request(world, night, "nbac_play_by_play", c),
        window_request(world, night, "nbac_gamebook_pdf", b),
    ]
    assert list(x.requests) == expected  # the windows' parameters, in the workflow's scraper order
    assert x.context["missing"] == {
        gid: ss
        for gid, ss in {
            g.game_id: ["bdl_box_scores"]
            + (["nbac_team_boxscore"] if g.game_id == a else [])
            + (["nbac_play_by_play"] if g.game_id == c else [])
            + (["nbac_gamebook_pdf"] if g.game_id == b else [])
            for g in night
        }.items()
    }
    assert x.context["missing_by_scraper"] == {
        "bdl_box_scores": len(night),
        "nbac_team_boxscore": 1,
        "nbac_play_by_play": 1,
        "nbac_gamebook_pdf": 1,
    }
    assert x.reason.startswith(f"recovering {len(night)} of {len(night)} games of {NIGHT}: 4 request(s) for finals")
    assert f"{a}: bdl_box_scores, nbac_team_boxscore" in x.reason
    assert x.context["day"] == NIGHT and set(x.target_games) == {g.game_id for g in night}


def test_a_lost_fallback_serves_and_counts(world, night, cfg):
    # The player box score of one game never succeeded, but its CDN fallback did: nothing to recover for it.
    gid = night[0].game_id
    assert "nbac_cdn_boxscore" in cfg.fallbacks_of("nbac_player_boxscore")
    world.runs = [r for r in world.runs if not (r.scraper == "nbac_player_boxscore" and r.params["game_id"] == gid)]
    x = recovery(world)
    assert x.action == "SKIP" and x.context["served_by"] == {gid: {"nbac_player_boxscore": "nbac_cdn_boxscore"}}


def test_once_a_redelivery_and_a_second_tick_in_the_window_do_nothing_more(cfg, games):
    # A window covering two hour ticks (06:30 +/- 30 min: 06:00 and 07:00), every request of the recovery lost.
    wf = dataclasses.replace(cfg.workflows["morning_recovery"], fixed_time=time(6, 30))
    world = World(dataclasses.replace(cfg, workflows={**cfg.workflows, wf.name: wf}), games)
    watch(world, date(2025, 1, 14), date(2025, 1, 14))
    world.runs = [r for r in world.runs if r.scraper != "nbac_gamebook_pdf"]
    six = world.decide(MORNING)
    first = by_name(six)["morning_recovery"]
    assert first.action == "RUN" and {p.scraper for p in first.requests} == {"nbac_gamebook_pdf"}
    world.claim(six)  # decided and recorded; every request it published failed (no run)
    # the redelivered tick: the slot's recorded decisions are reused as they are
    again = decide_tick(world.cfg, world.snapshot(MORNING), {d.decision_id: d for d in six})
    assert by_name(again)["morning_recovery"] is first
    seven = recovery(world, et("2025-01-15", "07:00"))
    assert (seven.action, seven.reason) == ("SKIP", "already ran in this window at 06:00 ET")
    assert recovery(world, et("2025-01-15", "08:00")).reason.startswith("outside the recovery window 06:30 ET")


def test_not_a_game_day(world, cfg, games):
    # The All-Star break: games on 2025-02-13, none (of the included types) on the 14th.
    watch(world, date(2025, 2, 13), date(2025, 2, 14))
    x = recovery(world, et("2025-02-15", "06:00"))
    assert (x.action, x.reason) == ("SKIP", "not a game day: no games on the night of 2025-02-14")
    ran = recovery(world, et("2025-02-14", "06:00"))  # the morning after the 13th: its night was watched
    assert ran.action == "SKIP" and "already collected: nothing to recover" in ran.reason
    # and the locker expects the recovery after a game night only
    names = {
        d: [r.workflow_name for r in rules.expected_runs(cfg, d, games)] for d in (date(2025, 2, 14), date(2025, 2, 15))
    }
    assert "morning_recovery" in names[date(2025, 2, 14)] and "morning_recovery" not in names[date(2025, 2, 15)]


def test_a_night_it_never_watched_is_not_recovered(world, games, cfg):
    # A new installation (or a simulation starting at 05:00): no slot on record before this tick.
    x = recovery(world)
    assert x.action == "SKIP" and x.reason == (
        f"no game of {NIGHT} tipped while the controller was ticking (its first slot on record: none before this "
        "tick): a night it never watched is not recovered"
    )
    # Installed at 20:00 on the night: only the games that tipped after are judged (and all are missing).
    for t in rules.all_ticks(cfg, date(2025, 1, 14)):
        if t >= et(NIGHT, "20:00"):
            world.step(t)
    world.runs = []
    x = recovery(world)
    late = [g.game_id for g in rules.day_games(cfg, date(2025, 1, 14), games) if g.commence_utc >= et(NIGHT, "20:00")]
    assert x.action == "RUN" and list(x.target_games) == late and x.context["not_watched"]


@pytest.mark.parametrize(
    ("night", "morning_utc"),
    [
        ("2024-11-02", "2024-11-03T11:00:00Z"),  # fall back: 06:00 EST
        ("2025-03-08", "2025-03-09T10:00:00Z"),  # spring forward: 06:00 EDT
    ],
)
def test_dst_mornings(cfg, games, night, morning_utc):
    d = date.fromisoformat(night)
    wf = cfg.workflows["morning_recovery"]
    tick = rules.recovery_tick(cfg, wf, d)
    assert tick is not None and tick.isoformat().replace("+00:00", "Z") == morning_utc
    assert rules.recovery_target(cfg, wf, tick) == d
    assert [
        r.expected_run_time
        for r in rules.expected_runs(cfg, d + timedelta(days=1), games)
        if r.workflow_name == "morning_recovery"
    ] == [tick]
    world = World(cfg, games)
    watch(world, d, d)
    world.runs = [r for r in world.runs if r.scraper != "bigdataball_pbp"]
    x = recovery(world, tick)
    n = len(rules.day_games(cfg, d, games))
    assert x.action == "RUN" and len(x.requests) == n and {p.scraper for p in x.requests} == {"bigdataball_pbp"}
    assert x.context["game_night"] == night


def test_the_locker_lists_it_and_the_cron_has_its_hour(cfg, games):
    runs = [r for r in rules.expected_runs(cfg, date(2025, 1, 15), games) if r.workflow_name == "morning_recovery"]
    assert [(rules.hm(cfg, r.expected_run_time), r.games_today) for r in runs] == [("06:00", 11)]
    assert runs[0].reason.startswith("7 games on 2025-01-14; recovery 06:00 (+/-30 min)")
    assert 6 in cfg.controller_hours()
    # a recovery at 05:30 adds its hour to the cron (derived from every fixed time)
    wf = dataclasses.replace(cfg.workflows["morning_recovery"], fixed_time=time(5, 30))
    early = dataclasses.replace(cfg, workflows={**cfg.workflows, wf.name: wf})
    assert early.controller_cron() == "*/15 1,4-23 * * *"
    assert [
        rules.hm(early, r.expected_run_time)
        for r in rules.expected_runs(early, date(2025, 1, 15), games)
        if r.workflow_name == "morning_recovery"
    ] == ["05:00"]


def _write(tmp_path, text: str):
    from shared.config import CONFIG_DIR

    for name in ("settings.yaml", "scrapers.yaml"):
        (tmp_path / name).write_text((CONFIG_DIR / name).read_text())
    base = (CONFIG_DIR / "workflows.yaml").read_text()
    start = base.index("  morning_recovery:")
    end = base.index("\n\n", start)
    (tmp_path / "workflows.yaml").write_text(base[:start] + text.rstrip("\n") + base[end:])
    return tmp_path


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (
            "  morning_recovery:\n    decision_type: recovery\n    fixed_time: '06:00'\n    scrapers: [oddsa_events]\n",
            "'oddsa_events' is not a scraper of any post-game window",
        ),
        (
            "  morning_recovery:\n    decision_type: recovery\n    fixed_time: '04:15'\n"
            "    scrapers: [bdl_box_scores]\n",
            "must come after post_game_window_3 at 04:00 (+30 min)",
        ),
        (
            "  morning_recovery:\n    decision_type: recovery\n    fixed_time: '06:00'\n    tolerance_minutes: 90\n"
            "    scrapers: [bdl_box_scores]\n",
            "must be under 60",
        ),
        (
            "  morning_recovery:\n    decision_type: recovery\n    scrapers: [bdl_box_scores]\n",
            "bad time None",
        ),
    ],
)
def test_config_is_validated(tmp_path, body, problem):
    with pytest.raises(ConfigError, match="morning_recovery") as info:
        load_config(_write(tmp_path, body))
    assert problem in str(info.value)
