"""Benchmark: alert latency over a simulated day with upstream faults (issue 16): from the publish of the tick
whose evaluation opened (or resolved) an alert to the local webhook receiving the notification, p50/p95.

Runs `nba-orch simulate` (the five functions, the notifier included, and a local webhook receiver the
simulation starts) on its own emulator stack (ports 18xxx/19xxx unless NBA_ORCH_*_PORT are set, state in a
temporary folder), then stops it.
A notification is attributed to the latest tick published before it arrived, so the figure includes the
tick's own work (the evaluation runs at the end of the tick), the alerts topic, the push delivery and the
notifier's state swap and POST.

    .venv/bin/python tests/benchmarks/bench_alert_latency.py [--date 2025-01-15] [--hours 5,6,13,22,1,4]
        [--upstream-fault-rate 0.2]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--date", default="2025-01-15")
    ap.add_argument("--hours", default="5,6,13,22,1,4", help="a shortened day ('' for the whole day)")
    ap.add_argument("--upstream-fault-rate", type=float, default=0.2)
    args = ap.parse_args()
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from bench_simulate_day import own_stack_env

    ports = {k: v for k, v in os.environ.items() if k.startswith("NBA_ORCH_") and k.endswith("_PORT")}
    state = own_stack_env("nba-orch-bench-alerts-")
    os.environ.update(ports)  # ports given by the caller win (a machine shared with other stacks)
    os.environ.pop("NBA_ORCH_ALERT_WEBHOOK_URL", None)  # the simulation's own receiver
    from shared.timeutil import parse_date
    from tooling.local import stack
    from tooling.simulate import run

    stack.up()
    try:
        result = run(
            parse_date(args.date),
            out_dir=Path(state) / "simulation",
            hours={int(h) for h in args.hours.split(",")} if args.hours else None,
            upstream_faults=args.upstream_fault_rate,
            progress=lambda s: print(s, file=sys.stderr, flush=True),
        )
    finally:
        stack.down()
    lat = sorted(result.alert_latencies)
    print(f"notifications received: {len(result.notifications)}")
    for line in result.summary.get("notifications", []):
        print(f"  {line}")
    if lat:
        p95 = lat[min(len(lat) - 1, int(round(0.95 * (len(lat) - 1))))]
        print(
            f"alert latency (tick publish -> webhook): p50 {statistics.median(lat):.2f} s, "
            f"p95 {p95:.2f} s, n={len(lat)}"
        )
    print(f"alerts of the day: {result.summary.get('alerts')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
