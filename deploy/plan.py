"""The deploy plan: an ordered list of steps, each a describe command plus pure decisions.

Every step names one resource. Its `describe()` command reads the current state (`--format=json`); from that
state alone, `create()` or `update()` decide which commands bring it to the desired state, and `update()`
returns nothing when it already matches. That is what makes a deploy idempotent: a second run only describes.
The desired state comes from shared/config (crons, dead-letter attempts, retry backoff, lifecycle, partition
expiry), shared/bq_schema (tables), shared/runtime (names) and deploy/settings.yaml (how functions run).
Nothing here runs a command; deploy/runner.py does, or prints them for --dry-run.
"""

from __future__ import annotations

import base64
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy import iam
from deploy.settings import BackfillJobSpec, DeploySettings, FunctionSpec, JobSpec, ServiceAccountSpec
from deploy.stage import build_stage
from shared import bucket_layout
from shared.bq_schema import TABLES, TableSpec, to_json_schema
from shared.config import Config
from shared.runtime import TOPIC_DEFAULTS, Runtime

PHASES = {
    1: "APIs and service accounts",
    2: "Pub/Sub topics and subscriptions",
    3: "BigQuery dataset and tables",
    4: "Cloud Storage bucket",
    5: "Secret Manager secrets",
    6: "Cloud Functions",
    7: "Cloud Scheduler jobs",
    8: "Cloud Monitoring: log-based metrics, notification channels, alert policies, dashboard",
    9: "Cloud Run Job: the backfill",
}
# `deploy --only`: the kinds of resource, each a phase's steps except the APIs and all IAM bindings.
PHASE_CATEGORIES = {
    1: "accounts",
    2: "pubsub",
    3: "bigquery",
    4: "storage",
    5: "secrets",
    6: "functions",
    7: "scheduler",
    8: "monitoring",
    9: "backfill_job",
}
CATEGORIES = (
    "apis",
    "accounts",
    "iam",
    "pubsub",
    "bigquery",
    "storage",
    "secrets",
    "functions",
    "scheduler",
    "monitoring",
    "backfill_job",
)
TICK_BODY = json.dumps({"v": 1, "source": "SCHEDULER"}, separators=(",", ":"))
INVOKER_ROLE = "roles/run.invoker"
# BigQuery shows dataset-level grants with their legacy names.
_DATASET_ROLE_ALIASES = {
    "roles/bigquery.dataEditor": {"WRITER", "roles/bigquery.dataEditor"},
    "roles/bigquery.dataViewer": {"READER", "roles/bigquery.dataViewer"},
    "roles/bigquery.dataOwner": {"OWNER", "roles/bigquery.dataOwner"},
}
# Standard SQL and legacy type names as the API reports them.
_BQ_TYPES = {"INT64": "INTEGER", "FLOAT64": "FLOAT", "BOOL": "BOOLEAN", "STRUCT": "RECORD"}


class DeployError(RuntimeError):
    """The deploy cannot continue; the message says what to do."""


class MissingFact(DeployError):
    """A step needs a fact an earlier step records, and that step did not record it."""


@dataclass(frozen=True)
class Cmd:
    argv: tuple[str, ...]
    timeout: float = 300.0

    def text(self) -> str:
        return shlex.join(self.argv)


@dataclass
class Ctx:
    """Everything a step needs: settings, configuration, names, and facts learnt from earlier describes."""

    settings: DeploySettings
    cfg: Config
    config_dir: Path
    project: str
    region: str
    rt: Runtime
    build_dir: Path
    source_root: Path
    dry_run: bool = False
    plan: bool = False  # --plan: describes only; a fact not learnt (its resource is to be made) is a placeholder
    environment: str = "prod"
    facts: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)  # --plan: the facts a step used without knowing them

    def fact(self, key: str, placeholder: Any) -> Any:
        """A fact from an earlier describe; in a dry run (nothing described) a readable placeholder, and in a
        plan too when the resource it comes from does not exist yet (noted in `placeholders`)."""
        if key in self.facts:
            return self.facts[key]
        if self.plan:
            self.placeholders.append(key)
            return placeholder
        if self.dry_run:
            return placeholder
        raise MissingFact(f"{key} is learnt from a step that was not run (deploy --only?): deploy without --only first")

    def gcloud(self, *args: str, json_out: bool = False, quiet: bool = False, timeout: float = 300.0) -> Cmd:
        argv = ["gcloud", *args, f"--project={self.project}"]
        if json_out:
            argv.append("--format=json")
        if quiet:
            argv.append("--quiet")
        return Cmd(tuple(argv), timeout)

    def bq(self, *args: str, json_out: bool = False, location: bool = False) -> Cmd:
        argv = ["bq", f"--project_id={self.project}"]
        if location:
            argv.append(f"--location={self.settings.bigquery_location}")
        if json_out:
            argv.append("--format=json")
        return Cmd(tuple([*argv, *args]))

    def sa_email(self, key: str) -> str:
        return self.settings.service_accounts[key].email(self.project)

    def topic(self, key: str) -> str:
        return self.rt.topic(key)

    def topic_path(self, key: str) -> str:
        return self.rt.topic_path(key)

    def pubsub_agent(self) -> str:
        number = self.fact("project_number", "PROJECT_NUMBER")
        return f"serviceAccount:service-{number}@gcp-sa-pubsub.iam.gserviceaccount.com"

    @property
    def dataset_ref(self) -> str:
        return f"{self.project}:{self.rt.dataset}"

    @property
    def bucket_url(self) -> str:
        return f"gs://{self.rt.bucket}"

    def file(self, name: str, content: str) -> Path:
        """A generated input file (schema, lifecycle) under build/deploy/, written even in a dry run."""
        path = self.build_dir / "deploy" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
        return path


class Step:
    """One resource. Subclasses override describe/create/update; `record` keeps facts for later steps."""

    phase = 1
    creatable = True  # False: must already exist (a lookup, or a policy every resource has)
    redescribe = False  # describe again after a change, to record facts the change produced
    preview_note = "if different (only the differing settings are passed)"  # --dry-run heading of updates
    updates_with_create = False  # the create command also updates (so --dry-run prints it once)
    empty_is_missing = False  # describe is a filtered `list`: an empty answer means "missing"
    # --plan: what a step that cannot create its resource (a policy, a listing) will find once the resource it
    # belongs to is created earlier in the same deploy; None: unknown, shown as decided after those changes.
    planned_state: Any = None
    category = ""  # --only: "" means the phase's (PHASE_CATEGORIES)

    def __init__(self, label: str) -> None:
        self.label = label

    def describe(self, ctx: Ctx) -> Cmd | None:
        return None

    def create(self, ctx: Ctx) -> list[Cmd]:
        return []

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        return []

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        """For --dry-run: the update commands when everything differs."""
        return []

    def record(self, ctx: Ctx, current: Any) -> None:
        pass

    def missing_message(self, ctx: Ctx) -> str:
        return f"{self.label} was not found"


def _get(obj: Any, *path: str, default: Any = None) -> Any:
    for key in path:
        if not isinstance(obj, dict) or key not in obj:
            return default
        obj = obj[key]
    return obj


# -----------------------------------------------------------------------------------------------------------
# 1. APIs and service accounts


