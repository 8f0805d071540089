"""`nba-orch simulate`: a whole operational day through the real pipeline, offline.

The local emulator stack, the five functions under functions-framework (wired by push subscriptions with the
deployed dead-letter and retry policies) and a replay server for the upstream APIs; then a simulated clock
walks 05:00 ET on D to 05:00 ET on D+1 and publishes every scheduler tick (locker, controller, cleanup, on the
configured crons) with its `as_of`. The clock only advances when the pipeline is quiet: the tick's function has
finished and every scraper request published so far has been processed (or dead-lettered), so each tick sees
the effects of the previous ones exactly as it would in production, only faster.

The plan (which ticks, in which order) is a pure function; the driver is the I/O around it.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from shared import rules
from shared.config import Config
from shared.runtime import Runtime
from shared.timeutil import et_at, iso_utc, to_et

# The sample day's third fault: the 06:00 standings run crashes after writing its file, and its message is
# acknowledged anyway; cleanup must republish the missed notification.
SAMPLE_DAY_CRASH = "after_write:bdl_standings:lose:1"
TICK_FUNCTIONS = {"locker_tick": "schedule_locker", "controller_tick": "master_controller", "cleanup_tick": "cleanup"}
_ORDER = {"locker_tick": 0, "controller_tick": 1, "cleanup_tick": 2}


@dataclass(frozen=True, order=True)
class TickEvent:
    at: datetime
    order: int
    topic_key: str = field(compare=False)

    def body(self, d: date) -> dict[str, Any]:
        out: dict[str, Any] = {"v": 1, "as_of": iso_utc(self.at)}
        if self.topic_key == "locker_tick":
            out["date"] = d.isoformat()
        return out


def plan(cfg: Config, d: date, *, hours: set[int] | None = None) -> list[TickEvent]:
    """Every scheduler tick of operational day `d`, in firing order (pure).

    Locker at the lock time; controller at `rules.all_ticks` (DST-correct: the hour ticks, and every
    `controller.tick_minutes` for the tip-keyed line snapshots); cleanup every `interval_minutes` from the
    day's start. Ticks at the same instant run locker, controller, then cleanup. `hours` (ET hours) keeps a
    shortened day: only the ticks of those hours, controller and cleanup only on the hour.
    """
    start, end = rules.operational_day_bounds(cfg, d)
    events = [TickEvent(et_at(d, cfg.schedule_lock_time, cfg.timezone), 0, "locker_tick")]
    events += [TickEvent(t, 1, "controller_tick") for t in rules.all_ticks(cfg, d)]
    step = timedelta(minutes=cfg.cleanup.interval_minutes)
    t = start
    while t < end:
        events.append(TickEvent(t, 2, "cleanup_tick"))
        t += step
    events = [e for e in events if start <= e.at < end]
    if hours is not None:
        events = [e for e in events if to_et(e.at).hour in hours and (e.order < 1 or to_et(e.at).minute == 0)]
    return sorted(events)


class Quiescence:
    """Knows when the pipeline is idle: every published scraper request has a final log line from the
    scrapers function (done or rejected) or reached the dead-letter topic."""

    def __init__(self, rt: Runtime, scraper_log: Path) -> None:
        from tooling.local.functions import LogTail
        from tooling.provision import recreate_pull_subscription

        self.rt = rt
        self.pending: set[str] = set()
        self.seen_requests = 0
        # Requests announced by the log lines (controller RUNs, scraper follow-ups): the pipeline is not
        # quiet until the tap has seen at least that many, so no guessing with a settle delay.
        self.expected_requests = 0
        self.dead_lettered = 0
        self.lock = threading.Lock()
        self.tail = LogTail(scraper_log)
        self.finished: set[str] = set()
        # request id -> the message ids that carried it: a dead-lettered copy has a new message id (and no
        # attribute naming the original), but it keeps the original's attributes, request_id among them.
        self.by_request: dict[str, set[str]] = {}
        from shared.clients import subscriber

        client = subscriber(rt.project)
        self.futures = []
        self.taps: list[str] = []
        run_id = uuid.uuid4().hex[:8]  # a fresh tap per run: a reused name can keep feeding an old stream
        for key, callback in (("scraper_requests", self._on_request), ("dead_letter", self._on_dead_letter)):
            path = recreate_pull_subscription(rt, key, f"{rt.topic(key)}-sim-tap-{run_id}")
            self.taps.append(path)
            self.futures.append(client.subscribe(path, callback))

    def _on_request(self, message: Any) -> None:
        with self.lock:
            self.seen_requests += 1
            if message.message_id not in self.finished:
                self.pending.add(message.message_id)
            rid = message.attributes.get("request_id")
            if rid:
                self.by_request.setdefault(rid, set()).add(message.message_id)
        message.ack()

    def _on_dead_letter(self, message: Any) -> None:
        src = message.attributes.get("CloudPubSubDeadLetterSourceSubscription", "")
        with self.lock:
            self.dead_lettered += 1
            # The dead-lettered copy has a new id: its request_id attribute names the request it was.
            if "scraper-requests" in src or self.rt.topic("scraper_requests") in src:
                for orig in self.by_request.get(message.attributes.get("request_id", ""), ()):
                    self.pending.discard(orig)
                    self.finished.add(orig)
        message.ack()

    def poll_log(self) -> None:
        for line in self.tail.read():
            mid = line.get("message_id")
            msg = line.get("message", "")
            if mid and (msg.endswith(": done") or "acknowledged without retry" in msg):
                result = line.get("result") or {}
                published = 0 if result.get("duplicate") else len(result.get("follow_ups") or [])
                with self.lock:
                    self.pending.discard(mid)
                    self.finished.add(mid)
                    self.expected_requests += published

    def announce(self, tick_line: dict[str, Any] | None) -> None:
        """Count the requests a tick's function published (the controller's `requests_published`)."""
        result = (tick_line or {}).get("result") or {}
        with self.lock:
            self.expected_requests += int(result.get("requests_published") or 0)

    def wait(self, timeout: float, settle: float = 0.02) -> bool:
        """Block until every announced request was seen and processed (and `settle` passed); False on timeout."""
        deadline = time.monotonic() + timeout
        quiet_since: float | None = None
        while time.monotonic() < deadline:
            self.poll_log()
            with self.lock:
                busy = bool(self.pending) or self.seen_requests < self.expected_requests
            if busy:
                quiet_since = None
            else:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since >= settle:
                    return True
            time.sleep(0.02)
        return False

    def close(self) -> None:
        from google.api_core.exceptions import GoogleAPICallError

        from shared.clients import subscriber

        for f in self.futures:
            f.cancel()
        for path in self.taps:
            try:
                subscriber(self.rt.project).delete_subscription(subscription=path)
            except GoogleAPICallError:
                pass


def wait_for_tick(tail: Any, message_id: str, timeout: float, failing_grace: float = 30.0) -> dict[str, Any] | None:
    """The function's final log line for message `message_id` (done or rejected), or None.

    A tick whose function keeps failing ("will be retried") is given `failing_grace` seconds for a
    redelivery to succeed, then abandoned (the run reports it as stalled) instead of blocking the day.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in tail.read():
            if line.get("message_id") != message_id:
                continue
            msg = line.get("message", "")
            if msg.endswith(": done") or "acknowledged without retry" in msg:
                return line
            if "will be retried" in msg:
                deadline = min(deadline, time.monotonic() + failing_grace)
        time.sleep(0.02)
    return None


