"""Benchmark: cold-start import time of the `scrapers` function (functions/scrapers/main.py).

Each figure is measured in a fresh interpreter (so nothing is cached in sys.modules), several times,
alternating the candidates so drift hits them alike; the median is reported. The baseline is measured in
the same run: importing only functions_framework plus the three Google clients (bigquery, pubsub_v1,
storage), i.e. what any function of this kind pays anyway. Target: main.py / baseline < 1.25.

Also printed, for information: main.py plus everything its first request imports (requests, tenacity,
one source module and its parser, the three clients), the real cost of a cold start's first message.

    .venv/bin/python tests/benchmarks/bench_scrapers_import.py [--runs 9]
Exit status 1 when the ratio is 1.25 or more.
"""

from __future__ import annotations

import argparse
import sys

from import_timing import print_medians, sample

TARGET = 1.25

SNIPPETS = {
    "baseline: functions_framework + bigquery + pubsub_v1 + storage": (
        "import functions_framework\nfrom google.cloud import bigquery, pubsub_v1, storage\n"
    ),
    "functions/scrapers/main.py": ("import sys\nsys.path.insert(0, 'functions/scrapers')\nimport main\n"),
    "main.py + first request's imports (info)": (
        "import sys\nsys.path.insert(0, 'functions/scrapers')\nimport main\n"
        "import requests, tenacity\nfrom google.cloud import bigquery, pubsub_v1, storage\n"
        "from shared.config import get_config\nfrom shared.scrapers import registry\n"
        "registry.create('bdl_box_scores', get_config())\n"
    ),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    medians = print_medians(sample(SNIPPETS, args.runs), args.runs)
    base, main_py = list(medians.values())[:2]
    ratio = main_py / base
    first = list(medians.values())[2] / base
    print(f"ratio main.py / baseline = {ratio:.3f} (target < {TARGET}): {'OK' if ratio < TARGET else 'OVER'}")
    print(f"ratio main.py + first request / baseline = {first:.3f} (information)")
    return 0 if ratio < TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
