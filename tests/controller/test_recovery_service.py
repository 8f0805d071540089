"""The morning recovery against the emulators (issue 19 item 4): a game night whose finals were partly lost
(runs that never came back, runs that failed) goes through the real controller service tick by tick, its run
records filed in the run ledger as the scrapers file them; at 06:00 the recovery publishes exactly the missing
requests, once, and a redelivered tick publishes nothing more. One recovered request then runs through the
scrapers service on the real NYK@PHI play-by-play recording: its audit row names the recovery."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import pytest

from shared import rules
from shared.clients import subscriber
from shared.controller import service
from tests.conftest import pull_all
from tests.controller.conftest import decision_rows, et, log_run
from tooling.provision import ensure_pull_subscription

pytestmark = pytest.mark.emulators

NIGHT = date(2025, 1, 15)
PBP_GAME = "0022400561"  # NYK@PHI, 19:00 ET: its play-by-play is the real recording below
PBP_RECORDING = "nbacom_cdn/playbyplay_0022400561_NYK-PHI_2025-01-15.json"


def game_of(games, params) -> str | None:
    code = params.get("game_code")
    return params.get("game_id") or next((g.game_id for g in games if code == f"{g.game_date:%Y%m%d}/{g.teams}"), None)


def test_a_partly_lost_night_is_recovered_exactly_once(ctl_rt, cfg, games, upstream_dir, monkeypatch):
    night = rules.day_games(cfg, NIGHT, games)
    a, b = night[3].game_id, night[5].game_id
    never = {("nbac_team_boxscore", a), ("nbac_gamebook_pdf", b)}  # their runs never came back
    failed = {("nbac_play_by_play", PBP_GAME)}  # ran and failed
    # The controller watched the day (a tick before the first tip), then the night's three windows ran; every
    # request is filed as the scrapers file it, except the losses. balldontlie's box scores failed all night.
    service.run_tick(ctl_rt, cfg, et("2025-01-15", "12:00"))
    for t in (et("2025-01-15", "22:00"), et("2025-01-16", "01:00"), et("2025-01-16", "04:00")):
        for d in service.run_tick(ctl_rt, cfg, t).decisions:
            if not (d.action == "RUN" and d.workflow.startswith("post_game_window")):
                continue
            for p in d.requests:
                key = (p.scraper, game_of(night, p.params))
                if key in never:
                    continue
                status = "failed" if key in failed or p.scraper == "bdl_box_scores" else "success"
                summary = {"record_count": 1, "game_ids": [g.game_id for g in night]}
                log_run(ctl_rt, p.scraper, t, dict(p.params), status=status, summary=summary, workflow=d.workflow)

    sub = ensure_pull_subscription(
        ctl_rt, "scraper_requests", f"{ctl_rt.topic('scraper_requests')}-r{uuid.uuid4().hex[:6]}"
    )
    six = et("2025-01-16", "06:00")
    result = service.run_tick(ctl_rt, cfg, six)
    rec = next(d for d in result.decisions if d.workflow == "morning_recovery")
    assert rec.action == "RUN" and rec.alert_level == "NONE"
    got = sorted((p.scraper, game_of(night, p.params)) for p in rec.requests)
    assert got == sorted([("bdl_box_scores", None), *never, *failed])
    assert rec.context["missing_by_scraper"] == {"bdl_box_scores": len(night)} | {s: 1 for s, _ in never | failed}
    assert rec.reason.startswith(f"recovering {len(night)} of {len(night)} games of 2025-01-15: 4 request(s)")

    msgs = pull_all(ctl_rt, "scraper_requests", sub, expect=result.published, timeout=15)
    mine = [json.loads(m.data) for m in msgs if m.attributes.get("workflow") == "morning_recovery"]
    assert len(msgs) == result.published and len(mine) == 4
    assert {m["request_id"] for m in mine} == {
        r.request_id for r in result.requests if r.workflow == "morning_recovery"
    }
    assert all(
        m["decision_id"] == "morning_recovery@2025-01-16T06"
        and m["triggered_by"] == "master_controller"
        and m["context"]["day"] == "2025-01-15"
        and m["as_of"] == "2025-01-16T11:00:00Z"
        for m in mine
    )
    rows = [r for r in decision_rows(ctl_rt, six) if r["workflow_name"] == "morning_recovery"]
    assert [(r["action"], r["reason"]) for r in rows] == [("RUN", rec.reason)]

    # A redelivered tick: the slot is decided and written, nothing is published again.
    again = service.run_tick(ctl_rt, cfg, datetime(2025, 1, 16, 11, 0, 4, tzinfo=UTC))
    assert again.published == 0 and rec.decision_id in again.reused
    assert subscriber(ctl_rt.project).pull(subscription=sub, max_messages=10, timeout=2).received_messages == []
    # The next hour is outside the window: the recovery is over for the night, whatever its requests did.
    seven = next(
        d for d in service.evaluate(ctl_rt, cfg, et("2025-01-16", "07:00")).decisions if d.workflow == rec.workflow
    )
    assert seven.action == "SKIP" and seven.reason.startswith("outside the recovery window")

    # The recovered play-by-play through the scrapers, on the real recording: the audit row names the recovery.
    from shared.adapters.bigquery import query
    from shared.scrapers import service as scrapers
    from tests.replay import Replay, upstream_to

    pbp = next(r for r in result.requests if r.workflow == "morning_recovery" and r.scraper_name == "nbac_play_by_play")
    with Replay() as rp, upstream_to(rp, monkeypatch):
        rp.add(
            "cdn.nba.com",
            f"/static/json/liveData/playbyplay/playbyplay_{PBP_GAME}.json",
            file=upstream_dir / PBP_RECORDING,
        )
        outcome = scrapers.execute(ctl_rt, pbp, config=cfg)
    assert outcome.status == "success"
    row = query(
        ctl_rt,
        "SELECT workflow, triggered_by, source, status FROM {dataset}.scraper_execution_log WHERE request_id = @r",
        {"r": pbp.request_id},
    )
    assert [dict(r) for r in row] == [
        {
            "workflow": "morning_recovery",
            "triggered_by": "master_controller",
            "source": "CONTROLLER",
            "status": "success",
        }
    ]
