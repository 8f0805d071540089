"""Benchmark: the full default day (`nba-orch simulate`) on this machine: wall time (target < 90 s), peak memory,
and where the time goes (CPU seconds per component: the three emulators, the four functions, the driver).

Runs on its own emulator stack (ports 18xxx/19xxx, state in a temporary folder) so it never touches a stack
you have running, and stops it afterwards.

    .venv/bin/python tests/benchmarks/bench_simulate_day.py [--date 2025-01-15] [--hours 5,6,22,1,4]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from pathlib import Path

CLK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _proc(pid: int) -> tuple[float, int, str] | None:
    """(cpu seconds, rss bytes, command) of a process, or None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK, int(fields[21]) * PAGE, cmd


def _component(cmd: str) -> str:
    if "pubsub-emulator" in cmd or "cloud-pubsub-emulator" in cmd or "pubsub" in cmd and "java" in cmd:
        return "pubsub emulator"
    if "fake-gcs-server" in cmd:
        return "gcs emulator"
    if "bq_launcher" in cmd or "bqemulator" in cmd:
        return "bigquery emulator"
    for fn in ("scrapers", "schedule_locker", "master_controller", "cleanup"):
        if f"--target {fn}" in cmd:
            return f"function {fn}"
    return "other"


class Sampler(threading.Thread):
    """Samples every process of this machine owned by the benchmark's process tree or the stack's PIDs."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop_flag = threading.Event()
        self.cpu: dict[int, tuple[str, float]] = {}
        self.peak_rss = 0

    def _pids(self) -> list[int]:
        me = os.getpid()
        out = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except (FileNotFoundError, ProcessLookupError, PermissionError):
                continue
            ppid = int(next(line.split()[1] for line in status.splitlines() if line.startswith("PPid:")))
            out.append((pid, ppid))
        # descendants of this process (the stack is started by it, in new sessions but still its children)
        children: dict[int, list[int]] = {}
        for pid, ppid in out:
            children.setdefault(ppid, []).append(pid)
        tree, todo = [], [me]
        while todo:
            p = todo.pop()
            tree.append(p)
            todo.extend(children.get(p, []))
        return tree

    def run(self) -> None:
        while not self.stop_flag.is_set():
            total = 0
            for pid in self._pids():
                info = _proc(pid)
                if info is None:
                    continue
                cpu, rss, cmd = info
                total += rss
                comp = "driver" if pid == os.getpid() else _component(cmd)
                self.cpu[pid] = (comp, cpu)
            self.peak_rss = max(self.peak_rss, total)
            time.sleep(0.2)


def own_stack_env(prefix: str) -> str:
    """Point this process at a stack of its own (ports 18xxx/19xxx, state in a new temporary folder)."""
    state = tempfile.mkdtemp(prefix=prefix)
    os.environ.update(
        {
            "NBA_ORCH_STATE_DIR": state,
            "NBA_ORCH_PUBSUB_PORT": "18385",
            "NBA_ORCH_BQ_PORT": "19350",
            "NBA_ORCH_BQ_GRPC_PORT": "19360",
            "NBA_ORCH_GCS_PORT": "19323",
        }
    )
    for k in ("PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "BIGQUERY_EMULATOR_HOST"):
        os.environ.pop(k, None)
    return state


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--date", default="2025-01-15")
    ap.add_argument("--hours", default=None, help="a shortened day, e.g. 5,6,22,1,4")
    args = ap.parse_args()

    state = own_stack_env("nba-orch-bench-day-")

    from shared.timeutil import parse_date
    from tooling.local import stack
    from tooling.simulate import run

    sampler = Sampler()
    sampler.start()
    t0 = time.monotonic()
    stack.up()
    t_stack = time.monotonic() - t0
    try:
        hours = {int(h) for h in args.hours.split(",")} if args.hours else None
        result = run(
            parse_date(args.date),
            out_dir=Path(state) / "simulation",
            hours=hours,
            progress=lambda s: print(s, file=sys.stderr, flush=True),
        )
    finally:
        sampler.stop_flag.set()
        sampler.join()
        stack.down()
    by_comp: dict[str, float] = {}
    for comp, cpu in sampler.cpu.values():
        by_comp[comp] = by_comp.get(comp, 0.0) + cpu
    wall = result.wall_seconds
    emulators = sum(v for k, v in by_comp.items() if "emulator" in k)
    functions = sum(v for k, v in by_comp.items() if k.startswith("function"))
    print(
        f"simulated day {args.date}{' (hours ' + args.hours + ')' if args.hours else ''}: "
        f"{result.ticks} ticks, checks {'PASS' if result.ok else 'FAIL'}"
    )
    for c in result.summary.get("checks", []):
        print(f"  {'PASS' if c['ok'] else 'FAIL'} {c['check']}: {c['detail']}")
    print(f"wall time (stack already up): {wall:.1f} s   target < 90 s: {'OK' if wall < 90 else 'MISSED'}")
    print(f"stack start-up (not counted): {t_stack:.1f} s")
    print(
        f"driver waiting for the pipeline: {result.waiting_seconds:.1f} s ({result.waiting_seconds / wall:.0%} of wall)"
    )
    print(f"peak memory of the whole tree (driver, functions, emulators): {sampler.peak_rss / 2**20:.0f} MiB")
    print("CPU seconds by component (2 cores: at most 2 x wall):")
    for comp, cpu in sorted(by_comp.items(), key=lambda kv: -kv[1]):
        print(f"  {comp:28s} {cpu:7.1f} s")
    print(
        f"share of CPU spent in the emulators: {emulators / max(sum(by_comp.values()), 1e-9):.0%} "
        f"(functions {functions / max(sum(by_comp.values()), 1e-9):.0%})"
    )
    print(f"totals: {result.summary.get('totals')}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
