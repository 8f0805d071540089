"""`nba-orch local up --functions [--replay-day D]`: the functions of the pipeline on the local stack, listening.

The four functions (and the notifier when an alert channel is configured: NBA_ORCH_ALERT_WEBHOOK_URL,
NBA_ORCH_SMTP_URL...) run under functions-framework, each wired to its topic by a push subscription with the
deployed dead-letter and retry policy: the same wiring `nba-orch simulate` uses (tooling.local.functions
`start_wired`). With a replay day, a replay server process serves that sample day's upstream answers
(tooling.local.replay_day) and the functions are pointed at it; without one they call the live upstreams with
the keys in this process's environment.

Every process is started in its own process group and recorded in the stack's state file (pid, port, topic,
subscription, log), so `local status` shows them, `local logs NAME` reads their logs and `local down` stops
exactly them, by PID. The push subscriptions are named `<topic>-local-push`, apart from simulate's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from shared.runtime import Runtime
from tooling.local import stack
from tooling.local.functions import ALERT_SETTINGS, NOTIFIER, PIPELINE, FunctionProcess, free_port, start_wired

SUBSCRIPTION_NAME = "local-push"
LIVE_KEYS = ("BALLDONTLIE_API_KEY", "ODDS_API_KEY", "BETTINGPROS_API_KEY", "BIGDATABALL_SERVICE_ACCOUNT_JSON")


def roles(env: dict[str, str] | os._Environ[str]) -> tuple[tuple[str, str], ...]:
    """The functions to run (pure): the four, plus the notifier when one of its channels is configured."""
    return (*PIPELINE, NOTIFIER) if any(env.get(k) for k in ALERT_SETTINGS) else PIPELINE


def running(state: dict[str, Any]) -> bool:
    """Whether the recorded functions (and replay server) are all still alive."""
    procs = [*state.get("functions", {}).values(), *([state["replay"]] if state.get("replay") else [])]
    return bool(procs) and all(stack.pid_alive(p["pid"]) for p in procs)


def start(state: dict[str, Any], rt: Runtime, replay_day: str | None, say: Any = None) -> dict[str, Any]:
    """Start the replay server (if asked) and the functions; returns the state entries to record.

    Idempotent: when the same set is already running it is kept; a different replay day needs `local down`.
    """
    say = say or (lambda s: print(s, file=sys.stderr, flush=True))
    if running(state):
        have = (state.get("replay") or {}).get("date")
        if have != replay_day:
            raise stack.StackError(
                f"the functions are already running with {'replay day ' + have if have else 'live upstreams'}; "
                "`nba-orch local down` first to start them another way"
            )
        return {"functions": state["functions"], "replay": state.get("replay")}
    if state.get("functions") or state.get("replay"):
        stop(state)  # a partial set (one died): start it anew
    logs = stack.state_dir() / "logs"
    fn_env = {**state["env"], **rt.env()}
    out: dict[str, Any] = {"functions": {}, "replay": None}
    procs: dict[str, FunctionProcess] = {}
    try:
        if replay_day:
            out["replay"] = _start_replay(replay_day, logs)
            fn_env.update(_replay_env(replay_day, out["replay"]["port"]))
        else:
            missing = [k for k in LIVE_KEYS if not os.environ.get(k)]
            if missing:
                say(f"# live upstreams; not set (those sources fail as missing_secret): {', '.join(missing)}")
        chosen = roles(os.environ)
        subs = start_wired(rt, chosen, env=fn_env, log_dir=logs, procs=procs, name=SUBSCRIPTION_NAME)
        for target, key in chosen:
            fn = procs[target]
            assert fn.proc is not None
            out["functions"][target] = {
                "pid": fn.proc.pid,
                "port": fn.port,
                "topic": rt.topic(key),
                "subscriptions": subs[target],
                "log": str(fn.log_path),
            }
    except Exception:
        for fn in procs.values():
            fn.stop()
        if out["replay"]:
            stack.stop_pid(out["replay"]["pid"])
        raise
    return out


def _replay_env(day: str, port: int) -> dict[str, str]:
    from shared.timeutil import parse_date
    from tooling.local.replay_day import sample_day_env
    from tooling.sample_day import build

    return sample_day_env(f"http://{stack.HOST}:{port}", build(parse_date(day)))


def _start_replay(day: str, logs: Path, timeout: float = 60.0) -> dict[str, Any]:
    port = free_port()
    logs.mkdir(parents=True, exist_ok=True)
    log = logs / "replay.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tooling.local.replay_day", "--date", day, "--port", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=str(stack.REPO_ROOT),
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise stack.StackError(
                f"the replay server of {day} exited with {proc.returncode} (log {log}):\n"
                + log.read_text(errors="replace")[-1500:]
            )
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex((stack.HOST, port)) == 0:
                return {"pid": proc.pid, "port": port, "date": day, "log": str(log)}
        time.sleep(0.1)
    stack.stop_pid(proc.pid)
    raise stack.StackError(f"the replay server of {day} did not listen within {timeout:.0f} s (log {log})")


def stop(state: dict[str, Any]) -> list[str]:
    """Delete the push subscriptions `start` made (a dead endpoint keeps the emulator retrying), then stop the
    recorded processes by PID; returns the names of those that were running."""
    stopped = []
    functions = state.get("functions") or {}
    _delete_subscriptions(state, [s for f in functions.values() for s in f.get("subscriptions", [])])
    for target, entry in functions.items():
        if stack.pid_alive(entry["pid"]):
            stack.stop_pid(entry["pid"])
            stopped.append(target)
    replay = state.get("replay")
    if replay and stack.pid_alive(replay["pid"]):
        stack.stop_pid(replay["pid"])
        stopped.append("replay")
    state.pop("functions", None)
    state.pop("replay", None)
    return stopped


def _delete_subscriptions(state: dict[str, Any], paths: list[str]) -> None:
    if not paths:
        return
    ports = stack.Ports(**state["ports"])
    if not stack.answers("pubsub", ports, state["project"]):
        return
    from google.api_core.exceptions import GoogleAPICallError

    from shared.clients import subscriber

    def delete() -> None:
        client = subscriber(state["project"])
        for path in paths:
            try:
                client.delete_subscription(subscription=path)
            except GoogleAPICallError:
                pass

    stack.with_env(state["env"], delete)


def describe(state: dict[str, Any] | None) -> dict[str, Any]:
    """`local status`'s view of the functions and the replay server (pid, alive, port, topic, log)."""
    out: dict[str, Any] = {}
    for target, entry in ((state or {}).get("functions") or {}).items():
        out[target] = {
            "pid": entry["pid"],
            "pid_alive": stack.pid_alive(entry["pid"]),
            "port": entry["port"],
            "topic": entry["topic"],
            "subscription": entry["subscriptions"][0].rsplit("/", 1)[-1] if entry.get("subscriptions") else None,
            "log": entry["log"],
        }
    replay = (state or {}).get("replay")
    if replay:
        out["replay"] = {**replay, "pid_alive": stack.pid_alive(replay["pid"])}
    return out


def log_path(name: str, state: dict[str, Any] | None) -> Path:
    """The log of a function, of the replay server, or of an emulator (pubsub, gcs, bigquery)."""
    state = state or {}
    entry = (state.get("functions") or {}).get(name) or (state.get("replay") if name == "replay" else None)
    if entry:
        return Path(entry["log"])
    known = [t for t, _ in (*PIPELINE, NOTIFIER)] + ["replay", *stack.SERVICES]
    if name not in known:
        raise stack.StackError(f"no log named {name!r}; known: {', '.join(known)}")
    return stack.state_dir() / "logs" / f"{name}.log"


def follow(path: Path, stream: Any = sys.stdout, *, poll: float = 0.3, stop_after: float | None = None) -> None:
    """Print the log, then what is appended to it, until interrupted (or `stop_after` seconds, for tests)."""
    deadline = None if stop_after is None else time.monotonic() + stop_after
    offset = 0
    while deadline is None or time.monotonic() < deadline:
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                chunk = fh.read()
        except FileNotFoundError:
            chunk = b""
        if chunk:
            offset += len(chunk)
            stream.write(chunk.decode(errors="replace"))
            stream.flush()
        time.sleep(poll)
