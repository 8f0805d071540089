"""`nba-orch scrape NAME --param k=v ... [--out DIR]`: run one scraper in-process, print the result as JSON.
`nba-orch scrape --reparse OBJECT [--write] [--out DIR]`: re-run a scraper's parser on a quarantined answer.

With `--out DIR` the files are written under DIR (same relative names as in GCS) and no cloud service is
touched; without it the run goes through the whole pipeline (claim, GCS, log row, notification, follow-ups)
of the environment's Runtime (the local emulators after `eval "$(nba-orch local up)"`). The logical time is
`--as-of` (default: now); the request id is derived from scraper, parameters and that time, so the same
command with the same `--as-of` is a duplicate, not a second file.

`--reparse OBJECT`: OBJECT is a quarantined answer (`gs://bucket/_nba-orch/quarantine/...`, its object name
in the environment's bucket, or a local file kept by `--out`, with its `.meta.json`). The scraper, its
parameters and logical time come from the object's metadata; the current parser runs on the kept bytes and
the outcome is printed. With `--write`, a parse that now succeeds is written the normal way (shared.scrapers.
safekeeping.reparse), under `--out DIR` if given.
"""

from __future__ import annotations

import argparse
from typing import Any

from tooling.cli.common import UsageError


def _param(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected K=V, got {text!r}")
    return key.strip(), value


def register(sub: Any) -> None:
    p = sub.add_parser("scrape", help="run one scraper in-process and print the result as JSON")
    p.add_argument("name", nargs="?", help="scraper name from the catalogue (shared/config/scrapers.yaml)")
    p.add_argument("--param", "-p", type=_param, action="append", default=[], metavar="K=V", help="a parameter")
    p.add_argument("--out", metavar="DIR", help="write the output under DIR and touch no cloud service")
    p.add_argument("--as-of", dest="as_of", help="logical time, ISO instant (default: now)")
    p.add_argument("--workflow", default="MANUAL", help="workflow recorded on the run (default: MANUAL)")
    p.add_argument("--reparse", metavar="OBJECT", help="re-run the parser on a quarantined answer (gs://, name, file)")
    p.add_argument("--write", action="store_true", help="with --reparse: write a successful parse the normal way")
    p.set_defaults(func=_run, cloud=_needs_cloud)


def _needs_cloud(args: argparse.Namespace) -> bool:
    """`--out DIR`, or a re-parse of a local file that writes nothing, touch no cloud service."""
    from pathlib import Path

    if args.out:
        return False
    local_file = bool(args.reparse) and not args.reparse.startswith("gs://") and Path(args.reparse).is_file()
    return not (local_file and not args.write)


def _reparse(args: argparse.Namespace) -> int:
    from pathlib import Path

    from shared.scrapers import safekeeping
    from tooling.cli import emit

    if args.param or args.as_of:
        raise UsageError("the parameters and logical time come from the object, not --param/--as-of")
    rt = None
    if args.reparse.startswith("gs://") or not Path(args.reparse).is_file() or (args.write and not args.out):
        from shared.runtime import Runtime

        rt = Runtime.from_env()
    try:
        report = safekeeping.reparse(args.reparse, rt=rt, write=args.write, out_dir=args.out)
    except (FileNotFoundError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    if args.name and args.name != report["scraper_name"]:
        raise UsageError(f"the object holds an answer of {report['scraper_name']}, not {args.name}")
    emit(report)
    written = report.get("written")
    return 1 if report["status"] == "failed" or (written and written["status"] == "failed") else 0


def _run(args: argparse.Namespace) -> int:
    from datetime import UTC, datetime

    from shared.contracts import ScraperRequest
    from shared.scrapers import service
    from shared.timeutil import iso_utc, parse_instant
    from tooling.cli import emit

    if args.reparse:
        return _reparse(args)
    if args.write:
        raise UsageError("--write only goes with --reparse")
    if not args.name:
        raise UsageError("a scraper NAME (or --reparse OBJECT) is required")
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
