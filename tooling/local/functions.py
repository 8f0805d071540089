"""Run the Cloud Functions locally under functions-framework, wired to the Pub/Sub emulator by push
subscriptions, exactly as Eventarc delivers them in production (used by `nba-orch simulate` and the tests).

    with FunctionProcess("schedule_locker", env=rt.env() | emulator_env) as fn:
        wire(rt, fn, "locker_tick")          # push subscription topic -> function, dead letter + retry policy
        publish(rt, "locker_tick", b"{}")    # ...and the function receives it

The push endpoint's path is `/projects/<p>/topics/<t>`: functions-framework then builds the CloudEvent source
from it (see docs/local-cloud-stack). Each function's stdout (our JSON log lines) goes to a log file that
`LogTail` reads incrementally, which is how a driver knows when work is finished.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shared.runtime import Runtime

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[2]
# functions-framework serves this wrapper, which installs the tooling's step hooks (fault injection) and then
# hands over the real main.py's entry point (tooling/local/entry.py).
ENTRY = Path(__file__).with_name("entry.py")
FUNCTIONS = {
    "schedule_locker": "locker_tick",
    "master_controller": "controller_tick",
    "cleanup": "cleanup_tick",
    "scrapers": "scraper_requests",
}
NOTIFIER = ("notifier", "alerts")
# The order the pipeline starts in: the scrapers listen before any tick can fan out requests to them.
PIPELINE = (("scrapers", "scraper_requests"), *((t, k) for t, k in FUNCTIONS.items() if t != "scrapers"))
# The notifier's settings (secrets): it is started when one of them is set.
ALERT_SETTINGS = (
    "NBA_ORCH_ALERT_WEBHOOK_URL",
    "NBA_ORCH_SMTP_URL",
    "NBA_ORCH_ALERT_EMAIL_TO",
    "NBA_ORCH_ALERT_EMAIL_FROM",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


class FunctionProcess:
    """One function under functions-framework in its own process group (so stop() stops exactly it)."""

    def __init__(
        self,
        target: str,
        *,
        env: dict[str, str],
        port: int | None = None,
        log_path: Path | None = None,
        source: Path | None = None,
    ) -> None:
        self.target = target
        self.port = port or free_port()
        self.env = env
        self.source = source or REPO_ROOT / "functions" / target / "main.py"
        self.log_path = log_path or Path(os.environ.get("TMPDIR", "/tmp")) / f"nba-orch-{target}-{self.port}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def push_endpoint(self, rt: Runtime, topic_key: str) -> str:
        return f"{self.url}/projects/{rt.project}/topics/{rt.topic(topic_key)}"

    def start(self, timeout: float = 30.0) -> FunctionProcess:
        exe = Path(sys.executable).with_name("functions-framework")
        cmd = [
            str(exe) if exe.exists() else "functions-framework",
            "--target",
            self.target,
            "--source",
            str(ENTRY),
            "--signature-type",
            "cloudevent",
            "--host",
            HOST,
            "--port",
            str(self.port),
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child
        env = {**os.environ, **self.env, "PYTHONUNBUFFERED": "1", "NBA_ORCH_FUNCTION_MAIN": str(self.source)}
        self.proc = subprocess.Popen(
            cmd, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=str(REPO_ROOT)
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.target} exited with {self.proc.returncode}; log: {self.log_path}:\n"
                    + self.log_path.read_text(errors="replace")[-2000:]
                )
            with socket.socket() as s:
                s.settimeout(0.2)
                if s.connect_ex((HOST, self.port)) == 0:
                    return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.target} did not listen on port {self.port} within {timeout:.0f} s")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=10)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        self.proc = None

    def __enter__(self) -> FunctionProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def wire(
    rt: Runtime,
    fn: FunctionProcess,
    topic_key: str,
    *,
    name: str | None = None,
    max_delivery_attempts: int = 5,
    min_backoff: int = 10,
    max_backoff: int = 600,
) -> str:
    """Push subscription from the topic to the function, with the deployed dead-letter and retry policies."""
    from tooling.provision import ensure_push_subscription

    return ensure_push_subscription(
        rt,
        topic_key,
        name or f"{rt.topic(topic_key)}-push-{fn.target}",
        fn.push_endpoint(rt, topic_key),
        max_delivery_attempts=max_delivery_attempts,
        min_backoff=min_backoff,
        max_backoff=max_backoff,
    )


class LogTail:
    """Reads a function's JSON log lines incrementally (non-JSON lines, e.g. from the server, are skipped)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0

    def read(self) -> list[dict[str, Any]]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self.offset)
                chunk = fh.read()
        except FileNotFoundError:
            return []
        end = chunk.rfind(b"\n") + 1  # only whole lines
        self.offset += end
        out = []
        for line in chunk[:end].splitlines():
            if line.startswith(b"{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    continue
        return out


def start_wired(
    rt: Runtime,
    roles: tuple[tuple[str, str], ...],
    *,
    env: dict[str, str],
    log_dir: Path,
    procs: dict[str, FunctionProcess],
    duplicates: int = 1,
    name: str = "push",
) -> dict[str, list[str]]:
    """Start each (function, topic key) of `roles` and wire it by push subscription with the deployed dead-letter
    and retry policy (shared/config pubsub); returns function -> its subscription paths.

    Fills `procs` as it goes, so the caller's `finally` stops what was started even when a later one fails.
    `duplicates` > 1 wires that many subscriptions per topic: every message is then delivered that many times,
    concurrently (the at-least-once fault, for real). Subscriptions are named `<topic>-<name>[-i]`.
    """
    from shared.config import get_config

    policy = get_config().pubsub
    subs: dict[str, list[str]] = {}
    for target, key in roles:
        fn = FunctionProcess(target, env=env, log_path=log_dir / f"{target}.log").start()
        procs[target] = fn
        subs[target] = [
            wire(
                rt,
                fn,
                key,
                name=f"{rt.topic(key)}-{name}" + (f"-{i + 1}" if i else ""),
                max_delivery_attempts=policy.max_delivery_attempts,
                min_backoff=policy.min_retry_backoff_seconds,
                max_backoff=policy.max_retry_backoff_seconds,
            )
            for i in range(max(1, duplicates))
        ]
    return subs
