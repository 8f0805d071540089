"""`nba-orch local up | down | status` and `nba-orch publish`."""

from __future__ import annotations

import argparse
import json
import os
import sys

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("local", help="start, stop or inspect the local Google Cloud stack (emulators)")
    p.add_argument("action", choices=["up", "down", "status"])
    p.add_argument("--project", help="project id (default: GOOGLE_CLOUD_PROJECT or nba-props-local)")
    p.set_defaults(func=_local)

    p = sub.add_parser(
        "publish", help="publish one message to a topic (a topic key such as controller_tick, or a topic name)"
    )
    p.add_argument("topic")
    p.add_argument("json", nargs="?", default="{}", help="message body (JSON; default {})")
    p.add_argument("--attr", action="append", default=[], metavar="K=V", help="message attribute")
    p.set_defaults(func=_publish)


def _local(args: argparse.Namespace) -> int:
    from tooling.local import stack

    try:
        if args.action == "up":
            state = stack.up(args.project)
            started = ", ".join(state["started"]) or "nothing (already running)"
            print(f"# local stack up; started: {started}. Export these:", file=sys.stderr)
            stack.print_env(state["env"])
        elif args.action == "down":
            stopped = stack.down()
            print(f"stopped: {', '.join(stopped) or 'nothing'}")
        else:
            st = stack.status()
            emit(st)
            return 0 if all(s["answers"] for s in st["services"].values()) else 1
    except stack.StackError as exc:
        print(f"nba-orch local {args.action}: {exc}", file=sys.stderr)
        return 1
    return 0


def stack_environment() -> None:
    """Point this process at the local stack when one is running and no endpoint was set explicitly."""
    from tooling.local import stack

    state = stack.read_state()
    if state and not os.environ.get("PUBSUB_EMULATOR_HOST"):
        for k, v in state["env"].items():
            os.environ.setdefault(k, v)


def _publish(args: argparse.Namespace) -> int:
    from shared.adapters.pubsub import publish
    from shared.runtime import Runtime

    stack_environment()
    try:
        body = json.loads(args.json)
    except ValueError as exc:
        print(f"nba-orch publish: the message is not JSON: {exc}", file=sys.stderr)
        return 2
    attrs = {}
    for item in args.attr:
        k, sep, v = item.partition("=")
        if not sep:
            print(f"nba-orch publish: bad attribute {item!r}: expected K=V", file=sys.stderr)
            return 2
        attrs[k] = v
    rt = Runtime.from_env()
    key = next((k for k, name in rt.topics.items() if args.topic in (k, name)), None)
    if key is None:
        print(
            f"nba-orch publish: unknown topic {args.topic!r}; known: "
            f"{', '.join(f'{k} ({n})' for k, n in rt.topics.items())}",
            file=sys.stderr,
        )
        return 2
    message_id = publish(rt, key, json.dumps(body).encode(), attrs)
    emit({"topic": rt.topic_path(key), "message_id": message_id})
    return 0
