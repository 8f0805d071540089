"""Benchmark: what the sample day costs the 90-second simulation budget.

Prints figures, no asserts. Measured in the same run:
- build(D): generating the world and rendering every answer (median of 5);
- install: adding the routes to a replay server;
- serve: fetching every route once over HTTP from the replay (requests, one session; the baseline, i.e.
  what the scrapers would pay anyway just to download the day's answers);
- ratio build / serve, and the build's share of the 90 s budget.

    .venv/bin/python tests/sample_day/bench_sample_day.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

BUDGET_SECONDS = 90.0


def main() -> None:
    import requests

    from tooling.local.replay import Replay
    from tooling.sample_day import DEFAULT_DATE, build, install

    build(DEFAULT_DATE)  # warm imports
    times = []
    day = None
    for _ in range(5):
        t = time.perf_counter()
        day = build(DEFAULT_DATE)
        times.append(time.perf_counter() - t)
    assert day is not None
    build_s = statistics.median(times)
    size = sum(len(a.body) for r in day.routes for a in r.answers)

    with Replay() as rp:
        t = time.perf_counter()
        install(rp, day)
        install_s = time.perf_counter() - t
        session = requests.Session()
        t = time.perf_counter()
        for r in day.routes:
            headers = {k: v or "x" for k, v in r.require_headers}
            params = {**dict(r.query), **{k: v or "x" for k, v in r.require_query}}
            resp = session.get(f"{rp.url}/{r.host}{r.path}", params=params or None, headers=headers)
            assert resp.status_code in (200, 403, 503), (r.url, resp.status_code)
        serve_s = time.perf_counter() - t

    print(f"sample day {day.date}: {len(day.routes)} routes, {size / 1e6:.2f} MB of answers, {len(day.games)} games")
    print(f"build (median of 5): {build_s:.3f} s  [{', '.join(f'{x:.3f}' for x in times)}]")
    print(f"install:             {install_s * 1000:.1f} ms")
    print(f"serve every route once over HTTP (baseline): {serve_s:.3f} s")
    print(f"ratio build / serve: {build_s / serve_s:.2f}")
    print(f"build share of the {BUDGET_SECONDS:.0f} s simulation budget: {100 * build_s / BUDGET_SECONDS:.1f}%")


if __name__ == "__main__":
    main()