class ProjectLookup(Step):
    creatable = False
    category = "apis"

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("projects", "describe", ctx.project, json_out=True)

    def record(self, ctx: Ctx, current: Any) -> None:
        number = _get(current, "projectNumber")
        if not number:
            raise DeployError(f"`gcloud projects describe {ctx.project}` gave no projectNumber")
        ctx.facts["project_number"] = str(number)

    def missing_message(self, ctx: Ctx) -> str:
        return f"project {ctx.project} not found (check --project and your gcloud account)"


class Apis(Step):
    creatable = False
    category = "apis"
    preview_note = "enables those not enabled yet"

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("services", "list", "--enabled", json_out=True)

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        enabled = set()
        for item in current or []:
            name = _get(item, "config", "name") or str(item.get("name", "")).rsplit("/", 1)[-1]
            enabled.add(name)
        missing = [a for a in ctx.settings.apis if a not in enabled]
        if not missing:
            return []
        ctx.notes.append(f"enabling {', '.join(missing)}")
        return [ctx.gcloud("services", "enable", *missing, timeout=900)]

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        return [ctx.gcloud("services", "enable", *ctx.settings.apis, timeout=900)]


class ServiceAccount(Step):
    def __init__(self, sa: ServiceAccountSpec) -> None:
        super().__init__(f"service account {sa.name}")
        self.sa = sa

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("iam", "service-accounts", "describe", self.sa.email(ctx.project), json_out=True)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [
            ctx.gcloud(
                "iam",
                "service-accounts",
                "create",
                self.sa.name,
                f"--display-name={self.sa.name}",
                f"--description={self.sa.description}",
            )
        ]

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        if (current.get("description") or "") == self.sa.description:
            return []
        return self.preview_update(ctx)

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        email = self.sa.email(ctx.project)
        return [ctx.gcloud("iam", "service-accounts", "update", email, f"--description={self.sa.description}")]


def deployed_accounts(ctx: Ctx) -> list[ServiceAccountSpec]:
    """The service accounts deploy makes: all of settings.yaml's but the backfill job's when it is disabled
    (teardown still looks for that one: an earlier deploy may have made it)."""
    job = ctx.settings.backfill_job
    skip = set() if job.enabled else {job.service_account}
    used = {fn.service_account for fn in ctx.settings.functions.values()}
    used |= {fn.trigger_service_account for fn in ctx.settings.functions.values()}
    return [sa for k, sa in ctx.settings.service_accounts.items() if k not in skip - used]


def step_category(step: Step) -> str:
    """The `--only` kind of a step."""
    return step.category or PHASE_CATEGORIES[step.phase]


def policy_pairs(policy: Any) -> set[tuple[str, str]]:
    """(member, role) pairs of an IAM policy, ignoring conditional bindings (we never make those)."""
    pairs = set()
    for b in (policy or {}).get("bindings", []) or []:
        if b.get("condition"):
            continue
        for m in b.get("members", []) or []:
            pairs.add((m, b.get("role", "")))
    return pairs


class IamPolicy(Step):
    """Bindings on one resource's IAM policy: adds the missing (member, role) pairs, never removes others."""

    creatable = False
    category = "iam"
    planned_state: Any = {"bindings": []}  # the policy of a resource just created
    preview_note = "one command per binding missing from the policy"

    def __init__(self, label: str, phase: int, get: list[str], add: list[str], pairs: Any) -> None:
        super().__init__(label)
        self.phase = phase
        self.get, self.add, self.pairs = get, add, pairs  # pairs: Ctx -> list[(member, role)]

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud(*self.get, json_out=True)

    def _adds(self, ctx: Ctx, missing: list[tuple[str, str]]) -> list[Cmd]:
        return [ctx.gcloud(*self.add, f"--member={m}", f"--role={r}", quiet=True) for m, r in missing]

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        have = policy_pairs(current)
        missing = [p for p in self.pairs(ctx) if p not in have]
        for m, r in missing:
            ctx.notes.append(f"grant {r} to {m}")
        return self._adds(ctx, missing)

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        return self._adds(ctx, list(self.pairs(ctx)))


def project_iam(ctx: Ctx) -> IamPolicy:
    def pairs(c: Ctx) -> list[tuple[str, str]]:
        return [
            (f"serviceAccount:{sa.email(c.project)}", role)
            for sa in c.settings.service_accounts.values()
            for role in sa.project
        ]

    # --condition=None: add an unconditional binding without prompting, even when the policy has conditions.
    return IamPolicy(
        f"project {ctx.project} IAM",
        1,
        ["projects", "get-iam-policy", ctx.project],
        ["projects", "add-iam-policy-binding", ctx.project, "--condition=None"],
        pairs,
    )


# -----------------------------------------------------------------------------------------------------------
# 2. Pub/Sub


class Topic(Step):
    phase = 2

    def __init__(self, key: str) -> None:
        super().__init__(f"topic {key}")
        self.key = key

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("pubsub", "topics", "describe", ctx.topic(self.key), json_out=True)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [ctx.gcloud("pubsub", "topics", "create", ctx.topic(self.key), f"--labels={_labels(ctx)}")]


def _labels(ctx: Ctx, extra: dict[str, str] | None = None) -> str:
    labels = {**ctx.settings.labels, **(extra or {})}
    return ",".join(f"{k}={v}" for k, v in labels.items())


def _duration_seconds(value: str) -> int:
    mult = {"s": 1, "m": 60, "h": 3600, "d": 86400}[value[-1]]
    return int(value[:-1]) * mult


class DeadLetterSubscription(Step):
    """A pull subscription on the dead-letter topic: a topic without one drops what it receives."""

    phase = 2

    def __init__(self, name: str) -> None:
        super().__init__(f"subscription {name}")
        self.name = name

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("pubsub", "subscriptions", "describe", self.name, json_out=True)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [
            ctx.gcloud(
                "pubsub",
                "subscriptions",
                "create",
                self.name,
                f"--topic={ctx.topic('dead_letter')}",
                f"--message-retention-duration={ctx.settings.dead_letter_retention}",
                "--expiration-period=never",
                f"--labels={_labels(ctx)}",
            )
        ]

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        want = f"{_duration_seconds(ctx.settings.dead_letter_retention)}s"
        if current.get("messageRetentionDuration") == want and not _get(current, "expirationPolicy", "ttl"):
            return []
        return self.preview_update(ctx)

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        return [
            ctx.gcloud(
                "pubsub",
                "subscriptions",
                "update",
                self.name,
                f"--message-retention-duration={ctx.settings.dead_letter_retention}",
                "--expiration-period=never",
            )
        ]


def dead_letter_subscription_iam(ctx: Ctx) -> IamPolicy | None:
    """roles/pubsub.subscriber on the dead-letter pull subscription only, for the functions whose ticks peek it
    (the dead_letters_empty SLA; deploy/iam.py `peeks_dead_letters`)."""

    def pairs(c: Ctx) -> list[tuple[str, str]]:
        accounts = dict.fromkeys(
            fn.service_account for fn in c.settings.functions.values() if iam.ACCESS[fn.key].peeks_dead_letters
        )
        return [(f"serviceAccount:{c.sa_email(k)}", iam.SUBSCRIBER) for k in accounts]

    if not pairs(ctx):
        return None
    name = ctx.settings.dead_letter_subscription
    return IamPolicy(
        f"subscription {name} IAM",
        2,
        ["pubsub", "subscriptions", "get-iam-policy", name],
        ["pubsub", "subscriptions", "add-iam-policy-binding", name],
        pairs,
    )