@dataclass
class SimulationResult:
    date: date
    ticks: int = 0
    stalled: list[str] = field(default_factory=list)
    wall_seconds: float = 0.0
    waiting_seconds: float = 0.0
    summary: dict[str, Any] = field(default_factory=dict)
    faults: list[str] = field(default_factory=list)
    notifications: list[dict[str, Any]] = field(default_factory=list)  # what the local webhook received
    alert_latencies: list[float] = field(default_factory=list)  # seconds from a tick's publish to its webhook post

    @property
    def ok(self) -> bool:
        return not self.stalled and bool(self.summary.get("ok"))


def reset_day(rt: Runtime, cfg: Config, d: date) -> None:
    """Forget an earlier simulation of the same day (local emulators only): its rows and raw files."""
    from shared.adapters.bigquery import query
    from shared.clients import storage_client

    if not os.environ.get("STORAGE_EMULATOR_HOST") or not os.environ.get("BIGQUERY_EMULATOR_HOST"):
        raise RuntimeError("refusing to reset data outside the local emulators")
    start, end = rules.operational_day_bounds(cfg, d)
    # Rows of the day and of the following morning's overlap (post-game windows run until 05:00 D+1).
    window = {"start": start - timedelta(days=1), "end": end + timedelta(days=1)}
    query(
        rt,
        "DELETE FROM {dataset}.daily_expected_schedule WHERE date BETWEEN @a AND @b",
        {"a": d - timedelta(days=1), "b": d + timedelta(days=1)},
    )
    for table, col in (
        ("workflow_decisions", "decision_time"),
        ("scraper_execution_log", "triggered_at"),
        ("cleanup_operations", "cleanup_time"),
        ("alerts", "event_time"),
    ):
        query(rt, f"DELETE FROM {{dataset}}.{table} WHERE {col} >= @start AND {col} < @end", window)
    client = storage_client(rt.project)
    for blob in client.list_blobs(rt.bucket):
        blob.delete()


