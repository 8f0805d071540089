"""Benchmark: throughput per source as a fraction of its configured limit with K scraper instances.

K worker processes (separate interpreters, as K function instances) call the rate-limited sources of the
catalogue (balldontlie, odds_api, nba_stats, basketball_reference) back to back through the real
`HttpClient`, one thread per source, at the replay server in this process (real recordings: a balldontlie
empty day, the Odds API events answer, a stats.nba.com scoreboard; basketball-reference has no recording, an
nba.com team page stands in). Three phases of the same length, measured in the same run:
  shared K   K instances, each with its own Pacer over the GCS slots on the local fake-gcs-server (the change);
  shared 1   one instance with the same pacer (the single-process baseline);
  local K    K instances with the per-process throttle only (what the code did before).
From the replay server's arrival times, per source and phase: calls per second / (1 / min interval) (target for
shared K: >= 0.9), that against shared 1 (the ratio printed as "vs 1"), and the one-minute windows over the
limit (target 0 for shared K): a window starts at every arrival and may hold 60 / interval calls; windows are
shortened by the stated jitter allowance (a share of the interval: arrivals jitter against departures), and
the strict count (no allowance) is printed beside it. Plus what the limiter cost: GCS creates per call (won and
lost slots), the median and p95 time of one create on the emulator, slots left unused by a late wake-up.

The intervals are the catalogue's (bdl 100 ms, odds 200 ms, stats 600 ms, basketball-reference 3 s; about 3.5
minutes in all); NBA_ORCH_BENCH_INTERVAL_SCALE scales them and the minute (0.5: twice as fast; a short interval
on a busy 2-core machine is mostly wake-up latency, so scaled figures understate the limiter):

    .venv/bin/python tests/benchmarks/bench_source_limits.py [--instances 4] [--minutes 2.5] [--jitter 0.2]

Starts the local stack if it is not running (and stops only what it started). Exit status 1 when a target
is missed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
TARGET = 0.9
SOURCES = {  # source -> (upstream URL, recording under shared/fixtures/upstream)
    "balldontlie": (
        "https://api.balldontlie.io/v1/box_scores?date=2024-12-{n}",
        "balldontlie/box_scores_empty_day.json",
    ),
    "odds_api": (
        "https://api.the-odds-api.com/v4/historical/sports/basketball_nba/events?date={n}",
        "odds_api/historical_events_2024-01-25T035540Z.json",
    ),
    "nba_stats": (
        "https://stats.nba.com/stats/scoreboardV2?GameDate={n}&LeagueID=00&DayOffset=0",
        "nbacom_stats/scoreboardV2_2025-01-15.json",
    ),
    "basketball_reference": (
        "https://www.basketball-reference.com/teams/BOS/2025.html?call={n}",
        "nbacom_web/team_roster_79002ff4.html.gz",
    ),
}


def scaled_sources(scale: float) -> dict[str, Any]:
    from shared.config import get_config

    cfg = get_config()
    return {
        n: dataclasses.replace(cfg.sources[n], min_interval_seconds=cfg.sources[n].min_interval_seconds * scale)
        for n in SOURCES
    }


# ---------------------------------------------------------------------------------------------------------
# A worker: one scraper instance


def worker(mode: str, start: float, seconds: float, scale: float) -> None:
    """Call every source back to back from `start` for `seconds`; print the pacer's figures as JSON."""
    from shared.adapters import gcs
    from shared.config import get_config
    from shared.runtime import Runtime
    from shared.scrapers.errors import ScraperFailure, TransientFailure
    from shared.scrapers.http import HttpClient, HttpSettings
    from shared.scrapers.ratelimit import GcsSlotStore, Pacer

    rt = Runtime.from_env()
    limits = get_config().rate_limits
    pacer = None
    if mode == "shared":
        store = GcsSlotStore(lambda: gcs.bucket(rt), timeout=limits.store_timeout_seconds)
        pacer = Pacer(store, slowdown_cache_seconds=limits.slowdown_cache_seconds, max_probes=limits.max_probes)
    http = HttpClient(pacer=pacer)
    settings = dataclasses.replace(HttpSettings.from_env(), backoff_scale=1.0, attempts=1)
    sources = scaled_sources(scale)
    failures: list[str] = []
    gcs.bucket(rt).exists()  # connect before the start, as a warm instance would be
    http.session()

    def run(name: str) -> None:
        url = SOURCES[name][0]
        n = 0
        while time.time() < start:
            time.sleep(0.001)
        while time.time() < start + seconds:
            n += 1
            try:
                http.get(url.format(n=f"{os.getpid()}-{n}"), source=sources[name], settings=settings)
            except (ScraperFailure, TransientFailure) as exc:
                failures.append(f"{name}: {exc.error_type}")
            except Exception as exc:  # counted, never a silently dead thread
                failures.append(f"{name}: {type(exc).__name__}")

    threads = [threading.Thread(target=run, args=(n,)) for n in SOURCES]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stats = pacer.stats if pacer else None
    print(
        json.dumps(
            {
                "won": stats.won if stats else 0,
                "lost": stats.lost if stats else 0,
                "late": stats.late if stats else 0,
                "fallbacks": stats.fallbacks if stats else 0,
                "store_seconds": list(stats.store_seconds) if stats else [],
                "wake_seconds": list(stats.wake_seconds) if stats else [],
                "failures": failures[:5],
                "failure_count": len(failures),
            }
        )
    )


# ---------------------------------------------------------------------------------------------------------
# The parent: replay server, phases, figures


