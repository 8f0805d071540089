"""Backfill end to end: `nba-orch backfill` over several days through the local stack (the scrapers function
under functions-framework, fed by a push subscription) and the replay server serving two sample days; the
driver killed at random points and run again; then `nba-orch gaps` and `nba-orch backfill --gaps`.

What "no duplicate" is checked against: a reference run of the same command, never killed, on its own
isolated runtime and its own replay server. The killed-and-resumed run must make exactly the same upstream
calls (counted at its replay server, per host, path and query), write exactly the same files, one
execution-log row and one completion per execution.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

pytestmark = pytest.mark.emulators

DAYS = (date(2025, 1, 15), date(2025, 1, 17))  # two sample days (the 16th has no games in this schedule)
WORKFLOWS = "post_game_window_1,post_game_window_2,post_game_window_3,referee_discovery"
NBA_ORCH = Path(sys.executable).with_name("nba-orch")


def _schedule_file(tmp_path: Path) -> Path:
    """One league schedule holding each sample day's own games (each sample's document also lists its
    neighbours' nights, which belong to no replayed day)."""
    from tooling.sample_day import build, nba

    merged: dict | None = None
    for d in DAYS:
        doc = json.loads(nba.schedule(build(d).world))
        keep = [gd for gd in doc["leagueSchedule"]["gameDates"] if gd["gameDate"].startswith(f"{d:%m/%d/%Y}")]
        if merged is None:
            merged, merged["leagueSchedule"]["gameDates"] = doc, keep
        else:
            merged["leagueSchedule"]["gameDates"] += keep
    path = tmp_path / "schedule.json"
    path.write_text(json.dumps(merged))
    return path


def _lost_games() -> list[str]:
    from tooling.sample_day import build

    return [build(DAYS[0]).games[1].game_id, build(DAYS[1]).games[2].game_id]


@contextmanager
def _pipeline(rt, log_dir: Path) -> Iterator[tuple]:
    """The scrapers function wired to `rt`'s requests topic, against a replay of both sample days, where the
    CDN box scores of two games are lost (answer 404) until the test lifts the loss."""
    from tests.functions_harness import function_env
    from tooling.local.functions import start_wired
    from tooling.local.replay import Replay, Reply
    from tooling.local.replay_day import sample_day_env
    from tooling.sample_day import build, install

    replay = Replay().start()
    procs: dict = {}
    try:
        for d in DAYS:
            install(replay, build(d))
        losses = [
            replay.add(
                "cdn.nba.com",
                f"/static/json/liveData/boxscore/boxscore_{gid}.json",
                replies=[Reply(404, '{"message": "lost"}')],
            )
            for gid in _lost_games()
        ]
        env = {**function_env(rt), **sample_day_env(replay.url, build(DAYS[0])), "NBA_ORCH_HTTP_BACKOFF_SCALE": "0.01"}
        log_dir.mkdir(parents=True, exist_ok=True)
        start_wired(rt, (("scrapers", "scraper_requests"),), env=env, log_dir=log_dir, procs=procs)
        yield replay, losses
    finally:
        for fn in procs.values():
            fn.stop()
        replay.stop()


HEAL_DELAY = 6.0  # seconds each lifted loss takes to answer during the heal


def _lift(replay, losses, delay: float) -> None:
    """Lift the injected losses: each lost path answers what the sample day serves for it, `delay` late."""
    from dataclasses import replace

    with replay._lock:
        for loss in losses:
            (served,) = [r for r in replay.routes if r is not loss and (r.host, r.path) == (loss.host, loss.path)]
            loss.replies, loss.hits = [replace(r, delay=delay) for r in served.replies], 0


def _cli(rt, *args: str) -> list[str]:
    return [str(NBA_ORCH), "--format", "json", *args]


def _env(rt) -> dict[str, str]:
    return {**os.environ, **rt.env()}