def run(
    d: date,
    *,
    out_dir: Path,
    live: bool = False,
    hours: set[int] | None = None,
    speed: float = 0.0,
    progress: Callable[[str], None] | None = None,
    tick_timeout: float = 120.0,
    http_scale: str = "0.01",
    rt: Runtime | None = None,
    faults: str | None = None,
    duplicates: int = 1,
    upstream_faults: float = 0.0,
    seed: int = 0,
    reset: bool = True,
    alert_webhook_url: str | None = None,
    source_skew: dict[str, float] | None = None,
    replay_setup: Callable[[Any], None] | None = None,
) -> SimulationResult:
    """Simulate operational day `d` end to end; returns the figures and the day's checks.

    `rt` (default: the names from the environment) must be provisioned on the running local stack; tests pass
    an isolated one. `faults` (NBA_ORCH_FAULTS syntax) defaults to the sample day's crash between the file
    write and the notification, which only cleanup can repair.

    The notifier runs with the others, on the alerts topic. Its settings come from this process's environment
    (NBA_ORCH_ALERT_WEBHOOK_URL, NBA_ORCH_SMTP_URL, NBA_ORCH_ALERT_EMAIL_TO/FROM) or `alert_webhook_url`;
    with none, a local webhook receiver is started and what it received is in the result. `replay_setup` is
    applied to the replay server once the sample day is installed (a test's own upstream faults).
    """
    from shared import clients
    from shared.adapters.pubsub import publish
    from shared.config import get_config
    from tooling.local import stack
    from tooling.local.functions import ALERT_SETTINGS, NOTIFIER, PIPELINE, FunctionProcess, LogTail, start_wired
    from tooling.local.replay import Replay
    from tooling.status import collect, evaluate

    say = progress or (lambda s: print(s, file=sys.stderr, flush=True))
    cfg = get_config()
    t0 = time.monotonic()
    state = stack.up()
    os.environ.update(state["env"])
    clients.reset()
    rt = rt or Runtime.from_env()
    if reset:  # a multi-day run (the soak) keeps the previous days' state
        reset_day(rt, cfg, d)
    out_dir.mkdir(parents=True, exist_ok=True)
    result = SimulationResult(date=d)

    replay: Replay | None = None
    fn_env = {
        **state["env"],
        **rt.env(),
        "NBA_ORCH_ENVIRONMENT": rt.environment,
        "NBA_ORCH_HTTP_BACKOFF_SCALE": http_scale,
    }
    if live:
        say("live mode: scrapers call the real upstream APIs; a source without its key is skipped")
    else:
        from tooling.local.replay_day import sample_day_env
        from tooling.sample_day import build, install

        day = build(d, skew=source_skew)
        replay = Replay().start()
        install(replay, day)
        if replay_setup is not None:
            replay_setup(replay)
        if upstream_faults:
            replay.chaos(upstream_faults, seed=seed, timeout_delay=float(fn_env.get("NBA_ORCH_HTTP_TIMEOUT", 2)) + 1)
            fn_env.setdefault("NBA_ORCH_HTTP_TIMEOUT", "2")
        fn_env.update(sample_day_env(replay.url, day))
        fn_env["NBA_ORCH_FAULTS"] = SAMPLE_DAY_CRASH if faults is None else faults
        result.faults = [str(f) for f in day.faults]
        for src, factor in sorted((source_skew or {}).items()):
            result.faults.append(f"source skew: {src} box scores report minutes and points x{factor:g}")
        if fn_env["NBA_ORCH_FAULTS"]:
            result.faults.append(f"scraper run fault injected: {fn_env['NBA_ORCH_FAULTS']} (see tooling/faults.py)")
    from tooling.local.receiver import WebhookReceiver

    receiver: WebhookReceiver | None = None
    for k in ALERT_SETTINGS:
        if os.environ.get(k):
            fn_env[k] = os.environ[k]
    if alert_webhook_url:
        fn_env["NBA_ORCH_ALERT_WEBHOOK_URL"] = alert_webhook_url
    elif "NBA_ORCH_ALERT_WEBHOOK_URL" not in fn_env:
        receiver = WebhookReceiver().start()
        fn_env["NBA_ORCH_ALERT_WEBHOOK_URL"] = receiver.url
    published: list[float] = []  # monotonic publish time of each tick
    procs: dict[str, FunctionProcess] = {}
    quiet: Quiescence | None = None
    try:
        start_wired(rt, (*PIPELINE, NOTIFIER), env=fn_env, log_dir=out_dir, procs=procs, duplicates=duplicates)
        quiet = Quiescence(rt, procs["scrapers"].log_path)
        tails = {k: LogTail(procs[v].log_path) for k, v in TICK_FUNCTIONS.items()}
        t_start = time.monotonic()
        events = plan(cfg, d, hours=hours)
        hour = None
        for ev in events:
            if speed > 0:  # pace the simulated clock at `speed` times real time
                due = t_start + (ev.at - events[0].at).total_seconds() / speed
                time.sleep(max(0.0, due - time.monotonic()))
            local = to_et(ev.at)
            if local.hour != hour:
                hour = local.hour
                say(
                    f"[{local:%Y-%m-%d %H:%M} ET] ticks {result.ticks}/{len(events)}, scraper requests "
                    f"{quiet.seen_requests}, elapsed {time.monotonic() - t0:.1f} s"
                )
            published.append(time.monotonic())
            message_id = publish(rt, ev.topic_key, json.dumps(ev.body(d)).encode(), {"source": "simulation"})
            w0 = time.monotonic()
            line = wait_for_tick(tails[ev.topic_key], message_id, tick_timeout)
            quiet.announce(line)
            if line is None:
                result.stalled.append(f"{ev.topic_key} at {iso_utc(ev.at)}: no answer in {tick_timeout:.0f} s")
            if not quiet.wait(tick_timeout):
                result.stalled.append(f"scraper requests still pending after {ev.topic_key} at {iso_utc(ev.at)}")
            result.waiting_seconds += time.monotonic() - w0
            result.ticks += 1
        if "notifier" in procs:  # let the last ticks' alert events reach the webhook
            _settle(procs["notifier"].log_path)
    finally:
        if replay is not None and replay.chaos_log:
            kinds: dict[str, int] = {}
            for kind, _ in replay.chaos_log:
                kinds[kind] = kinds.get(kind, 0) + 1
            result.faults.append(f"random upstream faults injected ({upstream_faults:.0%} of requests): {kinds}")
        if quiet:
            quiet.close()
        for fn in procs.values():
            fn.stop()
        if replay:
            replay.stop()
        if receiver is not None:
            receiver.stop()
            result.notifications = receiver.bodies
            result.alert_latencies = _latencies(published, [t for t, _ in receiver.received])
    data = collect(rt, cfg, d)
    result.summary = evaluate(cfg, data)
    result.summary["notifications"] = [n.get("text", "").split("\n")[0] for n in result.notifications]
    from tooling.report_html import render

    (out_dir / "report.html").write_text(render(data, result.summary))
    result.wall_seconds = time.monotonic() - t0
    return result


def _settle(log_path: Path, quiet_seconds: float = 1.5, timeout: float = 20.0) -> None:
    """Wait until a function's log has been quiet for `quiet_seconds` (the notifier after the last tick)."""
    deadline = time.monotonic() + timeout
    size, since = -1, time.monotonic()
    while time.monotonic() < deadline:
        now_size = log_path.stat().st_size if log_path.exists() else 0
        if now_size != size:
            size, since = now_size, time.monotonic()
        elif time.monotonic() - since >= quiet_seconds:
            return
        time.sleep(0.1)


def _latencies(published: list[float], received: list[float]) -> list[float]:
    """Each notification's delay from the publish of the latest tick before it (pure): the alert latency."""
    import bisect

    out = []
    for t in received:
        i = bisect.bisect_right(published, t) - 1
        if i >= 0:
            out.append(t - published[i])
    return out
