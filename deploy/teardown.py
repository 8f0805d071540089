"""`deploy/teardown.sh`: remove what deploy/deploy.sh created, newest first, after a confirmation.

    deploy/teardown.sh --project P [--region R] [--keep-data] [--yes] [--dry-run]

First every resource is described (read only) and the ones that exist are listed; nothing is deleted until
the project id is typed back (or --yes). Then they are deleted in reverse deploy order: the Cloud Monitoring
dashboard, alert policies, notification channels (those the settings name) and log-based metrics, scheduler
jobs (no new ticks), the backfill Cloud Run Job, then functions (with their Eventarc triggers and
subscriptions), secrets, bucket, dataset, subscriptions and topics, IAM bindings, service accounts.
`--keep-data` keeps the bucket, the dataset and the secrets. Enabled APIs are left enabled: other things in
the project may use them. Running it again finds nothing and deletes nothing.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from deploy.deploy import add_common_args, make_context
from deploy.plan import Cmd, Ctx, DeployError, function_secrets, policy_pairs, secret_id
from deploy.runner import MISSING, Runner
from shared.config import ConfigError
from shared.runtime import TOPIC_DEFAULTS


@dataclass
class Target:
    label: str
    describe: Cmd
    delete: Callable[[Any], list[Cmd]]  # current state -> delete commands ([] when nothing of ours is there)
    data: bool = False  # holds data: kept with --keep-data
    preview: Any = None  # for --dry-run: the state to show the delete commands for


def monitoring_targets(ctx: Ctx) -> list[Target]:
    """Phase 8 in reverse: the dashboard, the policies, the channels of the settings, the log-based metrics."""
    from deploy.monitoring import LogMetric, monitoring_steps

    g = ctx.gcloud
    out: list[Target] = []
    for step in reversed(monitoring_steps(ctx)):
        if isinstance(step, LogMetric):
            delete = lambda cur, n=step.name: [g("logging", "metrics", "delete", n, quiet=True)]  # noqa: E731
            preview = None
        else:
            group = step.group  # type: ignore[attr-defined]

            def delete(cur: Any, group: tuple[str, ...] = group) -> list[Cmd]:
                return [g(*group, "delete", item["name"], quiet=True) for item in cur or [] if item.get("name")]

            preview = [{"name": step.placeholder(ctx)}]  # type: ignore[attr-defined]
        out.append(Target(step.label, step.describe(ctx), delete, preview=preview))  # type: ignore[arg-type]
    return out


def targets(ctx: Ctx) -> list[Target]:
    """What deploy creates, in deletion order (the reverse of deploy)."""
    s, g = ctx.settings, ctx.gcloud
    out: list[Target] = monitoring_targets(ctx)
    for job in s.scheduler_jobs.values():
        loc = f"--location={ctx.region}"
        out.append(
            Target(
                f"scheduler job {job.name}",
                g("scheduler", "jobs", "describe", job.name, loc, json_out=True),
                lambda cur, n=job.name, loc=loc: [g("scheduler", "jobs", "delete", n, loc, quiet=True)],
            )
        )
    job, reg = s.backfill_job, f"--region={ctx.region}"
    # Looked for even when disabled: an earlier deploy may have made it.
    out.append(
        Target(
            f"Cloud Run job {job.name}",
            g("run", "jobs", "describe", job.name, reg, json_out=True),
            lambda cur: [g("run", "jobs", "delete", job.name, reg, quiet=True, timeout=900)],
        )
    )
    for fn in s.functions.values():
        out.append(
            Target(
                f"function {fn.name} (with its trigger and subscription)",
                g("functions", "describe", fn.name, reg, "--v2", json_out=True),
                lambda cur, n=fn.name, reg=reg: [g("functions", "delete", n, reg, quiet=True, timeout=900)],
            )
        )
    for env_var in function_secrets(ctx):
        sid = secret_id(env_var)
        out.append(
            Target(
                f"secret {sid} (and its values)",
                g("secrets", "describe", sid, json_out=True),
                lambda cur, sid=sid: [g("secrets", "delete", sid, quiet=True)],
                data=True,
            )
        )
    out.append(
        Target(
            f"bucket {ctx.rt.bucket} (and every file in it)",
            g("storage", "buckets", "describe", ctx.bucket_url, "--raw", json_out=True),
            lambda cur: [g("storage", "rm", "--recursive", ctx.bucket_url, quiet=True, timeout=3600)],
            data=True,
        )
    )
    out.append(
        Target(
            f"dataset {ctx.rt.dataset} (and its tables)",
            ctx.bq("show", ctx.dataset_ref, json_out=True),
            lambda cur: [ctx.bq("rm", "-r", "-f", "-d", ctx.dataset_ref)],
            data=True,
        )
    )
    dls = s.dead_letter_subscription
    out.append(
        Target(
            f"subscription {dls}",
            g("pubsub", "subscriptions", "describe", dls, json_out=True),
            lambda cur: [g("pubsub", "subscriptions", "delete", dls, quiet=True)],
        )
    )
    for key in TOPIC_DEFAULTS:
        name = ctx.topic(key)
        out.append(
            Target(
                f"topic {name}",
                g("pubsub", "topics", "describe", name, json_out=True),
                lambda cur, name=name: [g("pubsub", "topics", "delete", name, quiet=True)],
            )
        )
    ours = [
        (f"serviceAccount:{sa.email(ctx.project)}", role) for sa in s.service_accounts.values() for role in sa.project
    ]

    def unbind(cur: Any) -> list[Cmd]:
        have = policy_pairs(cur)
        return [
            g(
                "projects",
                "remove-iam-policy-binding",
                ctx.project,
                f"--member={m}",
                f"--role={r}",
                "--condition=None",
                quiet=True,
            )
            for m, r in ours
            if (m, r) in have
        ]

    everything = {"bindings": [{"role": r, "members": [m]} for m, r in ours]}
    out.append(
        Target(
            "project IAM bindings of the service accounts",
            g("projects", "get-iam-policy", ctx.project, json_out=True),
            unbind,
            preview=everything,
        )
    )
    for sa in s.service_accounts.values():
        email = sa.email(ctx.project)
        out.append(
            Target(
                f"service account {sa.name}",
                g("iam", "service-accounts", "describe", email, json_out=True),
                lambda cur, email=email: [g("iam", "service-accounts", "delete", email, quiet=True)],
            )
        )
    return out


def confirm(ctx: Ctx, labels: list[str], answer: Callable[[str], str]) -> bool:
    print(f"teardown will delete from project {ctx.project}:", file=sys.stderr)
    for label in labels:
        print(f"  - {label}", file=sys.stderr)
    try:
        typed = answer(f"Type the project id ({ctx.project}) to delete these, anything else to stop: ")
    except EOFError:
        typed = ""
    return typed.strip() == ctx.project


def main(argv: list[str] | None = None, answer: Callable[[str], str] = input) -> int:
    parser = argparse.ArgumentParser(prog="deploy/teardown.sh", description=__doc__.split("\n\n")[0])
    add_common_args(parser)
    parser.add_argument("--keep-data", action="store_true", help="keep the bucket, the dataset and the secrets")
    parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    args = parser.parse_args(argv)
    try:
        ctx = make_context(args)
        todo = [t for t in targets(ctx) if not (args.keep_data and t.data)]
        if args.dry_run:
            print(f"# nba-orch teardown, dry run: project {ctx.project}, region {ctx.region}. Nothing is run.")
            n = 0
            for t in todo:
                print(f"# -- {t.label}\n{t.describe.text()}\n#   if it exists:")
                for cmd in t.delete(t.preview):
                    print(cmd.text())
                    n += 1
                n += 1
            print(f"\n# {n} commands")
            return 0
        runner = Runner()
        found: list[tuple[Target, list[Cmd]]] = []
        for t in todo:
            cur = runner.describe(t.describe)
            if cur is not MISSING:
                cmds = t.delete(cur)
                if cmds:
                    found.append((t, cmds))
        if not found:
            print("teardown: nothing to delete", file=sys.stderr)
            return 0
        if not args.yes and not confirm(ctx, [t.label for t, _ in found], answer):
            print("teardown: not confirmed; nothing was deleted", file=sys.stderr)
            return 1
        for t, cmds in found:
            for cmd in cmds:
                runner.apply(cmd)
            print(f"  deleted: {t.label}", file=sys.stderr)
    except ConfigError as exc:
        print(f"teardown: configuration error: {exc}", file=sys.stderr)
        return 2
    except DeployError as exc:
        print(f"teardown: error: {exc}", file=sys.stderr)
        return 1
    kept = " (kept: bucket, dataset, secrets)" if args.keep_data else ""
    print(f"teardown: done, {len(found)} deleted{kept}; APIs left enabled", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