def _backfill_args(schedule: Path) -> list[str]:
    return [
        "backfill",
        *("--from", DAYS[0].isoformat(), "--to", DAYS[1].isoformat()),
        *("--workflows", WORKFLOWS, "--schedule-file", str(schedule)),
        *("--pace-scale", "0.05", "--timeout", "180"),
    ]


def _result(out: str) -> dict:
    lines = [json.loads(x) for x in out.splitlines() if x.startswith("{")]
    assert lines and lines[-1]["event"] == "result", out[-2000:]
    return lines[-1]


def _calls(replay) -> Counter:
    return Counter((s.host, s.path, tuple(sorted(s.query.items()))) for s in replay.seen)


def _data_files(rt) -> set[str]:
    from shared.adapters.gcs import list_objects

    return {name for name, _, _ in list_objects(rt, "") if not name.startswith("_nba-orch/")}


def _isolated_runtime():
    from shared.runtime import Runtime
    from tooling.provision import ensure_all

    runtime = Runtime.from_env().with_suffix(uuid.uuid4().hex[:8])
    ensure_all(runtime, views=False)
    return runtime


def _duplicate_rows(rt) -> list[dict]:
    from shared.adapters.bigquery import query

    return query(
        rt,
        "SELECT execution_id, COUNT(*) AS n FROM {dataset}.scraper_execution_log GROUP BY execution_id HAVING n > 1",
    )


def _completions(rt) -> Counter:
    from tests.conftest import pull_all

    sub = f"projects/{rt.project}/subscriptions/{rt.topic('scraper_complete')}-pull"
    got = pull_all(rt, "scraper_complete", sub, expect=10_000, timeout=4.0)
    return Counter(m.attributes.get("execution_id") for m in got)


