"""The Cloud Run Job `nba-orch-backfill` (jobs/backfill/main.py): the same backfill as `nba-orch backfill`,
run in Google Cloud, with JSON log lines (shared/log.py) instead of the command line's output.

Arguments are `nba-orch backfill`'s (shared/backfill/command.py), from two places, later wins:
- `NBA_ORCH_BACKFILL_ARGS` (shell words: `--from 2025-01-13 --to 2025-01-19 --workflows a,b`), set on the job
  or per execution with `gcloud run jobs execute --update-env-vars`;
- the container's arguments (`gcloud run jobs execute --args=--from=2025-01-13,...`).
The Procfile runs `bash -c 'exec python3 main.py "$0" "$@"'` with those arguments appended (what the Google
Cloud buildpacks' launcher does with a Procfile process), so a lone leading `bash` (bash's `$0` when there
are none) is dropped here. `NBA_ORCH_BACKFILL_FOLLOW_SECONDS` (set by deploy from the task timeout) is the
default of `--timeout`, so the job stops following, and exits 1, before Cloud Run kills the task.

Exit codes: 0 when everything planned is done (or published, with --no-wait; or the plan printed, with
--dry-run); 1 when requests are still unfinished, or on a failure (credentials, the cloud) -- Cloud Run then
retries the task (`--max-retries`), which resumes: the backfill id comes from the arguments, the manifest and
the published markers say what was done, and each request id is deterministic, so the scrapers' claims make a
republished request a no-op; 2 for bad arguments (a retry cannot fix those: fix the execution's arguments).
One task drives a backfill: a task with CLOUD_RUN_TASK_INDEX above 0 (the job deployed with more tasks) logs
that and exits 0, so a mistaken `--tasks` does not publish the same requests twice over.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from shared import log

ARGS_ENV = "NBA_ORCH_BACKFILL_ARGS"
FOLLOW_ENV = "NBA_ORCH_BACKFILL_FOLLOW_SECONDS"
FUNCTION = "backfill_job"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one JSON log line (exit 2), not text on stderr."""

    def error(self, message: str) -> NoReturn:
        log.error(f"backfill job: bad arguments: {message}", event="usage", exit_code=2)
        raise SystemExit(2)


def arguments(argv: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """The backfill's arguments: NBA_ORCH_BACKFILL_ARGS's words, then the container's (a leading `bash` out)."""
    args = list(argv)
    if args and os.path.basename(args[0]) == "bash":
        args = args[1:]
    try:
        words = shlex.split(environ.get(ARGS_ENV, ""))
    except ValueError as exc:
        log.error(f"backfill job: {ARGS_ENV} is not shell words: {exc}", event="usage", exit_code=2)
        raise SystemExit(2) from None
    return words + args


def parse(argv: Sequence[str], environ: Mapping[str, str]) -> argparse.Namespace:
    from shared.backfill.command import add_backfill_arguments

    parser = _Parser(prog="nba-orch-backfill", description="nba-orch backfill as a Cloud Run Job")
    try:
        follow = float(environ.get(FOLLOW_ENV) or 3600.0)
    except ValueError:
        parser.error(f"{FOLLOW_ENV} must be a number of seconds, got {environ.get(FOLLOW_ENV)!r}")
    add_backfill_arguments(parser, timeout=follow)
    # `nba-orch backfill --format json` keeps working when pasted: the job only writes JSON lines anyway.
    parser.add_argument("--format", choices=("json",), default="json", help="output: JSON log lines (the only one)")
    return parser.parse_args(arguments(argv, environ))


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Run the job's one task; returns the exit code (see the module docstring)."""
    env = os.environ if environ is None else environ
    log.install()
    with log.bound(
        function=FUNCTION, execution=env.get("CLOUD_RUN_EXECUTION"), attempt=env.get("CLOUD_RUN_TASK_ATTEMPT")
    ):
        try:
            args = parse(sys.argv[1:] if argv is None else argv, env)
        except SystemExit as exc:
            return int(exc.code or 0)
        index = int(env.get("CLOUD_RUN_TASK_INDEX") or 0)
        if index > 0:
            log.warning("backfill job: only task 0 drives a backfill; this task does nothing", task_index=index)
            return 0
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from shared.backfill.command import UsageProblem, execute, prepare
    from shared.runtime import Runtime

    rt = Runtime.from_env()
    try:
        prepared = prepare(args, rt)
        with log.bound(decision_id=f"backfill:{prepared.backfill_id}"):
            log.info("backfill plan", event="plan", **prepared.doc)
            if args.dry_run:
                return 0
            final, left = execute(rt, prepared, args, _progress)
            log.info("backfill result", **final)
            if left > 0:
                log.error(
                    f"backfill: {left} request(s) not finished within --timeout {args.timeout:g} s; the task fails "
                    "so Cloud Run retries it, which resumes and follows them again",
                    event="unfinished",
                    unfinished=left,
                    exit_code=1,
                )
                return 1
            return 0
    except UsageProblem as exc:
        log.error(f"backfill job: {exc}", event="usage", exit_code=2)
        return 2
    except Exception as exc:  # any failure of the cloud: logged (scrubbed), exit 1, so Cloud Run retries
        log.error(f"backfill job failed: {exc}", event="failed", error_type=type(exc).__name__, exit_code=1)
        return 1


def _progress(doc: dict[str, Any]) -> None:
    log.info("backfill progress", **doc)
