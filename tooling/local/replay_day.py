"""The replay server of one sample day as a process of its own, for `nba-orch local up --functions --replay-day`:

    python -m tooling.local.replay_day --date 2025-01-15 --port 18700

It builds the day (tooling.sample_day, deterministic), serves every upstream answer of it on 127.0.0.1:PORT
until SIGTERM, and prints nothing else than its log lines. `sample_day_env` is what the functions need to use
it (also used by `nba-orch simulate`, which runs the same server in-process).
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from typing import Any

SAMPLE_KEYS = ("BALLDONTLIE_API_KEY", "ODDS_API_KEY", "BETTINGPROS_API_KEY")


def sample_day_env(replay_url: str, day: Any) -> dict[str, str]:
    """Route every upstream call to the replay server; placeholder keys (the replay server checks that a key
    header is sent, not its value), and the day's own extra environment."""
    env = {"NBA_ORCH_UPSTREAM_OVERRIDE": replay_url, **dict.fromkeys(SAMPLE_KEYS, "sample-day-key")}
    env["BIGDATABALL_SERVICE_ACCOUNT_JSON"] = "{}"
    env.update(day.env)
    return env


def main(argv: list[str] | None = None) -> int:
    from shared.timeutil import parse_date
    from tooling.local.replay import Replay
    from tooling.sample_day import build, install

    parser = argparse.ArgumentParser(prog="python -m tooling.local.replay_day", description=__doc__.split("\n\n")[0])
    parser.add_argument("--date", required=True, help="the sample day to serve, YYYY-MM-DD")
    parser.add_argument("--port", type=int, required=True, help="port on 127.0.0.1")
    args = parser.parse_args(argv)
    day = build(parse_date(args.date))
    replay = Replay()
    install(replay, day)
    replay.start(args.port)
    print(f"replay server of the sample day {args.date} on {replay.url}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    replay.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
