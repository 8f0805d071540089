"""Benchmark: cold import of each Cloud Function's main.py vs functions_framework plus the clients it needs.

A cold start pays the import of main.py before the first message. Each function's main.py is imported in a
fresh interpreter (nothing cached in sys.modules; interpreter start-up excluded), N times, with every
candidate alternated within a round so machine drift hits them alike; the median is reported. The baseline
for a function, measured in the same run, is importing functions_framework plus the Google clients that
function uses on its first message (what any function of its kind pays anyway):

    schedule_locker   bigquery + storage
    master_controller bigquery + pubsub_v1 + storage
    cleanup           bigquery + pubsub_v1 + storage
    scrapers          bigquery + pubsub_v1 + storage

Target per function: main.py / its baseline < 1.25. Our functions import the clients lazily (shared.clients),
so main.py alone is usually well *below* its baseline; the figure guards against a heavy import creeping in
at module level. Printed for information: main.py plus its clients over the baseline, i.e. what our own code
adds to a cold start's first message.

    .venv/bin/python tests/benchmarks/bench_cold_import.py [--runs 9] [--importtime FUNCTION]
`--importtime` prints the 15 costliest modules (python -X importtime) of one function's main.py instead.
Exit status 1 when a function misses its target.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from import_timing import print_medians, sample

ROOT = Path(__file__).resolve().parents[2]
TARGET = 1.25

CLIENTS = {
    "schedule_locker": ("bigquery", "storage"),
    "master_controller": ("bigquery", "pubsub_v1", "storage"),
    "cleanup": ("bigquery", "pubsub_v1", "storage"),
    "scrapers": ("bigquery", "pubsub_v1", "storage"),
}


def main_snippet(function: str) -> str:
    return f"import sys\nsys.path.insert(0, 'functions/{function}')\nimport main\n"


def baseline_snippet(clients: tuple[str, ...]) -> str:
    return f"import functions_framework\nfrom google.cloud import {', '.join(clients)}\n"


def importtime(function: str, top: int = 15) -> None:
    """The costliest modules (cumulative µs) of importing one function's main.py, from python -X importtime."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", main_snippet(function)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        self_us, cum_us, name = line.split(":", 1)[1].split("|", 2)  # "import time: self | cumulative | name"
        rows.append((int(cum_us), int(self_us), name.rstrip()))
    for cum, own, name in sorted(rows, reverse=True)[:top]:
        print(f"  {cum / 1000:8.1f} ms cumulative  {own / 1000:7.1f} ms self  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--importtime", choices=sorted(CLIENTS), help="show one function's costliest imports")
    args = parser.parse_args()
    if args.importtime:
        importtime(args.importtime)
        return 0

    candidates: dict[str, str] = {}
    for clients in sorted(set(CLIENTS.values())):
        candidates["baseline: functions_framework + " + " + ".join(clients)] = baseline_snippet(clients)
    for function in CLIENTS:
        candidates[f"functions/{function}/main.py"] = main_snippet(function)
    for function, clients in CLIENTS.items():  # information: main.py plus the clients its first message loads
        candidates[f"{function} main.py + its clients (info)"] = main_snippet(function) + baseline_snippet(clients)
    samples = sample(candidates, args.runs)
    medians = print_medians(samples, args.runs)
    ok = True
    for function, clients in CLIENTS.items():
        base = medians["baseline: functions_framework + " + " + ".join(clients)]
        ratio = medians[f"functions/{function}/main.py"] / base
        verdict = "OK" if ratio < TARGET else "MISSED"
        ok = ok and ratio < TARGET
        print(
            f"ratio {function} main.py / (functions_framework + {', '.join(clients)}) = {ratio:.3f}"
            f" (target < {TARGET}): {verdict}"
        )
        full = medians[f"{function} main.py + its clients (info)"] / base
        print(f"  {function} main.py + its clients / baseline = {full:.3f} (information: the first message's imports)")
        fastest = min(samples[f"functions/{function}/main.py"]) / min(
            samples["baseline: functions_framework + " + " + ".join(clients)]
        )
        print(f"  {function} fastest main.py / fastest baseline = {fastest:.3f} (information: less sensitive to load)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
