"""The night's comparison on the emulators: the sample day's stored answers (written where the scrapers
write them) compared by cleanup's tick once due, one row per game and source however often it runs, the
markers' counts read by the SLA evaluation, and `nba-orch quality` printing the agreement."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import time, timedelta
from pathlib import Path

import pytest

from shared.adapters import gcs
from shared.adapters.bigquery import query
from shared.config import get_config
from shared.quality.config import load_quality_config
from shared.quality.service import date_prefix, due_at, run_due
from shared.timeutil import et_at, utc_stamp
from tooling.sample_day import DEFAULT_DATE

pytestmark = pytest.mark.emulators
D = DEFAULT_DATE


def store_night(rt, skew=None):
    """The sample day's schedule and post-game answers, under the catalogue's paths for game date D."""
    from shared.nba.schedule_store import schedule_prefix
    from tooling.sample_day import nba
    from tooling.sample_day.bdl import box_scores
    from tooling.sample_day.day import build

    cfg = get_config()
    w = build(D).world
    stamp = utc_stamp(et_at(D + timedelta(days=1), time(4, 0)))
    gcs.create_object(rt, f"{schedule_prefix(D)}{utc_stamp(et_at(D, time(5, 0)))}.json", nba.schedule(w))
    bdl = box_scores(w, (skew or {}).get("balldontlie", 1.0))
    gcs.create_object(rt, f"{date_prefix(cfg, 'bdl_box_scores', D)}{stamp}.json", bdl)
    for gd in w.game_days:
        gid = gd.game.game_id
        v3 = nba.boxscore_traditional_v3(gd)
        gcs.create_object(rt, f"{date_prefix(cfg, 'nbac_player_boxscore', D)}{gid}/{stamp}.json", v3)
        live = nba.boxscore_live(gd)
        gcs.create_object(rt, f"{date_prefix(cfg, 'nbac_cdn_boxscore', D)}game-{gid}/{stamp}.json", live)
    return w


def rows_of(rt):
    return query(rt, "SELECT game_id, source, reference, players_compared, agreeing FROM {dataset}.source_comparisons")


def test_not_due_before_the_last_window_then_compared_once(rt):
    cfg = get_config()
    w = store_night(rt)
    due = due_at(cfg, load_quality_config(), D)
    assert due == et_at(D + timedelta(days=1), time(4, 45))

    def night(now):  # the summary of game date D (the tick also looks at the day before: nothing stored)
        return [x for x in run_due(rt, cfg, now) if x["date"] == D.isoformat()]

    assert night(due - timedelta(minutes=15)) == []  # the 04:30 tick: too early
    first = night(due)
    assert first[0]["compared"] == len(w.game_days) and first[0]["rows"] == 2 * len(w.game_days)
    again = night(due + timedelta(minutes=15))  # the next tick (and any redelivery): nothing new
    assert again[0]["compared"] == 0
    rows = rows_of(rt)
    keys = [(r["game_id"], r["source"]) for r in rows]
    assert len(keys) == len(set(keys)) == 2 * len(w.game_days)
    assert all(r["reference"] == "nba_stats" and r["agreeing"] == r["players_compared"] > 0 for r in rows)


def test_a_skewed_source_opens_the_suspect_alert_and_the_cli_shows_it(rt, tmp_path):
    from shared.alerts import sla
    from shared.alerts.service import read_states

    cfg = get_config()
    store_night(rt, {"balldontlie": 0.5})
    now = due_at(cfg, load_quality_config(), D)
    run_due(rt, cfg, now)
    states = read_states(rt, cfg, now)
    ev = sla.evaluate(cfg, sla.load_alerts_config(), states, now)
    verdict = {r.subject: r.ok for r in ev.results if r.rule == "source_agreement"}
    assert verdict == {"balldontlie": False, "nba_cdn": True}
    env = {**os.environ, **rt.env()}
    out = subprocess.run(
        [str(Path(sys.executable).parent / "nba-orch"), "quality", "--date", D.isoformat(), "--format", "json"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["sources"]["nba_cdn"]["agreement"] == 1.0 and not doc["sources"]["nba_cdn"]["suspect"]
    assert doc["sources"]["balldontlie"]["agreement"] < 0.9 and doc["sources"]["balldontlie"]["suspect"]
    assert doc["trusted"] == {"box_scores": "nba_stats"}
    worst = doc["worst"][0]
    assert worst["source"] == "balldontlie" and worst["field"] in ("minutes", "points", "team_points")