def phase(rp: Any, mode: str, k: int, seconds: float, scale: float, env: dict[str, str]) -> tuple[dict, list[dict]]:
    """Run K workers of `mode` for `seconds`; (arrival times per source, the workers' figures)."""
    rp.seen.clear()
    start = time.time() + 4.0  # every worker imported and connected by then
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        mode,
        "--start",
        repr(start),
        "--seconds",
        repr(seconds),
        "--scale",
        repr(scale),
    ]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, text=True) for _ in range(k)]
    outs = [json.loads((p.communicate(timeout=seconds + 60)[0] or "{}").strip().splitlines()[-1]) for p in procs]
    hosts = {name: url.split("/")[2] for name, (url, _) in SOURCES.items()}
    times = {
        name: [s.at for s in rp.seen if s.host == host and start <= s.at < start + seconds]
        for name, host in hosts.items()
    }
    return times, outs


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--instances", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=1.5, help="length of the K-instance phase, in scaled minutes")
    ap.add_argument("--jitter", type=float, default=0.2, help="arrival jitter allowed, as a share of the interval")
    ap.add_argument("--worker", choices=("shared", "local"))
    ap.add_argument("--start", type=float)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--scale", type=float)
    args = ap.parse_args()
    if args.worker:
        worker(args.worker, args.start, args.seconds, args.scale)
        return 0

    from shared import clients
    from shared.runtime import Runtime
    from tests.rate_windows import windows_over
    from tooling.local import stack
    from tooling.local.replay import Replay
    from tooling.provision import ensure_bucket

    scale = float(os.environ.get("NBA_ORCH_BENCH_INTERVAL_SCALE", "1"))
    minute = 60.0 * scale
    seconds = args.minutes * minute
    upstream = ROOT.parent / "shared" / "fixtures" / "upstream"
    state = stack.up()
    os.environ.update(state["env"])
    clients.reset()
    try:
        rt = Runtime.from_env().with_suffix("lim" + uuid.uuid4().hex[:6])
        ensure_bucket(rt)
        with Replay() as rp:
            for url, rec in SOURCES.values():
                host, path = url.split("/")[2], "/" + url.split("/", 3)[3].split("?")[0]
                rp.add(host, path, file=upstream / rec)  # any query: every call's own parameter matches
            env = {**os.environ, **rt.env(), **rp.env(), "BALLDONTLIE_API_KEY": "bench", "ODDS_API_KEY": "bench"}
            sources = scaled_sources(scale)
            print(
                f"{args.instances} instances, intervals x{scale:g} (a minute is {minute:g} s), phases of "
                f"{seconds:g} / {seconds * 2 / 3:g} / {seconds / 3:g} s, jitter allowance {args.jitter:g} x interval"
            )
            results = {}
            # the two controls are shorter: they need the rate, not a long steady state
            for label, mode, k, length in (
                ("shared K", "shared", args.instances, seconds),
                ("shared 1", "shared", 1, seconds * 2 / 3),
                ("local K", "local", args.instances, seconds / 3),
            ):
                results[label] = (*phase(rp, mode, k, length, scale, env), length)
    finally:
        if state["started"]:
            stack.down(only=state["started"])

    ok = True
    head = f"{'source':<22}{'limit/s':>8}  " + "  ".join(f"{h:>28}" for h in results)
    print(head)
    print(f"{'':<22}{'':>8}  " + "  ".join(f"{'of limit  vs 1  min-windows over':>28}" for _ in results))
    base_times, _, base_length = results["shared 1"]
    for name, src in sources.items():
        interval = src.min_interval_seconds
        base = len(base_times[name]) * interval / base_length
        cells = []
        for label, (times, _, length) in results.items():
            ts = times[name]
            frac = len(ts) * interval / length
            over = windows_over(ts, minute, minute / interval, args.jitter * interval)
            strict = windows_over(ts, minute, minute / interval)
            vs1 = frac / base if base else float("nan")
            cells.append(f"{frac:>8.3f} {vs1:>5.2f} {over:>7d} ({strict})")
            if label == "shared K" and (frac < TARGET or over):
                ok = False
        print(f"{name:<22}{1 / interval:>8.2f}  " + "  ".join(f"{c:>28}" for c in cells))
    outs = results["shared K"][1]
    won, lost, late = (sum(o.get(k, 0) for o in outs) for k in ("won", "lost", "late"))
    calls = sum(len(t) for t in results["shared K"][0].values())
    store = sorted(s for o in outs for s in o.get("store_seconds", []))
    p95 = store[int(0.95 * (len(store) - 1))] if store else 0.0
    print(
        f"shared K cost: {calls} calls, {won} slots won + {lost} lost = {(won + lost) / max(calls, 1):.2f} GCS "
        f"creates per call; {late} slots left unused (late wake-up); {sum(o.get('fallbacks', 0) for o in outs)} "
        f"fallbacks; store call median {statistics.median(store) * 1000 if store else 0:.1f} ms, "
        f"p95 {p95 * 1000:.1f} ms (emulator, includes slowdown reads)"
    )
    wake = sorted(s for o in outs for s in o.get("wake_seconds", []))
    if wake:
        print(
            f"wake-up after a slot's start: median {statistics.median(wake) * 1000:.1f} ms, "
            f"p95 {wake[int(0.95 * (len(wake) - 1))] * 1000:.1f} ms, max {wake[-1] * 1000:.1f} ms"
        )
    fails = [f for _, o, _ in results.values() for w in o for f in w.get("failures", [])]
    if fails:
        print("failed calls (first):", fails[:5])
    print("(strict) = windows over with no jitter allowance")
    print("targets met" if ok else f"TARGET MISSED: shared K must reach {TARGET} of every limit with 0 windows over")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