def topic_iam(ctx: Ctx, key: str) -> IamPolicy | None:
    def pairs(c: Ctx) -> list[tuple[str, str]]:
        out = [
            (f"serviceAccount:{sa.email(c.project)}", role)
            for sa in deployed_accounts(c)
            for role in sa.topics.get(key, ())
        ]
        if key == "dead_letter":  # Pub/Sub itself forwards undeliverable messages here
            out.append((c.pubsub_agent(), "roles/pubsub.publisher"))
        return out

    if key != "dead_letter" and not any(key in sa.topics for sa in deployed_accounts(ctx)):
        return None
    name = ctx.topic(key)
    return IamPolicy(
        f"topic {key} IAM",
        2,
        ["pubsub", "topics", "get-iam-policy", name],
        ["pubsub", "topics", "add-iam-policy-binding", name],
        pairs,
    )


# -----------------------------------------------------------------------------------------------------------
# 3. BigQuery


def _legacy_dataset_grants(ctx: Ctx, access: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(role, email) of dataset-wide grants earlier versions gave our service accounts; each function now gets
    roles on the tables it uses only (deploy/iam.py), so these are revoked."""
    ours = {sa.email(ctx.project) for sa in ctx.settings.service_accounts.values()}
    out = []
    for a in access:
        email = a.get("userByEmail") or str(a.get("iamMember") or "").removeprefix("serviceAccount:")
        role = next((r for r, names in _DATASET_ROLE_ALIASES.items() if a.get("role") in names), None)
        if email in ours and role in iam.LEGACY_DATASET_ROLES:
            out.append((role, email))
    return out


class Dataset(Step):
    phase = 3
    description = "NBA orchestration audit trail: expected schedule, decisions, scraper runs, cleanups."

    def __init__(self) -> None:
        super().__init__("dataset")

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.bq("show", ctx.dataset_ref, json_out=True)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [ctx.bq("mk", "--dataset", f"--description={self.description}", ctx.dataset_ref, location=True)]

    def _revoke(self, ctx: Ctx, role: str, email: str) -> Cmd:
        sql = f'REVOKE `{role}` ON SCHEMA `{ctx.project}.{ctx.rt.dataset}` FROM "serviceAccount:{email}"'
        return ctx.bq("query", "--nouse_legacy_sql", sql, location=True)

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        cmds = []
        loc = str(current.get("location", ""))
        if loc.upper() != ctx.settings.bigquery_location.upper():
            ctx.warnings.append(
                f"dataset {ctx.rt.dataset} is in {loc}, settings say {ctx.settings.bigquery_location}; "
                "datasets cannot move, so it is used where it is"
            )
        if (current.get("description") or "") != self.description:
            cmds.append(ctx.bq("update", f"--description={self.description}", ctx.dataset_ref))
        for role, email in _legacy_dataset_grants(ctx, current.get("access", []) or []):
            ctx.notes.append(f"revoke {role} on the whole dataset from {email} (now per table)")
            cmds.append(self._revoke(ctx, role, email))
        return cmds

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        email = ctx.sa_email(next(iter(ctx.settings.service_accounts)))
        return [
            ctx.bq("update", f"--description={self.description}", ctx.dataset_ref),
            self._revoke(ctx, iam.DATA_EDITOR, email),
        ]


def _norm_fields(fields: list[dict[str, Any]]) -> list[tuple[str, str, str, Any]]:
    out = []
    for f in fields or []:
        t = str(f.get("type", "")).upper()
        out.append((f["name"], _BQ_TYPES.get(t, t), f.get("mode") or "NULLABLE", tuple(_norm_fields(f.get("fields")))))
    return out


def schema_change(
    current: list[dict[str, Any]], desired: list[dict[str, Any]], prefix: str = ""
) -> tuple[bool, list[str]]:
    """(needs an additive update, problems that cannot be applied in place) between two schemas."""
    cur = {f[0]: f for f in _norm_fields(current)}
    want = {f[0]: f for f in _norm_fields(desired)}
    raw_want = {f["name"]: f for f in desired}
    raw_cur = {f["name"]: f for f in current or []}
    additive, problems = False, []
    for name in cur:
        if name not in want:
            problems.append(f"column {prefix}{name} exists in the table but not in shared/bq_schema.py")
    for name, w in want.items():
        if name not in cur:
            if w[2] == "REQUIRED":
                problems.append(f"new column {prefix}{name} is REQUIRED (only NULLABLE/REPEATED can be added)")
            additive = True
            continue
        c = cur[name]
        if c[1] != w[1] or c[2] != w[2]:
            problems.append(f"column {prefix}{name} is {c[1]} {c[2]} in the table, {w[1]} {w[2]} in the code")
        elif w[1] == "RECORD":
            sub_add, sub_problems = schema_change(
                raw_cur[name].get("fields") or [], raw_want[name].get("fields") or [], f"{prefix}{name}."
            )
            additive = additive or sub_add
            problems += sub_problems
    return additive, problems


class Table(Step):
    phase = 3

    def __init__(self, spec: TableSpec) -> None:
        super().__init__(f"table {spec.name}")
        self.spec = spec

    def ref(self, ctx: Ctx) -> str:
        return f"{ctx.dataset_ref}.{self.spec.name}"

    def schema_file(self, ctx: Ctx) -> Path:
        schema = json.dumps(to_json_schema(self.spec.fields), indent=1)
        return ctx.file(f"bq/{self.spec.name}.json", schema + "\n")

    def expiration_seconds(self, ctx: Ctx) -> int:
        return ctx.cfg.bigquery.partition_expiration_days * 86400

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.bq("show", self.ref(ctx), json_out=True)

    def create(self, ctx: Ctx) -> list[Cmd]:
        args = [
            "mk",
            "--table",
            f"--schema={self.schema_file(ctx)}",
            "--time_partitioning_type=DAY",
            f"--time_partitioning_field={self.spec.partition_field}",
        ]
        if self.expiration_seconds(ctx):
            args.append(f"--time_partitioning_expiration={self.expiration_seconds(ctx)}")
        if self.spec.clustering:
            args.append(f"--clustering_fields={','.join(self.spec.clustering)}")
        args += [f"--description={self.spec.description}", self.ref(ctx)]
        return [ctx.bq(*args)]

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        flags: list[str] = []
        tp = current.get("timePartitioning") or {}
        if tp.get("field") != self.spec.partition_field or tp.get("type", "DAY") != "DAY":
            raise DeployError(
                f"table {self.ref(ctx)} is partitioned by {tp.get('type')} {tp.get('field')!r}, the code by DAY "
                f"{self.spec.partition_field!r}; partitioning cannot change in place: migrate the table by hand"
            )
        additive, problems = schema_change(_get(current, "schema", "fields") or [], to_json_schema(self.spec.fields))
        if problems:
            raise DeployError(
                f"table {self.ref(ctx)} differs from shared/bq_schema.py in ways BigQuery cannot apply in place: "
                + "; ".join(problems)
                + ". Nothing was changed; migrate the table by hand."
            )
        if additive:
            flags.append(f"--schema={self.schema_file(ctx)}")
            ctx.notes.append(f"add new columns to {self.spec.name}")
        want_exp = self.expiration_seconds(ctx)
        have_exp = int(tp.get("expirationMs", 0) or 0) // 1000
        if have_exp != want_exp:
            flags.append(f"--time_partitioning_expiration={want_exp}")
            ctx.notes.append(f"{self.spec.name} partition expiry {have_exp}s -> {want_exp}s")
        if list(_get(current, "clustering", "fields") or []) != list(self.spec.clustering):
            flags.append(f"--clustering_fields={','.join(self.spec.clustering)}")
        if (current.get("description") or "") != self.spec.description:
            flags.append(f"--description={self.spec.description}")
        return [ctx.bq("update", *flags, self.ref(ctx))] if flags else []

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        args = [
            "update",
            f"--schema={self.schema_file(ctx)}",
            f"--time_partitioning_expiration={self.expiration_seconds(ctx)}",
        ]
        if self.spec.clustering:
            args.append(f"--clustering_fields={','.join(self.spec.clustering)}")
        return [ctx.bq(*args, f"--description={self.spec.description}", self.ref(ctx))]


def table_iam(ctx: Ctx, table: str) -> IamPolicy | None:
    """Per-table roles (deploy/iam.py): each function's account may write or read only the tables it uses."""

    def pairs(c: Ctx) -> list[tuple[str, str]]:
        return [
            (f"serviceAccount:{c.sa_email(fn.service_account)}", role)
            for fn in c.settings.functions.values()
            if (role := iam.table_roles(fn.key).get(table))
        ]

    if not pairs(ctx):
        return None
    ref = f"{ctx.dataset_ref}.{table}"

    class _TableIam(IamPolicy):
        def describe(self, c: Ctx) -> Cmd:
            return c.bq("get-iam-policy", "-t", ref, json_out=True)

        def _adds(self, c: Ctx, missing: list[tuple[str, str]]) -> list[Cmd]:
            return [c.bq("add-iam-policy-binding", f"--member={m}", f"--role={r}", "-t", ref) for m, r in missing]

    return _TableIam(f"table {table} IAM", 3, [], [], pairs)


# -----------------------------------------------------------------------------------------------------------
# 4. Cloud Storage


def lifecycle_rules(ctx: Ctx) -> list[dict[str, Any]]:
    """Raw files after `gcs.lifecycle_delete_days` (0: kept), and the rate limiter's slot objects (one per
    upstream call of a limited source, worthless once their second has passed) after
    `rate_limits.slots_delete_after_days`."""
    days = ctx.cfg.gcs.lifecycle_delete_days
    rules = [{"action": {"type": "Delete"}, "condition": {"age": days}}] if days else []
    slots = {"age": ctx.cfg.rate_limits.slots_delete_after_days, "matchesPrefix": [bucket_layout.prefix("slots")]}
    return [*rules, {"action": {"type": "Delete"}, "condition": slots}]


class Bucket(Step):
    phase = 4

    def __init__(self) -> None:
        super().__init__("bucket")

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("storage", "buckets", "describe", ctx.bucket_url, "--raw", json_out=True)

    def lifecycle_file(self, ctx: Ctx) -> Path:
        return ctx.file("lifecycle.json", json.dumps({"rule": lifecycle_rules(ctx)}, indent=1) + "\n")

    def create(self, ctx: Ctx) -> list[Cmd]:
        args = [
            "storage",
            "buckets",
            "create",
            ctx.bucket_url,
            f"--location={ctx.region}",
            "--uniform-bucket-level-access",
            "--public-access-prevention",
            f"--soft-delete-duration={ctx.settings.bucket_soft_delete}",
        ]
        if lifecycle_rules(ctx):
            args.append(f"--lifecycle-file={self.lifecycle_file(ctx)}")
        return [ctx.gcloud(*args)]

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        flags = []
        have = _get(current, "lifecycle", "rule") or []
        want = lifecycle_rules(ctx)
        if _canon(have) != _canon(want):
            flags.append(f"--lifecycle-file={self.lifecycle_file(ctx)}" if want else "--clear-lifecycle")
            ctx.notes.append(f"bucket lifecycle {have} -> {want}")
        if not _get(current, "iamConfiguration", "uniformBucketLevelAccess", "enabled"):
            flags.append("--uniform-bucket-level-access")
        if _get(current, "iamConfiguration", "publicAccessPrevention") != "enforced":
            flags.append("--public-access-prevention")
        have_sd = int(_get(current, "softDeletePolicy", "retentionDurationSeconds", default=0) or 0)
        if have_sd != _duration_seconds(ctx.settings.bucket_soft_delete):
            flags.append(f"--soft-delete-duration={ctx.settings.bucket_soft_delete}")
            ctx.notes.append(f"bucket soft delete {have_sd}s -> {ctx.settings.bucket_soft_delete}")
        loc = str(current.get("location", ""))
        if loc and loc.lower() != ctx.region.lower():
            ctx.warnings.append(f"bucket {ctx.rt.bucket} is in {loc}, not {ctx.region}; buckets cannot move")
        return [ctx.gcloud("storage", "buckets", "update", ctx.bucket_url, *flags)] if flags else []

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        lc = f"--lifecycle-file={self.lifecycle_file(ctx)}" if lifecycle_rules(ctx) else "--clear-lifecycle"
        return [
            ctx.gcloud(
                "storage",
                "buckets",
                "update",
                ctx.bucket_url,
                lc,
                "--uniform-bucket-level-access",
                "--public-access-prevention",
                f"--soft-delete-duration={ctx.settings.bucket_soft_delete}",
            )
        ]

    def missing_message(self, ctx: Ctx) -> str:
        return f"bucket {ctx.rt.bucket}"


def _canon(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def condition_triples(policy: Any) -> set[tuple[str, str, str]]:
    """(member, role, condition expression or "") of an IAM policy."""
    out = set()
    for b in (policy or {}).get("bindings", []) or []:
        expr = str((b.get("condition") or {}).get("expression") or "")
        for m in b.get("members", []) or []:
            out.add((m, b.get("role", ""), expr))
    return out


class BucketIam(Step):
    """The bucket's bindings of deploy/iam.py, IAM conditions included; revokes the whole-bucket objectUser
    earlier versions granted. Adds what is missing, never removes anything else."""

    phase = 4
    creatable = False
    category = "iam"
    planned_state: Any = {"bindings": []}
    preview_note = "one command per binding missing from the policy (and per legacy grant to revoke)"

    def __init__(self) -> None:
        super().__init__("bucket IAM")

    def wanted(self, ctx: Ctx) -> list[tuple[str, iam.BucketGrant]]:
        owners = [(fn.key, fn.service_account) for fn in ctx.settings.functions.values()]
        job = ctx.settings.backfill_job
        if job.enabled:
            owners.append((job.key, job.service_account))
        return [
            (f"serviceAccount:{ctx.sa_email(account)}", g)
            for key, account in owners
            for g in iam.bucket_grants(key, ctx.rt.bucket)
        ]

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("storage", "buckets", "get-iam-policy", ctx.bucket_url, json_out=True)

    def _add(self, ctx: Ctx, member: str, g: iam.BucketGrant) -> Cmd:
        args = ["storage", "buckets", "add-iam-policy-binding", ctx.bucket_url, f"--member={member}"]
        args.append(f"--role={g.role}")
        if g.condition:
            name = f"iam/{member.split(':', 1)[1].split('@', 1)[0]}-{g.role.rsplit('.', 1)[-1]}.json"
            args.append(f"--condition-from-file={ctx.file(name, json.dumps(g.condition, indent=1) + chr(10))}")
        return ctx.gcloud(*args, quiet=True)

    def _revoke(self, ctx: Ctx, member: str, role: str) -> Cmd:
        # --condition=None: the unconditional binding only (our conditional one on the same role stays).
        return ctx.gcloud(
            "storage",
            "buckets",
            "remove-iam-policy-binding",
            ctx.bucket_url,
            f"--member={member}",
            f"--role={role}",
            "--condition=None",
            quiet=True,
        )

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        have = condition_triples(current)
        cmds = []
        for member, g in self.wanted(ctx):
            if (member, g.role, (g.condition or {}).get("expression", "")) not in have:
                cond = " (with condition)" if g.condition else ""
                ctx.notes.append(f"grant {g.role} on the bucket to {member}{cond}")
                cmds.append(self._add(ctx, member, g))
        ours = {f"serviceAccount:{sa.email(ctx.project)}" for sa in ctx.settings.service_accounts.values()}
        for member, role, expr in sorted(have):
            if member in ours and role in iam.LEGACY_BUCKET_ROLES and not expr:
                ctx.notes.append(f"revoke {role} on the whole bucket from {member}")
                cmds.append(self._revoke(ctx, member, role))
        return cmds

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        cmds = [self._add(ctx, m, g) for m, g in self.wanted(ctx)]
        first = f"serviceAccount:{ctx.sa_email(next(iter(ctx.settings.service_accounts)))}"
        return [*cmds, self._revoke(ctx, first, iam.OBJECT_USER)]


class BucketNotification(Step):
    """The bucket's Pub/Sub notification to the gcs_events topic (or its removal when disabled)."""

    phase = 4
    creatable = False
    planned_state: Any = []  # a new bucket has no notification
    preview_note = "if missing, different or duplicated (deletes the extra or wrong ones, creates one)"

    def __init__(self) -> None:
        super().__init__("bucket notification")

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("storage", "buckets", "notifications", "list", ctx.bucket_url, json_out=True)

    def _create(self, ctx: Ctx) -> Cmd:
        # The command also grants the Cloud Storage service agent publisher on the topic.
        return ctx.gcloud(
            "storage",
            "buckets",
            "notifications",
            "create",
            ctx.bucket_url,
            f"--topic={ctx.topic_path('gcs_events')}",
            f"--event-types={','.join(ctx.settings.gcs_notification_event_types)}",
            "--payload-format=json",
        )

    def _delete(self, ctx: Ctx, nid: str) -> Cmd:
        url = f"projects/_/buckets/{ctx.rt.bucket}/notificationConfigs/{nid}"
        return ctx.gcloud("storage", "buckets", "notifications", "delete", url)

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        ours = []
        for item in current or []:
            conf = item.get("Notification Configuration", item) if isinstance(item, dict) else {}
            if str(conf.get("topic", "")).endswith(ctx.topic_path("gcs_events")):
                ours.append(conf)
        enabled = ctx.cfg.gcs.notifications_enabled
        want_events = set(ctx.settings.gcs_notification_event_types)
        cmds: list[Cmd] = []
        keep = None
        for conf in ours:
            events = set(conf.get("event_types") or conf.get("eventTypes") or [])
            fmt = str(conf.get("payload_format") or conf.get("payloadFormat") or "JSON_API_V1")
            if enabled and keep is None and events == want_events and fmt == "JSON_API_V1":
                keep = conf
            else:
                cmds.append(self._delete(ctx, str(conf.get("id"))))
        if enabled and keep is None:
            cmds.append(self._create(ctx))
        if cmds:
            ctx.notes.append("bucket notification " + ("set" if enabled else "removed"))
        return cmds

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        out = [self._delete(ctx, "NOTIFICATION_ID")]
        if ctx.cfg.gcs.notifications_enabled:
            out.append(self._create(ctx))
        return out


# -----------------------------------------------------------------------------------------------------------
# 5. Secret Manager


def secret_id(env_var: str) -> str:
    """The secret holding an API key: BALLDONTLIE_API_KEY -> balldontlie-api-key."""
    return env_var.lower().replace("_", "-")


def api_key_secrets(cfg: Config) -> dict[str, list[str]]:
    """Environment variable of each credential of the catalogue -> the sources using it: API keys
    (sources.*.auth.secret) and proxy URLs (sources.*.proxy_secret, which may carry a password)."""
    out: dict[str, list[str]] = {}
    for src in cfg.sources.values():
        for env_var in (src.auth.secret if src.auth else None, src.proxy_secret):
            if env_var:
                out.setdefault(env_var, []).append(src.name)
    return dict(sorted(out.items()))


def function_secrets(ctx: Ctx) -> dict[str, list[str]]:
    """Environment variable of each secret any function maps -> the keys of the functions that map it."""
    out: dict[str, list[str]] = {}
    for fn in ctx.settings.functions.values():
        for env_var in fn.secrets:
            out.setdefault(env_var, []).append(fn.key)
    return dict(sorted(out.items()))


def check_secrets(ctx: Ctx) -> None:
    """Every credential the catalogue names must be mapped on the function that runs the scrapers, or its
    sources fail in production only (the local stack reads the environment)."""
    mapped = set(ctx.settings.functions["scrapers"].secrets) if "scrapers" in ctx.settings.functions else set()
    missing = sorted(set(api_key_secrets(ctx.cfg)) - mapped)
    if missing:
        raise DeployError(
            f"functions.scrapers.secrets in deploy/settings.yaml lacks {', '.join(missing)} (named by the catalogue)"
        )


class Secret(Step):
    """A secret, created empty: values are added by a person, never by this code or the repo."""

    phase = 5

    def __init__(self, env_var: str, sources: list[str], functions: list[str]) -> None:
        super().__init__(f"secret {secret_id(env_var)}")
        self.env_var, self.sources, self.id = env_var, sources, secret_id(env_var)
        self.functions = functions

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("secrets", "describe", self.id, json_out=True)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [
            ctx.gcloud(
                "secrets",
                "create",
                self.id,
                "--replication-policy=automatic",
                f"--labels={_labels(ctx)}",
                f"--set-annotations=env-var={self.env_var},"
                + (f"sources={'+'.join(self.sources)}," if self.sources else "")
                + f"functions={'+'.join(self.functions)}",
            )
        ]


class SecretVersions(Step):
    """Does the secret hold a value? Functions only map secrets that do (a missing version fails a deploy)."""

    phase = 5
    creatable = False

    def __init__(self, env_var: str, functions: list[str] | None = None) -> None:
        super().__init__(f"secret {secret_id(env_var)} versions")
        self.env_var, self.id = env_var, secret_id(env_var)
        self.functions = functions or []

    planned_state: Any = []  # a secret is created empty

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("secrets", "versions", "list", self.id, json_out=True)

    def record(self, ctx: Ctx, current: Any) -> None:
        has = any(v.get("state") == "ENABLED" for v in current or [])
        ctx.facts[f"secret_has_value:{self.id}"] = has
        if not has:
            ctx.warnings.append(
                f"secret {self.id} has no value yet, so {self.env_var} is not set on the "
                f"{', '.join(self.functions) or 'scrapers'} function: "
                f"add one with `gcloud secrets versions add {self.id} --data-file=FILE --project={ctx.project}` "
                "(a file holding only the key), then run deploy again"
            )


def secret_iam(ctx: Ctx, env_var: str) -> IamPolicy:
    """secretAccessor on one secret for the service accounts of the functions that map it, and no one else."""
    sid = secret_id(env_var)

    def pairs(c: Ctx) -> list[tuple[str, str]]:
        accounts = dict.fromkeys(fn.service_account for fn in c.settings.functions.values() if env_var in fn.secrets)
        return [(f"serviceAccount:{c.sa_email(k)}", "roles/secretmanager.secretAccessor") for k in accounts]

    return IamPolicy(
        f"secret {sid} IAM",
        5,
        ["secrets", "get-iam-policy", sid],
        ["secrets", "add-iam-policy-binding", sid],
        pairs,
    )


# -----------------------------------------------------------------------------------------------------------
# 6. Cloud Functions


class _Staged:
    """A function's or job's staged folder, built once per deploy run (the plan and the apply both ask)."""

    def __init__(self, spec: Any, kind: str) -> None:
        self.spec, self.kind = spec, kind
        self._built: tuple[Path, str] | None = None

    def get(self, ctx: Ctx) -> tuple[Path, str]:
        if self._built is None:
            try:
                self._built = build_stage(self.spec, ctx.build_dir, ctx.config_dir, ctx.source_root, kind=self.kind)
            except FileNotFoundError as exc:
                raise DeployError(str(exc)) from None
        return self._built


class Function(Step):
    """One gen2 function; `gcloud functions deploy` both creates and updates, so both use the same command."""

    phase = 6
    redescribe = True
    updates_with_create = True
    preview_note = "if different: the same `gcloud functions deploy`, which updates in place"

    def __init__(self, fn: FunctionSpec) -> None:
        super().__init__(f"function {fn.name}")
        self.fn = fn
        self._staged = _Staged(fn, "functions")

    def stage(self, ctx: Ctx) -> tuple[Path, str]:
        return self._staged.get(ctx)

    def env(self, ctx: Ctx) -> dict[str, str]:
        return ctx.rt.env()

    def secrets(self, ctx: Ctx) -> dict[str, str]:
        """ENV_VAR -> secret:latest for this function's secrets that have a value."""
        out = {}
        for env_var in self.fn.secrets:
            sid = secret_id(env_var)
            if ctx.fact(f"secret_has_value:{sid}", True):
                out[env_var] = f"{sid}:latest"
        return out

    def labels(self, ctx: Ctx) -> dict[str, str]:
        return {**ctx.settings.labels, "nba-orch-source": self.stage(ctx)[1]}

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("functions", "describe", self.fn.name, f"--region={ctx.region}", "--v2", json_out=True)

    def deploy_cmd(self, ctx: Ctx, clear_secrets: bool = False) -> Cmd:
        fn, folder = self.fn, self.stage(ctx)[0]
        args = [
            "functions",
            "deploy",
            fn.name,
            "--gen2",
            f"--region={ctx.region}",
            f"--runtime={ctx.settings.runtime}",
            f"--source={folder}",
            f"--entry-point={fn.entry_point}",
            f"--trigger-topic={ctx.topic(fn.trigger_topic)}",
            "--retry",
            f"--service-account={ctx.sa_email(fn.service_account)}",
            f"--trigger-service-account={ctx.sa_email(fn.trigger_service_account)}",
            f"--memory={fn.memory}",
            f"--timeout={fn.timeout_seconds}s",
            f"--max-instances={fn.max_instances}",
            "--ingress-settings=internal-only",
            "--no-allow-unauthenticated",
            "--set-env-vars=" + ",".join(f"{k}={v}" for k, v in self.env(ctx).items()),
        ]
        secrets = self.secrets(ctx)
        if secrets:
            args.append("--set-secrets=" + ",".join(f"{k}={v}" for k, v in secrets.items()))
        elif clear_secrets:
            args.append("--clear-secrets")
        args.append("--update-labels=" + ",".join(f"{k}={v}" for k, v in self.labels(ctx).items()))
        return ctx.gcloud(*args, quiet=True, timeout=1800)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [self.deploy_cmd(ctx)]

    def differences(self, ctx: Ctx, cur: dict[str, Any]) -> list[str]:
        """What differs between the deployed function and the desired one (empty: nothing to do)."""
        fn = self.fn
        want: dict[str, Any] = {
            "state": "ACTIVE",
            "runtime": ctx.settings.runtime,
            "entry point": fn.entry_point,
            "memory": fn.memory,
            "timeout": fn.timeout_seconds,
            "max instances": fn.max_instances,
            "service account": ctx.sa_email(fn.service_account),
            "ingress": "ALLOW_INTERNAL_ONLY",
            "trigger topic": ctx.topic_path(fn.trigger_topic),
            "retry": "RETRY_POLICY_RETRY",
            "trigger service account": ctx.sa_email(fn.trigger_service_account),
            "source": self.stage(ctx)[1],
        }
        sc, et = cur.get("serviceConfig") or {}, cur.get("eventTrigger") or {}
        have: dict[str, Any] = {
            "state": cur.get("state"),
            "runtime": _get(cur, "buildConfig", "runtime"),
            "entry point": _get(cur, "buildConfig", "entryPoint"),
            "memory": sc.get("availableMemory"),
            "timeout": sc.get("timeoutSeconds"),
            "max instances": sc.get("maxInstanceCount"),
            "service account": sc.get("serviceAccountEmail"),
            "ingress": sc.get("ingressSettings"),
            "trigger topic": et.get("pubsubTopic"),
            "retry": et.get("retryPolicy"),
            "trigger service account": et.get("serviceAccountEmail"),
            "source": (cur.get("labels") or {}).get("nba-orch-source"),
        }
        diffs = [f"{k}: {have[k]!r} -> {want[k]!r}" for k in want if str(have[k]) != str(want[k])]
        # Only our variables are compared: Google adds its own (LOG_EXECUTION_ID).
        env_want = self.env(ctx)
        env_have = sc.get("environmentVariables") or {}
        ours = {k: v for k, v in env_have.items() if k.startswith("NBA_ORCH_") or k == "GOOGLE_CLOUD_PROJECT"}
        if ours != env_want:
            diffs.append("environment variables")
        sec_have = {
            s.get("key"): f"{s.get('secret')}:{s.get('version')}" for s in sc.get("secretEnvironmentVariables") or []
        }
        if sec_have != self.secrets(ctx):
            diffs.append(f"secrets: {sorted(sec_have)} -> {sorted(self.secrets(ctx))}")
        for k, v in ctx.settings.labels.items():
            if (cur.get("labels") or {}).get(k) != v:
                diffs.append(f"label {k}")
        return diffs

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        diffs = self.differences(ctx, current)
        if not diffs:
            return []
        ctx.notes.append(f"{self.fn.name}: " + "; ".join(diffs))
        had_secrets = bool(_get(current, "serviceConfig", "secretEnvironmentVariables"))
        return [self.deploy_cmd(ctx, clear_secrets=had_secrets)]

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        return []  # the same command as for creation (see preview_note)

    def record(self, ctx: Ctx, current: Any) -> None:
        service = _get(current, "serviceConfig", "service") or self.fn.name
        trigger = _get(current, "eventTrigger", "trigger")
        if not trigger:
            raise DeployError(f"function {self.fn.name} has no event trigger after deploy; see its build logs")
        ctx.facts[f"service:{self.fn.key}"] = str(service).rsplit("/", 1)[-1]
        ctx.facts[f"trigger:{self.fn.key}"] = str(trigger).rsplit("/", 1)[-1]
        ctx.facts[f"trigger_region:{self.fn.key}"] = _get(current, "eventTrigger", "triggerRegion") or ctx.region


def invoker_iam(ctx: Ctx, fn: FunctionSpec) -> IamPolicy:
    """roles/run.invoker on the function's Cloud Run service for its Eventarc trigger identity."""

    def pairs(c: Ctx) -> list[tuple[str, str]]:
        return [
            (f"serviceAccount:{sa.email(c.project)}", INVOKER_ROLE)
            for sa in c.settings.service_accounts.values()
            if fn.key in sa.invoker_of
        ]

    class _Invoker(IamPolicy):
        def describe(self, c: Ctx) -> Cmd:
            service = c.fact(f"service:{fn.key}", fn.name)
            return c.gcloud("run", "services", "get-iam-policy", service, f"--region={c.region}", json_out=True)

        def _adds(self, c: Ctx, missing: list[tuple[str, str]]) -> list[Cmd]:
            service = c.fact(f"service:{fn.key}", fn.name)
            return [
                c.gcloud(
                    "run",
                    "services",
                    "add-iam-policy-binding",
                    service,
                    f"--region={c.region}",
                    f"--member={m}",
                    f"--role={r}",
                    quiet=True,
                )
                for m, r in missing
            ]

    return _Invoker(f"function {fn.name} invoker IAM", 6, [], [], pairs)


class TriggerLookup(Step):
    """The Eventarc trigger gen2 made for the function: it names the Pub/Sub subscription that delivers."""

    phase = 6
    creatable = False

    def __init__(self, fn: FunctionSpec) -> None:
        super().__init__(f"function {fn.name} trigger")
        self.fn = fn

    def describe(self, ctx: Ctx) -> Cmd:
        trigger = ctx.fact(f"trigger:{self.fn.key}", f"TRIGGER_OF_{self.fn.name}")
        location = ctx.fact(f"trigger_region:{self.fn.key}", ctx.region)
        return ctx.gcloud("eventarc", "triggers", "describe", trigger, f"--location={location}", json_out=True)

    def record(self, ctx: Ctx, current: Any) -> None:
        sub = _get(current, "transport", "pubsub", "subscription")
        if not sub:
            raise DeployError(f"Eventarc trigger of {self.fn.name} has no Pub/Sub subscription yet; run deploy again")
        ctx.facts[f"subscription:{self.fn.key}"] = str(sub).rsplit("/", 1)[-1]


def _trigger_sub(ctx: Ctx, fn: FunctionSpec) -> str:
    return ctx.fact(f"subscription:{fn.key}", f"SUBSCRIPTION_OF_{fn.name}")


class TriggerSubscription(Step):
    """Dead-letter and retry policy and the ack deadline on the trigger's subscription (Eventarc makes it with a
    10 s ack deadline, shorter than a run: each expiry would count as a delivery attempt; we tune it)."""

    phase = 6
    creatable = False

    def __init__(self, fn: FunctionSpec) -> None:
        super().__init__(f"function {fn.name} delivery policy")
        self.fn = fn

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("pubsub", "subscriptions", "describe", _trigger_sub(ctx, self.fn), json_out=True)

    def _want(self, ctx: Ctx) -> tuple[int, str, str]:
        p = ctx.cfg.pubsub
        return (
            p.max_delivery_attempts,
            f"{p.min_retry_backoff_seconds}s",
            f"{p.max_retry_backoff_seconds}s",
        )

    def _cmd(self, ctx: Ctx, dead_letter: bool, retry: bool, ack: bool = False) -> list[Cmd]:
        attempts, lo, hi = self._want(ctx)
        flags = [f"--ack-deadline={self.fn.ack_deadline_seconds}"] if ack else []
        if dead_letter:
            flags += [f"--dead-letter-topic={ctx.topic('dead_letter')}", f"--max-delivery-attempts={attempts}"]
        if retry:
            flags += [f"--min-retry-delay={lo}", f"--max-retry-delay={hi}"]
        if not flags:
            return []
        return [ctx.gcloud("pubsub", "subscriptions", "update", _trigger_sub(ctx, self.fn), *flags)]

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        attempts, lo, hi = self._want(ctx)
        dlp = current.get("deadLetterPolicy") or {}
        rp = current.get("retryPolicy") or {}
        dl_ok = (
            dlp.get("deadLetterTopic") == ctx.topic_path("dead_letter")
            and int(dlp.get("maxDeliveryAttempts", 0) or 0) == attempts
        )
        retry_ok = rp.get("minimumBackoff") == lo and rp.get("maximumBackoff") == hi
        if not dl_ok:
            ctx.notes.append(f"{self.fn.name}: dead letter after {attempts} attempts")
        if not retry_ok:
            ctx.notes.append(f"{self.fn.name}: retry backoff {lo}-{hi}")
        ack_ok = int(current.get("ackDeadlineSeconds", 10) or 10) == self.fn.ack_deadline_seconds
        if not ack_ok:
            ctx.notes.append(f"{self.fn.name}: ack deadline {self.fn.ack_deadline_seconds}s")
        return self._cmd(ctx, not dl_ok, not retry_ok, not ack_ok)

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        return self._cmd(ctx, True, True, True)


def trigger_subscription_iam(ctx: Ctx, fn: FunctionSpec) -> IamPolicy:
    """Pub/Sub's service agent must read the subscription to forward its dead letters."""

    class _SubIam(IamPolicy):
        def describe(self, c: Ctx) -> Cmd:
            return c.gcloud("pubsub", "subscriptions", "get-iam-policy", _trigger_sub(c, fn), json_out=True)

        def _adds(self, c: Ctx, missing: list[tuple[str, str]]) -> list[Cmd]:
            return [
                c.gcloud(
                    "pubsub",
                    "subscriptions",
                    "add-iam-policy-binding",
                    _trigger_sub(c, fn),
                    f"--member={m}",
                    f"--role={r}",
                )
                for m, r in missing
            ]

    return _SubIam(
        f"function {fn.name} subscription IAM", 6, [], [], lambda c: [(c.pubsub_agent(), "roles/pubsub.subscriber")]
    )


# -----------------------------------------------------------------------------------------------------------
# 7. Cloud Scheduler


def job_cron(ctx: Ctx, job: JobSpec) -> str:
    return {
        "locker": ctx.cfg.locker_cron,
        "controller": ctx.cfg.controller_cron,
        "cleanup": ctx.cfg.cleanup_cron,
    }[job.cron]()


class SchedulerJob(Step):
    phase = 7

    def __init__(self, job: JobSpec) -> None:
        super().__init__(f"scheduler job {job.name}")
        self.job = job

    def want(self, ctx: Ctx) -> dict[str, str]:
        return {
            "schedule": job_cron(ctx, self.job),
            "time-zone": ctx.cfg.timezone.key,
            # A full path: with a bare topic id gcloud does not apply --project to the topic (it fails).
            "topic": ctx.topic_path(self.job.topic),
            "message-body": TICK_BODY,
            "description": f"nba-orch {self.job.cron} tick ({ctx.cfg.timezone.key} wall clock)",
        }

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("scheduler", "jobs", "describe", self.job.name, f"--location={ctx.region}", json_out=True)

    def _cmd(self, ctx: Ctx, verb: str, values: dict[str, str]) -> Cmd:
        flags = [f"--{k}={v}" for k, v in values.items()]
        return ctx.gcloud("scheduler", "jobs", verb, "pubsub", self.job.name, f"--location={ctx.region}", *flags)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [self._cmd(ctx, "create", self.want(ctx))]

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        data = _get(current, "pubsubTarget", "data") or ""
        try:
            body = base64.b64decode(data).decode() if data else ""
        except (ValueError, UnicodeDecodeError):
            body = ""
        topic = _get(current, "pubsubTarget", "topicName") or ""
        have = {
            "schedule": current.get("schedule"),
            "time-zone": current.get("timeZone"),
            "topic": topic,
            "message-body": body,
            "description": current.get("description") or "",
        }
        changed = {k: v for k, v in self.want(ctx).items() if have[k] != v}
        if current.get("state") == "PAUSED":
            ctx.warnings.append(f"scheduler job {self.job.name} is PAUSED; left paused (resume it by hand)")
        if not changed:
            return []
        ctx.notes.append(f"{self.job.name}: " + ", ".join(f"{k} {have[k]!r} -> {v!r}" for k, v in changed.items()))
        return [self._cmd(ctx, "update", changed)]

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        return [self._cmd(ctx, "update", self.want(ctx))]


# -----------------------------------------------------------------------------------------------------------
# 9. Cloud Run Job: the backfill


class BackfillJob(Step):
    """The backfill as a Cloud Run Job (jobs/backfill/): `gcloud run jobs deploy --source` both creates and
    updates (built by the buildpacks from the staged folder's Procfile). Like a function, the staged folder's
    content hash is a label, so an unchanged job is not rebuilt; the settings that differ are listed."""

    phase = 9
    category = "backfill_job"
    updates_with_create = True
    preview_note = "if different: the same `gcloud run jobs deploy`, which updates in place"

    def __init__(self, job: BackfillJobSpec) -> None:
        super().__init__(f"Cloud Run job {job.name}")
        self.job = job
        self._staged = _Staged(job, "jobs")

    def stage(self, ctx: Ctx) -> tuple[Path, str]:
        return self._staged.get(ctx)

    def env(self, ctx: Ctx) -> dict[str, str]:
        from shared.backfill.job import FOLLOW_ENV  # the name the job reads (standard library only)

        return {**ctx.rt.env(), FOLLOW_ENV: str(self.job.follow_seconds)}

    def labels(self, ctx: Ctx) -> dict[str, str]:
        return {**ctx.settings.labels, "nba-orch-source": self.stage(ctx)[1]}

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("run", "jobs", "describe", self.job.name, f"--region={ctx.region}", json_out=True)

    def deploy_cmd(self, ctx: Ctx) -> Cmd:
        job = self.job
        args = [
            "run",
            "jobs",
            "deploy",
            job.name,
            f"--source={self.stage(ctx)[0]}",
            f"--region={ctx.region}",
            f"--service-account={ctx.sa_email(job.service_account)}",
            "--tasks=1",
            f"--max-retries={job.max_retries}",
            f"--task-timeout={job.task_timeout_seconds}s",
            f"--memory={job.memory}",
            f"--cpu={job.cpu}",
            "--set-env-vars=" + ",".join(f"{k}={v}" for k, v in self.env(ctx).items()),
            "--labels=" + ",".join(f"{k}={v}" for k, v in self.labels(ctx).items()),
        ]
        return ctx.gcloud(*args, quiet=True, timeout=1800)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [self.deploy_cmd(ctx)]

    def differences(self, ctx: Ctx, cur: dict[str, Any]) -> list[str]:
        """What differs between the deployed job (`gcloud run jobs describe`: the Cloud Run v1 Job) and ours."""
        job = self.job
        execution = _get(cur, "spec", "template", "spec", default={}) or {}
        task = _get(execution, "template", "spec", default={}) or {}
        container = (task.get("containers") or [{}])[0]
        limits = _get(container, "resources", "limits", default={}) or {}
        labels = _get(cur, "metadata", "labels", default={}) or {}
        want: dict[str, Any] = {
            "tasks": 1,
            "max retries": job.max_retries,
            "task timeout": job.task_timeout_seconds,
            "service account": ctx.sa_email(job.service_account),
            "memory": job.memory,
            "cpu": job.cpu,
            "source": self.stage(ctx)[1],
        }
        have: dict[str, Any] = {
            "tasks": execution.get("taskCount", 1),
            "max retries": task.get("maxRetries", 3),
            "task timeout": task.get("timeoutSeconds"),
            "service account": task.get("serviceAccountName"),
            "memory": limits.get("memory"),
            "cpu": limits.get("cpu"),
            "source": labels.get("nba-orch-source"),
        }
        diffs = [f"{k}: {have[k]!r} -> {want[k]!r}" for k in want if str(have[k]) != str(want[k])]
        env_have = {e.get("name"): e.get("value") for e in container.get("env") or []}
        ours = {k: v for k, v in env_have.items() if k.startswith("NBA_ORCH_") or k == "GOOGLE_CLOUD_PROJECT"}
        if ours != self.env(ctx):
            diffs.append("environment variables")
        for k, v in ctx.settings.labels.items():
            if labels.get(k) != v:
                diffs.append(f"label {k}")
        return diffs

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        diffs = self.differences(ctx, current)
        if not diffs:
            return []
        ctx.notes.append(f"{self.job.name}: " + "; ".join(diffs))
        return [self.deploy_cmd(ctx)]


# -----------------------------------------------------------------------------------------------------------


def build_steps(ctx: Ctx) -> list[Step]:
    """Every step in deploy order: what later steps need (identities, topics, secrets) exists before them."""
    s = ctx.settings
    steps: list[Step] = [ProjectLookup("project"), Apis("enabled APIs")]
    steps += [ServiceAccount(sa) for sa in deployed_accounts(ctx)]
    steps.append(project_iam(ctx))
    steps += [Topic(k) for k in TOPIC_DEFAULTS]
    steps.append(DeadLetterSubscription(s.dead_letter_subscription))
    if (p := dead_letter_subscription_iam(ctx)) is not None:
        steps.append(p)
    steps += [p for k in TOPIC_DEFAULTS if (p := topic_iam(ctx, k)) is not None]
    steps.append(Dataset())
    for t in TABLES.values():
        steps.append(Table(t))
        if (p := table_iam(ctx, t.name)) is not None:
            steps.append(p)
    from deploy.views import view_steps  # the dashboards' views over those tables (shared/bq_views.py)

    steps += view_steps(ctx)
    steps += [Bucket(), BucketIam(), BucketNotification()]
    check_secrets(ctx)
    catalogue = api_key_secrets(ctx.cfg)
    for env_var, fns in function_secrets(ctx).items():
        steps += [Secret(env_var, catalogue.get(env_var, []), fns), SecretVersions(env_var, fns)]
        steps.append(secret_iam(ctx, env_var))
    for fn in s.functions.values():
        steps += [
            Function(fn),
            invoker_iam(ctx, fn),
            TriggerLookup(fn),
            trigger_subscription_iam(ctx, fn),
            TriggerSubscription(fn),
        ]
    steps += [SchedulerJob(job) for job in s.scheduler_jobs.values()]
    from deploy.monitoring import monitoring_steps  # it builds on this module's Step and Ctx

    steps += monitoring_steps(ctx)
    if s.backfill_job.enabled:
        steps.append(BackfillJob(s.backfill_job))
    return steps
