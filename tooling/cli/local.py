"""`nba-orch local up [--functions [--replay-day D]] | down | status | logs NAME [--follow]` and `nba-orch publish`."""

from __future__ import annotations

import argparse
import json
import os
import sys

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "local",
        help="start, stop or inspect the local Google Cloud stack (emulators; with --functions the pipeline too)",
    )
    p.add_argument("action", choices=["up", "down", "status", "logs"], help="what to do (logs: NAME's log)")
    p.add_argument(
        "name", nargs="?", help="with logs: a function (scrapers, master_controller...), replay, pubsub, gcs, bigquery"
    )
    p.add_argument("--project", help="project id (default: GOOGLE_CLOUD_PROJECT or nba-props-local)")
    p.add_argument(
        "--functions",
        action="store_true",
        help="with up: also run the four functions (+ notifier if an alert channel is set) wired to their topics",
    )
    p.add_argument(
        "--replay-day",
        metavar="D",
        help="with up --functions: serve the sample day D (YYYY-MM-DD) to the scrapers instead of the live APIs",
    )
    p.add_argument("--follow", "-f", action="store_true", help="with logs: keep printing what is appended")
    p.set_defaults(func=_local)

    p = sub.add_parser(
        "publish", help="publish one message to a topic (a topic key such as controller_tick, or a topic name)"
    )
    p.add_argument("topic", help="a topic key (controller_tick, locker_tick, scraper_requests, ...) or a topic name")
    p.add_argument("json", nargs="?", default="{}", help="message body (JSON; default {})")
    p.add_argument("--attr", action="append", default=[], metavar="K=V", help="message attribute")
    p.set_defaults(func=_publish)


def _local(args: argparse.Namespace) -> int:
    from tooling.local import stack

    if args.replay_day and not args.functions:
        print("nba-orch local: --replay-day needs --functions (it is the upstream of the functions)", file=sys.stderr)
        return 2
    if (args.action == "logs") != bool(args.name):
        print("nba-orch local: a NAME goes with `logs` only (e.g. `nba-orch local logs scrapers`)", file=sys.stderr)
        return 2
    if args.replay_day:
        from shared.timeutil import parse_date

        try:
            parse_date(args.replay_day)
        except ValueError as exc:
            print(f"nba-orch local: --replay-day: {exc}", file=sys.stderr)
            return 2
    try:
        if args.action == "up":
            state = stack.up(args.project, functions=args.functions, replay_day=args.replay_day)
            started = ", ".join(state["started"]) or "nothing (already running)"
            print(f"# local stack up; emulators started: {started}.", file=sys.stderr)
            for name, fn in (state.get("functions") or {}).items():
                print(f"# {name}: pid {fn['pid']}, port {fn['port']}, topic {fn['topic']}", file=sys.stderr)
            if state.get("replay"):
                r = state["replay"]
                print(f"# replay server of {r['date']}: pid {r['pid']}, port {r['port']}", file=sys.stderr)
            print("# Export these:", file=sys.stderr)
            stack.print_env(state["env"])
        elif args.action == "down":
            stopped = stack.down()
            print(f"stopped: {', '.join(stopped) or 'nothing'}")
        elif args.action == "logs":
            from tooling.local import pipeline

            path = pipeline.log_path(args.name, stack.read_state())
            if args.follow:
                pipeline.follow(path)
            elif not path.exists():
                print(f"nba-orch local logs: no log yet at {path}", file=sys.stderr)
                return 1
            else:
                sys.stdout.write(path.read_text(errors="replace"))
        else:
            st = stack.status()
            emit(st)
            fns_ok = all(f["pid_alive"] for f in st["functions"].values())
            return 0 if fns_ok and all(s["answers"] for s in st["services"].values()) else 1
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
