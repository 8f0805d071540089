"""`nba-orch scrape NAME --param k=v ... [--out DIR]`: run one scraper in-process, print the result as JSON.

With `--out DIR` the files are written under DIR (same relative names as in GCS) and no cloud service is
touched; without it the run goes through the whole pipeline (claim, GCS, log row, notification, follow-ups)
of the environment's Runtime (the local emulators after `eval "$(nba-orch local up)"`). The logical time is
`--as-of` (default: now); the request id is derived from scraper, parameters and that time, so the same
command with the same `--as-of` is a duplicate, not a second file.
"""

from __future__ import annotations

import argparse
from typing import Any


def _param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected K=V, got {text!r}")
    return key.strip(), value


def register(sub: Any) -> None:
    p = sub.add_parser("scrape", help="run one scraper in-process and print the result as JSON")
    p.add_argument("name", help="scraper name from the catalogue (shared/config/scrapers.yaml)")
    p.add_argument("--param", "-p", type=_param, action="append", default=[], metavar="K=V", help="a parameter")
    p.add_argument("--out", metavar="DIR", help="write the output under DIR and touch no cloud service")
    p.add_argument("--as-of", dest="as_of", help="logical time, ISO instant (default: now)")
    p.add_argument("--workflow", default="MANUAL")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from shared.contracts import ScraperRequest
    from shared.scrapers import service
    from shared.timeutil import iso_utc, parse_instant
    from tooling.cli import emit

    # A person at a terminal: "now" is the wall clock unless --as-of says otherwise.
    as_of = parse_instant(args.as_of) if args.as_of else datetime.now(UTC).replace(microsecond=0)
    params = dict(args.param)
    request = ScraperRequest.create(
        args.name,
        params,
        scope=f"cli:{iso_utc(as_of)}",
        workflow=args.workflow,
        source="LOCAL" if args.out else "MANUAL",
        triggered_by="cli",
        as_of=as_of,
    )
    if args.out:
        outcome = service.run_local(request, args.out)
    else:
        from shared.runtime import Runtime

        outcome = service.execute(Runtime.from_env(), request, final_attempt=True)
    emit(outcome.to_json(full_follow_ups=False))
    return 1 if outcome.status == "failed" else 0
