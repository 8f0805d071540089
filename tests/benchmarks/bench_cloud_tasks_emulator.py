"""Measurement (optional, not in the project's locks): does a local Cloud Tasks emulator enforce a queue's rate?

docs/limits.md weighs Cloud Tasks queues per source (`maxDispatchesPerSecond`) against the GCS slots. Google
ships no official Cloud Tasks emulator; the one on PyPI (`gcloud-tasks-emulator`, a stub) is measured here:
a queue created with max_dispatches_per_second=2 and max_concurrent_dispatches=1 gets N HTTP tasks aimed at
the replay server (tooling/local/replay.py, standard library only), and the dispatch rate is read off the
replay server's arrival times, against the configured rate.

It needs the emulator and the client in a virtualenv of their own (they are not project dependencies):

    python3.11 -m venv /tmp/ct && /tmp/ct/bin/pip install gcloud-tasks-emulator==0.6.2 google-cloud-tasks
    /tmp/ct/bin/python tests/benchmarks/bench_cloud_tasks_emulator.py [--tasks 40]
"""

from __future__ import annotations

import argparse
import logging
import socket
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
RATE = 2.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tasks", type=int, default=40)
    args = ap.parse_args()
    try:
        import grpc
        from gcloud_tasks_emulator.server import create_server
        from google.api_core.client_options import ClientOptions
        from google.cloud import tasks_v2
        from google.cloud.tasks_v2.services.cloud_tasks.transports import CloudTasksGrpcTransport
    except ImportError as exc:
        print(f"needs gcloud-tasks-emulator and google-cloud-tasks (see the docstring): {exc}", file=sys.stderr)
        return 2
    from tooling.local.replay import Replay

    logging.getLogger("gcloud-tasks-emulator").setLevel(logging.WARNING)

    port = free_port()
    server = create_server("127.0.0.1", port, "127.0.0.1", 1, [])
    server.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the emulator's gRPC server starts in a thread of its own
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    try:
        with Replay() as rp:
            rp.add("api.balldontlie.io", "/v1/box_scores", body='{"data": []}')
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            client = tasks_v2.CloudTasksClient(
                transport=CloudTasksGrpcTransport(channel=channel),
                client_options=ClientOptions(api_endpoint=f"127.0.0.1:{port}"),
            )
            parent = "projects/p/locations/l"
            queue = tasks_v2.Queue(
                name=f"{parent}/queues/balldontlie",
                rate_limits=tasks_v2.RateLimits(max_dispatches_per_second=RATE, max_concurrent_dispatches=1),
            )
            client.create_queue(parent=parent, queue=queue)
            url = f"{rp.url}/api.balldontlie.io/v1/box_scores"
            for i in range(args.tasks):
                target = f"{url}?date=2024-01-{i % 28 + 1:02d}&n={i}"
                task = tasks_v2.Task(http_request=tasks_v2.HttpRequest(url=target, http_method=tasks_v2.HttpMethod.GET))
                client.create_task(parent=queue.name, task=task)
            deadline = time.monotonic() + args.tasks / RATE + 10
            while len(rp.seen) < args.tasks and time.monotonic() < deadline:
                time.sleep(0.05)
            times = sorted(s.at for s in rp.seen)
    finally:
        server.stop()
    if len(times) < 2:
        print(f"only {len(times)} task(s) dispatched")
        return 1
    span = times[-1] - times[0]
    rate = (len(times) - 1) / span if span > 0 else float("inf")
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    print(
        f"gcloud-tasks-emulator 0.6.2: {len(times)} tasks dispatched in {span:.2f} s = {rate:.1f}/s "
        f"(queue max_dispatches_per_second={RATE:g}: {rate / RATE:.1f}x the configured rate); "
        f"shortest gap {min(gaps) * 1000:.1f} ms, configured {1000 / RATE:.0f} ms"
    )
    print("enforced" if rate <= RATE * 1.05 else "NOT enforced: the emulator ignores the queue's rate limits")
    return 0


if __name__ == "__main__":
    sys.exit(main())