def test_a_backfill_killed_at_random_points_resumes_without_duplicates(rt, tmp_path):
    from tests.conftest import _drop_subscriptions

    schedule = _schedule_file(tmp_path)
    args = _backfill_args(schedule)

    # the reference: the same command, never interrupted
    with _pipeline(rt, tmp_path / "ref") as (ref_replay, _):
        done = subprocess.run(_cli(rt, *args), env=_env(rt), capture_output=True, text=True, timeout=400)
        assert done.returncode == 0, done.stderr[-2000:]
        ref = _result(done.stdout)
        time.sleep(1.0)  # nothing more may arrive
        ref_calls = _calls(ref_replay)
    assert ref["total"] > 80 and ref["finished"] == ref["total"] and ref["done_before"] == 0
    ref_files = _data_files(rt)

    rt2 = _isolated_runtime()
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    try:
        with _pipeline(rt2, tmp_path / "killed") as (replay, losses):
            kills = 0
            for attempt in range(4):
                p = subprocess.Popen(_cli(rt2, *args), env=_env(rt2), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
                # the first kill inside the start-up and first publishes, so some kill always lands (a first
                # delay longer than the whole run left nothing to kill: seed 707359); later ones anywhere
                time.sleep(rng.uniform(0.5, 2.5) if attempt == 0 else rng.uniform(1.5, 6.0))
                if p.poll() is None:
                    p.kill()
                    kills += 1
                p.communicate(timeout=30)
            assert kills >= 1, f"seed {seed}: the driver finished before any kill"
            done = subprocess.run(_cli(rt2, *args), env=_env(rt2), capture_output=True, text=True, timeout=400)
            assert done.returncode == 0, done.stderr[-2000:]
            res = _result(done.stdout)
            assert res["finished"] == res["total"] == ref["total"], (seed, res)
            time.sleep(1.0)
            # no duplicate upstream call: exactly the reference run's calls, each as often
            assert _calls(replay) == ref_calls, f"seed {seed}"
            assert _data_files(rt2) == ref_files
            assert _duplicate_rows(rt2) == []
            completions = _completions(rt2)
            assert completions and max(completions.values()) == 1 and sum(completions.values()) == ref["total"]

            # gaps: the injected losses (two CDN box scores), and BigDataBall's: the replay serves one Drive
            # listing (the last sample day installed), so the first day's files are not listed, plus the second
            # day's unrecorded file (tooling/sample_day). The reference run, never killed, has the same gaps.
            gaps = _gaps(rt2, schedule)
            assert _gaps(rt, schedule)["gaps"] == gaps["gaps"]
            lost = set(_lost_games())
            failed = {(g["scraper"], g["params"].get("game_id")) for g in gaps["gaps"]}
            assert {gid for s, gid in failed if s == "nbac_cdn_boxscore"} == lost
            assert {s for s, _ in failed} == {"nbac_cdn_boxscore", "bigdataball_pbp"}
            assert gaps["failed"] == len(failed) and gaps["missing"] == 0
            assert set(gaps["per_game"]) >= lost

            # healing: the losses lifted (each lost box score now answers after HEAL_DELAY, so the heal is
            # still waiting when it is killed), `backfill --gaps` killed once and run again asks for exactly
            # the gaps, once each: the second run resumes the first's round under the same id
            _lift(replay, losses, delay=HEAL_DELAY)
            before = _calls(replay)
            heal = [*args, "--gaps"]
            p = subprocess.Popen(_cli(rt2, *heal), env=_env(rt2), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            time.sleep(rng.uniform(0.3, HEAL_DELAY - 2.5))
            killed = p.poll() is None
            p.kill()
            p.communicate(timeout=30)
            assert killed, f"seed {seed}: the heal finished before its kill"
            done = subprocess.run(_cli(rt2, *heal), env=_env(rt2), capture_output=True, text=True, timeout=400)
            assert done.returncode == 0, done.stderr[-2000:]
            res = _result(done.stdout)
            base = res["backfill_id"]
            assert res["total"] == res["finished"] == len(failed) and base.startswith("heal-"), (seed, res)
            assert "-r" not in base[len("heal-") :], res  # round 1, resumed
            round1 = _calls(replay) - before
            for gid in lost:
                assert round1[("cdn.nba.com", f"/static/json/liveData/boxscore/boxscore_{gid}.json", ())] == 1
            assert sum(n for (host, _, _), n in round1.items() if host == "cdn.nba.com") == len(lost), round1
            after = _gaps(rt2, schedule)
            assert {(g["scraper"]) for g in after["gaps"]} == {"bigdataball_pbp"}  # never recorded upstream
            bdb = {(g["scraper"], g["params"].get("game_id")) for g in after["gaps"]}
            # the heal again, its round finished: a new round of what still fails, and only that, run once more
            # (new request ids), making the same upstream calls its first attempt made
            before = _calls(replay)
            done = subprocess.run(_cli(rt2, *heal), env=_env(rt2), capture_output=True, text=True, timeout=400)
            assert done.returncode == 0, done.stderr[-2000:]
            res = _result(done.stdout)
            assert res["backfill_id"] == f"{base}-r2" and res["total"] == res["finished"] == len(bdb), res
            round2 = _calls(replay) - before
            assert round2 == Counter({k: n for k, n in round1.items() if k[0] != "cdn.nba.com"}), (round1, round2)
            # a heal with nothing to heal publishes nothing and leaves no round behind
            cdn_only = [*heal, "--scrapers", "nbac_cdn_boxscore"]
            done = subprocess.run(_cli(rt2, *cdn_only), env=_env(rt2), capture_output=True, text=True, timeout=400)
            assert done.returncode == 0, done.stderr[-2000:]
            res = _result(done.stdout)
            assert res["total"] == 0 and res["published_now"] == 0, res
            from shared.backfill.progress import list_backfills

            assert res["backfill_id"] not in set(list_backfills(rt2))
    finally:
        _drop_subscriptions(rt2)


def _gaps(rt, schedule: Path) -> dict:
    cmd = _cli(
        rt,
        "gaps",
        *("--from", DAYS[0].isoformat(), "--to", DAYS[1].isoformat(), "--workflows", WORKFLOWS),
        *("--schedule-file", str(schedule)),
    )
    done = subprocess.run(cmd, env=_env(rt), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)
