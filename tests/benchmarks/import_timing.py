"""Shared by the import benchmarks: time a snippet of imports in a fresh interpreter, alternate candidates."""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def measure(code: str, after: str = "") -> tuple[float, list[str]]:
    """Seconds spent running `code` in a fresh interpreter (start-up excluded), and the lines `after` printed."""
    wrapper = f"import time\n_t = time.perf_counter()\n{code}\nprint('@elapsed', time.perf_counter() - _t)\n{after}"
    out = subprocess.run([sys.executable, "-c", wrapper], cwd=ROOT, capture_output=True, text=True, check=True)
    lines = out.stdout.splitlines()
    at = max(i for i, line in enumerate(lines) if line.startswith("@elapsed "))
    return float(lines[at].split()[1]), lines[at + 1 :]


def sample(snippets: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Every snippet `runs` times, alternating so drift hits them alike, after one unmeasured warm-up each
    (the OS file cache and the .pyc files)."""
    for code in snippets.values():
        measure(code)
    samples: dict[str, list[float]] = {name: [] for name in snippets}
    for _ in range(runs):
        for name, code in snippets.items():
            samples[name].append(measure(code)[0])
    return samples


def print_medians(samples: dict[str, list[float]], runs: int) -> dict[str, float]:
    """Print each candidate's median (min .. max); returns the medians."""
    medians = {name: statistics.median(v) for name, v in samples.items()}
    width = max(len(n) for n in samples)
    print(f"import time, median of {runs} fresh interpreters (min .. max)")
    for name, values in samples.items():
        print(
            f"  {name:<{width}}  {medians[name] * 1000:7.1f} ms  ({min(values) * 1000:.1f} .. {max(values) * 1000:.1f})"
        )
    return medians
