"""`deploy/deploy.sh`: provision and deploy nba-orch to a Google Cloud project, idempotently.

    deploy/deploy.sh --project P [--region R] [--bucket B] [--dataset D] [--environment E]
                     [--only functions,scheduler,...] [--plan | --dry-run]

Runs the plan of deploy/plan.py in order (APIs and identities, Pub/Sub, BigQuery, Cloud Storage, Secret
Manager, functions, Cloud Scheduler, Cloud Monitoring, the backfill Cloud Run Job): each resource is described
first, created when missing, updated only where it differs, so a second run only describes. `--plan` runs the
describes only and prints what would change (exit 2 when something would, 0 when nothing, 1 on an error:
terraform plan's -detailed-exitcode); `--dry-run` prints every command it could run and reads nothing. `--only`
limits the changes to some kinds of resource (the others are only described when a later step needs what they
record).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import sys
from pathlib import Path

from deploy.plan import CATEGORIES, Ctx, DeployError, build_steps
from deploy.runner import Runner, execute, plan, render_dry_run
from deploy.settings import REPO_ROOT, DeploySettings, load_settings
from shared.config import ConfigError, load_config
from shared.runtime import Runtime

_PROJECT = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_ENVIRONMENT = re.compile(r"^[a-z][a-z0-9-]{0,19}$")
PROD = "prod"


def add_common_args(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--project", default=os.environ.get("GOOGLE_CLOUD_PROJECT"), help="project id (or GOOGLE_CLOUD_PROJECT)"
    )
    p.add_argument("--region", help="region of functions, triggers, jobs and bucket (default: settings.yaml)")
    p.add_argument("--bucket", help="raw-data bucket name (default: settings.yaml, else nba-scraped-data)")
    p.add_argument("--dataset", help="BigQuery dataset (default: settings.yaml, else nba_orchestration)")
    p.add_argument("--settings", type=Path, help="deploy settings file (default: deploy/settings.yaml)")
    p.add_argument("--build-dir", type=Path, default=REPO_ROOT / "build", help="staging and generated files")
    p.add_argument(
        "--source-root",
        type=Path,
        default=REPO_ROOT,
        help="checkout whose functions/, shared/ and requirements ship (default: this one; e.g. a release export)",
    )
    p.add_argument(
        "--environment",
        default=PROD,
        help="environment name: the `environment` label, the functions' NBA_ORCH_ENVIRONMENT (the rows' environment "
        "column) and, outside prod, the default bucket's suffix (bucket names are global); default prod",
    )
    p.add_argument("--dry-run", action="store_true", help="print the commands, run none")


def make_context(args: argparse.Namespace) -> Ctx:
    """Validate the arguments, settings and configuration into a Ctx; raises ConfigError/DeployError."""
    settings: DeploySettings = load_settings(args.settings)
    if not args.project:
        raise DeployError("no project: pass --project or set GOOGLE_CLOUD_PROJECT")
    if not _PROJECT.match(args.project):
        raise DeployError(f"bad project id {args.project!r}: 6-30 lower-case letters, digits and hyphens")
    region = args.region or settings.region
    if not _REGION.match(region):
        raise DeployError(f"bad region {region!r}: expected e.g. us-west2")
    # The configuration that ships (and that the plan follows): NBA_ORCH_CONFIG_DIR, else the source's own.
    env = args.environment
    if not _ENVIRONMENT.match(env):
        raise DeployError(f"bad environment {env!r}: 1-20 lower-case letters, digits and hyphens, a letter first")
    config_dir = Path(os.environ.get("NBA_ORCH_CONFIG_DIR") or args.source_root / "shared" / "config")
    cfg = load_config(config_dir)
    settings = dataclasses.replace(settings, labels={**settings.labels, "environment": env})
    rt = Runtime(
        project=args.project,
        dataset=args.dataset or settings.dataset or Runtime.dataset,
        bucket=args.bucket or settings.bucket or default_bucket(env),
        environment=env,
    )
    return Ctx(
        settings=settings,
        cfg=cfg,
        config_dir=config_dir,
        project=args.project,
        region=region,
        rt=rt,
        build_dir=args.build_dir.resolve(),
        source_root=args.source_root.resolve(),
        dry_run=args.dry_run,
        environment=env,
    )


def default_bucket(environment: str) -> str:
    """The bucket when neither --bucket nor settings name one: the runtime default, suffixed outside prod
    (bucket names are global, so two environments cannot share the name even in two projects)."""
    base = Runtime.bucket
    return base if environment == PROD else f"{base}-{environment}"


def parse_only(value: str | None) -> set[str] | None:
    if not value:
        return None
    kinds = {v.strip() for v in value.split(",") if v.strip()}
    unknown = sorted(kinds - set(CATEGORIES))
    if unknown:
        raise DeployError(f"--only: unknown {', '.join(unknown)}; choose from {', '.join(CATEGORIES)}")
    return kinds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="deploy/deploy.sh", description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument(
        "--plan",
        action="store_true",
        help="describe the live state and print only what would change; exit 2 if anything would, 0 if not",
    )
    parser.add_argument("--only", metavar="KINDS", help=f"comma-separated, of: {', '.join(CATEGORIES)}")
    args = parser.parse_args(argv)
    if args.plan and args.dry_run:
        parser.error("--plan reads the live state, --dry-run reads nothing: choose one")
    try:
        only = parse_only(args.only)
        ctx = make_context(args)
        steps = build_steps(ctx)
        if args.plan:
            runner = Runner(log=_Discard())
            scope = f", only {','.join(sorted(only))}" if only else ""
            print(f"# nba-orch plan: project {ctx.project}, region {ctx.region}, environment {ctx.environment}{scope}")
            outcome = plan(steps, ctx, runner, sys.stdout, only)
            for w in ctx.warnings:
                print(f"deploy: warning: {w}", file=sys.stderr)
            return 2 if outcome.changes else 0
        if args.dry_run:
            print(f"# nba-orch deploy, dry run: project {ctx.project}, region {ctx.region}. Nothing is run.")
            print("# Each step: its describe command, then what runs when the resource is missing or differs.")
            print("# PROJECT_NUMBER, TRIGGER_OF_<function> and SUBSCRIPTION_OF_<function> are learnt from")
            print("# describes at run time; secrets are assumed to hold a value.")
            n = render_dry_run(steps, ctx, sys.stdout, only)
            print(f"\n# {n} commands", file=sys.stdout)
            return 0
        runner = Runner()
        print(f"nba-orch deploy: project {ctx.project}, region {ctx.region}", file=sys.stderr)
        out = execute(steps, ctx, runner, only)
    except ConfigError as exc:
        print(f"deploy: configuration error: {exc}", file=sys.stderr)
        return 1 if args.plan else 2  # with --plan, 2 means "changes"
    except DeployError as exc:
        print(f"deploy: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"deploy: done: {len(out.created)} created, {len(out.updated)} updated, {len(out.unchanged)} unchanged "
        f"({out.commands} commands)",
        file=sys.stderr,
    )
    for w in ctx.warnings:
        print(f"deploy: warning: {w}", file=sys.stderr)
    return 0


class _Discard:
    """--plan prints the plan, not each describe it runs."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


if __name__ == "__main__":
    sys.exit(main())
