"""Every scraper of the default workflows, run through the real scrapers service against the sample day.

The requests are the ones the master controller would publish (shared.controller.params.resolve at the
workflow's tick, the odds follow-ups as released by oddsa_events), executed by shared.scrapers.service.execute
on the emulators (claim, HTTP through NBA_ORCH_UPSTREAM_OVERRIDE to the replay, GCS write, notification,
BigQuery row). Counts are compared with the generated world, and the two injected faults must end as
documented: bdl_box_scores succeeds after one retry, one bigdataball_pbp run is a logged `failed` row.

A scraper without an implementation yet is reported as a skip naming it (its answer is still checked by
its parser in test_documents.py); once the implementation exists the test runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import pytest

from shared.config import get_config
from shared.contracts import ScraperRequest
from shared.controller.params import resolve
from shared.scrapers import registry
from shared.scrapers.errors import ScraperFailure
from tests.sample_day.conftest import et, serving, ticks
from tooling.sample_day import DEFAULT_DATE, build
from tooling.sample_day.odds import BOOKMAKERS, LINE_MARKETS, PROP_MARKETS, QUOTA_REMAINING, prop_players
from tooling.sample_day.reports import injury_rows

D = DEFAULT_DATE
CFG = get_config()
TICKS = ticks(D)


def implemented_or_skip(*names: str) -> None:
    for name in names:
        try:
            registry.implementation(name, CFG)
        except ScraperFailure as exc:
            if exc.error_type != "not_implemented":
                raise
            pytest.skip(f"{name} has no implementation yet (parser-level check in test_documents.py)")


def requests_for(
    scraper: str, workflow: str, tick: datetime, games: list | None = None, *, d: date = D
) -> list[ScraperRequest]:
    """What the controller would publish for `scraper` at `tick` (params from shared.controller.params)."""
    planned = resolve(CFG, scraper, day=d, tick=tick, games=games or ())
    return [
        ScraperRequest.create(
            p.scraper,
            dict(p.params),
            scope=f"sample-day-test:{workflow}:{tick.isoformat()}",
            workflow=workflow,
            source="CONTROLLER",
            as_of=tick,
        )
        for p in planned
    ]


def run_all(rt, reqs: list[ScraperRequest]) -> list[Any]:
    from shared.scrapers.service import execute

    return [execute(rt, r, final_attempt=True) for r in reqs]


def rows(rt, scraper: str) -> list[dict[str, Any]]:
    from shared.adapters import bigquery as bq

    return bq.query(
        rt, "SELECT * FROM {dataset}.scraper_execution_log WHERE scraper_name = @s ORDER BY request_id", {"s": scraper}
    )


def expect(outcomes: list[Any], status: str, counts: list[int]) -> None:
    assert [(o.status, o.record_count) for o in outcomes] == [(status, c) for c in counts], [
        (o.scraper_name, o.status, o.error_type, o.error_message) for o in outcomes
    ]


# ---- morning_operations ------------------------------------------------------------------------------------

MORNING: dict[str, Callable[[Any], list[int]]] = {
    "nbac_schedule_api": lambda day: [len(day.schedule_games)],
    "nbac_player_list": lambda day: [len(day.world.players)],
    "bdl_standings": lambda day: [30],
    "bdl_active_players": lambda day: [len(day.world.players)],
    "br_season_roster": lambda day: [13] * 30,
}


@pytest.mark.parametrize("scraper", list(MORNING))
def test_morning_operations(scraper, day, rt, sample_replay):
    implemented_or_skip(scraper)
    reqs = requests_for(scraper, "morning_operations", TICKS["morning_operations"])
    outcomes = run_all(rt, reqs)
    expect(outcomes, "success", MORNING[scraper](day))
    assert all(o.gcs_path and o.notification_message_id for o in outcomes)
    if scraper == "bdl_active_players":
        assert outcomes[0].summary["http"]["pages"] == len(day.routes_for("bdl_active_players")) >= 2
    if scraper == "nbac_schedule_api":
        assert outcomes[0].summary["games_per_date"][D.isoformat()] == len(day.games)
    assert not sample_replay.unmatched


# ---- betting_lines -----------------------------------------------------------------------------------------


def test_betting_lines_events_then_props_and_lines_per_event(day, world, rt, sample_replay):
    implemented_or_skip("oddsa_events", "oddsa_player_props", "oddsa_game_lines")
    (events,) = run_all(rt, requests_for("oddsa_events", "betting_lines", TICKS["betting_lines"]))
    expect([events], "success", [len(day.games)])
    assert events.summary["quota"]["requests_remaining"] == QUOTA_REMAINING
    follow = events.follow_ups
    assert sorted(f.scraper_name for f in follow) == sorted(["oddsa_player_props", "oddsa_game_lines"] * len(day.games))
    by_event = {gd.event_id: gd for gd in world.game_days}
    assert {f.params["teams"] for f in follow} == {g.teams for g in day.games}
    outcomes = run_all(rt, follow)
    for req, out in zip(follow, outcomes, strict=True):
        gd = by_event[req.params["event_id"]]
        if req.scraper_name == "oddsa_player_props":
            want = len(prop_players(gd)) * len(PROP_MARKETS) * len(BOOKMAKERS) * 2
        else:
            want = len(LINE_MARKETS) * len(BOOKMAKERS) * 2  # h2h, spreads, totals: two outcomes each
        assert (out.status, out.record_count) == ("success", want), (out.error_type, out.error_message)
        assert f"{gd.event_id}-{gd.game.teams}/" in out.gcs_path
        assert out.summary["quota"]["requests_remaining"] == QUOTA_REMAINING
    assert not sample_replay.unmatched


# ---- post-game windows ---------------------------------------------------------------------------------------


def test_box_scores_succeed_after_the_injected_503(day, rt, sample_replay):
    implemented_or_skip("bdl_box_scores")
    (out,) = run_all(rt, requests_for("bdl_box_scores", "post_game_window_1", et(D, 22)))
    expect([out], "success", [len(day.games)])
    assert out.retry_count == 1 and out.summary["http"]["retries"] == 1
    statuses = [s.status for s in sample_replay.seen if s.path == "/v1/box_scores"]
    assert statuses == [503, 200]
    (row,) = rows(rt, "bdl_box_scores")
    assert (row["status"], row["retry_count"], row["error_type"]) == ("success", 1, None)
    # The next window's request reads the same day without a fault.
    (again,) = run_all(rt, requests_for("bdl_box_scores", "post_game_window_2", et(D, 1)))
    assert (again.status, again.retry_count) == ("success", 0)


def test_nba_box_scores_per_game(day, world, rt, sample_replay):
    """The three NBA.com box scores of every game: stats v3 team lines, stats v3 player lines, CDN liveData."""
    implemented_or_skip("nbac_team_boxscore", "nbac_player_boxscore", "nbac_cdn_boxscore")
    tick = TICKS["post_game_window_3"]
    teams = run_all(rt, requests_for("nbac_team_boxscore", "post_game_window_3", tick, day.games))
    expect(teams, "success", [2] * len(day.games))
    assert [o.summary["game_id"] for o in teams] == [g.game_id for g in day.games]
    for o, gd in zip(teams, world.game_days, strict=True):
        assert o.summary["team_points"] == {gd.home: gd.home_score, gd.away: gd.away_score}
    players = run_all(rt, requests_for("nbac_player_boxscore", "post_game_window_3", tick, day.games))
    expect(players, "success", [len(gd.lines[gd.home]) + len(gd.lines[gd.away]) for gd in world.game_days])
    for o, gd in zip(players, world.game_days, strict=True):
        assert o.summary["player_points"] == {gd.home: gd.home_score, gd.away: gd.away_score}
    live = run_all(rt, requests_for("nbac_cdn_boxscore", "post_game_window_3", tick, day.games))
    dressed_and_inactive = [
        sum(len(gd.lines[t]) + len(gd.inactive[t]) for t in (gd.home, gd.away)) for gd in world.game_days
    ]
    expect(live, "success", dressed_and_inactive)
    assert all(o.summary["final"] and o.gcs_path for o in live)
    assert not sample_replay.unmatched


def test_play_by_play_and_gamebooks_per_game(day, world, rt, sample_replay):
    implemented_or_skip("nbac_play_by_play", "nbac_gamebook_pdf")
    tick = TICKS["post_game_window_3"]
    pbp = run_all(rt, requests_for("nbac_play_by_play", "post_game_window_3", tick, day.games))
    expect(pbp, "success", [sum(2 if a.kind == "sub" else 1 for a in gd.actions) for gd in world.game_days])
    for o, gd in zip(pbp, world.game_days, strict=True):
        assert o.summary["final_score"] == {"home": gd.home_score, "away": gd.away_score}
    books = run_all(rt, requests_for("nbac_gamebook_pdf", "post_game_window_3", tick, day.games))
    counts = [
        len(gd.lines[gd.home]) + len(gd.lines[gd.away]) + len(gd.inactive[gd.home]) + len(gd.inactive[gd.away])
        for gd in world.game_days
    ]
    expect(books, "success", counts)
    assert all(o.extra_paths and o.gcs_path.endswith(".pdf") for o in books)
    assert not sample_replay.unmatched


def test_bigdataball_one_listed_file_was_never_recorded(day, world, rt, sample_replay):
    implemented_or_skip("bigdataball_pbp")
    (fault,) = [f for f in day.faults if f.kind == "missing_recording"]
    missing = dict(fault.params)["game_id"]
    outcomes = run_all(
        rt, requests_for("bigdataball_pbp", "post_game_window_3", TICKS["post_game_window_3"], day.games)
    )
    for o, gd in zip(outcomes, world.game_days, strict=True):
        if gd.game.game_id == missing:
            assert (o.status, o.error_type, o.record_count) == ("failed", "http_404", 0)
            assert o.gcs_path is None
        else:
            assert (o.status, o.record_count) == ("success", len(gd.actions)), (o.error_type, o.error_message)
            assert o.gcs_path.endswith(f"[{D.isoformat()}]-{gd.game.game_id}-{gd.away}@{gd.home}.csv")
    logged = rows(rt, "bigdataball_pbp")
    failed = [r for r in logged if r["status"] == "failed"]
    assert len(logged) == len(day.games) and len(failed) == 1
    assert failed[0]["error_type"] == "http_404" and missing in failed[0]["error_message"] + str(failed[0]["opts"])
    (unmatched,) = sample_replay.unmatched  # the one file Drive lists but nobody recorded
    assert unmatched.startswith(fault.target.removeprefix("https://").removesuffix("?alt=media") + "?")


# ---- discovery -----------------------------------------------------------------------------------------------


def test_injury_report_before_submissions_then_listed(day, world, rt, sample_replay):
    implemented_or_skip("nbac_injury_report")
    # 08:00: the 7 AM report is online but no team has submitted yet: no player row, no_data (the file is kept)
    (early,) = run_all(rt, requests_for("nbac_injury_report", "injury_discovery", et(D, 8)))
    assert (early.status, early.record_count, early.error_type) == ("no_data", 0, None)
    assert early.summary["not_yet_submitted_count"] == 2 * len(day.games) and early.gcs_path
    for hour in (12, 14):  # the 11 AM report (two teams not yet submitted), then the 1 PM one (complete)
        (out,) = run_all(rt, requests_for("nbac_injury_report", "injury_discovery", et(D, hour)))
        listed = injury_rows(world, hour - 1)
        expect([out], "success", [sum(1 for r in listed if r["player"])])
        assert out.summary["not_yet_submitted_count"] == sum(1 for r in listed if not r["player"])
        assert out.summary["matchups"] == sorted(f"{g.away}@{g.home}" for g in day.games)
        assert out.summary["report_datetime_et"] == f"{D.isoformat()}T{hour - 1:02d}:30" and out.extra_paths
    asked = [(s.path.rsplit("/", 1)[1], s.status) for s in sample_replay.seen if "Injury-Report" in s.path]
    assert asked == [(f"Injury-Report_{D.isoformat()}_{h}.pdf", 200) for h in ("07AM", "11AM", "01PM")]


def test_injury_report_in_the_15_minute_era(rt, monkeypatch):
    """A sample day after 2025-12-23: the controller asks for the previous quarter hour's name, printed as is."""
    implemented_or_skip("nbac_injury_report")
    d = date(2026, 1, 11)
    new_day = build(d)
    with serving(new_day, monkeypatch) as rp:
        (out,) = run_all(rt, requests_for("nbac_injury_report", "injury_discovery", et(d, 12), d=d))
        listed = injury_rows(new_day.world, 11)
        expect([out], "success", [sum(1 for r in listed if r["player"])])
        assert (out.summary["report_datetime_et"], out.summary["naming_era"]) == (f"{d}T11:45", "15-minute")
        assert out.summary["anomalies"] == []
        assert [s.path for s in rp.seen] == [f"/referee/injury/Injury-Report_{d}_11_45AM.pdf"]


def test_referee_assignments(day, rt, sample_replay):
    implemented_or_skip("nbac_referee_assignments")
    (out,) = run_all(rt, requests_for("nbac_referee_assignments", "referee_discovery", TICKS["referee_discovery"]))
    expect([out], "success", [len(day.games)])
    assert out.summary["game_ids"] == [g.game_id for g in day.games]
    assert out.summary["official_count"] == 3 * len(day.games)
