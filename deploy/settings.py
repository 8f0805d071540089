"""Deploy settings (deploy/settings.yaml), validated before any command runs.

Values `gcloud` would only reject after authenticating (a memory unit, a timeout over 540 s, an unknown time
zone) are checked here, so a bad setting fails in a second with the file and key named, not half way through
a deploy. Problems raise `shared.config.ConfigError`, the error type the rest of the project reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from shared.config import Checker, ConfigError
from shared.runtime import TOPIC_DEFAULTS

DEPLOY_DIR = Path(__file__).resolve().parent
REPO_ROOT = DEPLOY_DIR.parent
SETTINGS_FILE = DEPLOY_DIR / "settings.yaml"

CRON_KINDS = ("locker", "controller", "cleanup")
GCS_EVENT_TYPES = ("OBJECT_FINALIZE", "OBJECT_METADATA_UPDATE", "OBJECT_DELETE", "OBJECT_ARCHIVE")
MAX_EVENT_TIMEOUT_SECONDS = 540  # Cloud Functions limit for event-driven functions
# Project-level roles only (BigQuery job creation). Table, bucket-prefix and secret grants are derived per
# function: deploy/iam.py (what each role's code touches) and `functions.*.secrets`.
SA_SCOPES = ("project",)
MAX_ACK_DEADLINE_SECONDS = 600  # Pub/Sub's limit for a subscription's ack deadline

_MEMORY = re.compile(r"^(\d+)(Mi|Gi)$")
_SA_NAME = re.compile(r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$")
_FUNCTION_NAME = re.compile(r"^[a-z][a-z0-9-]{0,61}[a-z0-9]$")
_ROLE = re.compile(r"^roles/[A-Za-z0-9_.]+$")
_API = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)*\.googleapis\.com$")
_REGION = re.compile(r"^[a-z]+-[a-z]+[0-9]+$")
_LABEL_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,62}$")
_LABEL_VALUE = re.compile(r"^[a-z0-9_-]{0,63}$")
_DURATION = re.compile(r"^\d+[smhd]$")
_EMAIL = re.compile(r"^[^@\s,]+@[^@\s,]+\.[^@\s,]+$")
_ENV_VAR = re.compile(r"^[A-Z_][A-Z0-9_]*$")
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True)
class ServiceAccountSpec:
    key: str
    name: str
    description: str
    project: tuple[str, ...] = ()
    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    invoker_of: tuple[str, ...] = ()

    def email(self, project: str) -> str:
        return f"{self.name}@{project}.iam.gserviceaccount.com"


@dataclass(frozen=True)
class FunctionSpec:
    key: str  # folder under functions/
    name: str
    entry_point: str
    trigger_topic: str
    service_account: str
    trigger_service_account: str
    memory: str
    timeout_seconds: int
    max_instances: int
    ack_deadline_seconds: int = MAX_ACK_DEADLINE_SECONDS
    secrets: tuple[str, ...] = ()  # environment variables mapped from Secret Manager (secret id: deploy.plan.secret_id)
    extra_requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class JobSpec:
    key: str
    name: str
    topic: str
    cron: str  # one of CRON_KINDS


@dataclass(frozen=True)
class BackfillJobSpec:
    """The backfill Cloud Run Job (jobs/backfill/): how it runs; `key` is its folder under jobs/."""

    enabled: bool = True
    key: str = "backfill"
    name: str = "nba-orch-backfill"
    service_account: str = "backfill"
    memory: str = "1Gi"
    cpu: str = "1"
    task_timeout: str = "6h"
    max_retries: int = 3
    follow_margin_seconds: int = 300
    extra_requirements: tuple[str, ...] = ()  # the runtime lock only (deploy/lock.py)

    @property
    def task_timeout_seconds(self) -> int:
        return _seconds(self.task_timeout)

    @property
    def follow_seconds(self) -> int:
        """How long the job follows progress: the task timeout less the margin."""
        return self.task_timeout_seconds - self.follow_margin_seconds


@dataclass(frozen=True)
class MonitoringSpec:
    """Cloud Monitoring (deploy/monitoring.py): who is told, and the one tunable threshold."""

    notification_emails: tuple[str, ...] = ()
    webhook_url_env: str | None = None  # the variable holding a webhook URL at deploy time (a secret)
    function_errors_threshold: int = 0
    function_errors_window_seconds: int = 900
    dashboard: str = "nba-orch"


@dataclass(frozen=True)
class DeploySettings:
    region: str
    runtime: str
    bigquery_location: str
    bucket: str | None
    dataset: str | None
    labels: dict[str, str]
    apis: tuple[str, ...]
    service_accounts: dict[str, ServiceAccountSpec]
    functions: dict[str, FunctionSpec]
    dead_letter_subscription: str
    dead_letter_retention: str
    scheduler_jobs: dict[str, JobSpec]
    gcs_notification_event_types: tuple[str, ...]
    bucket_soft_delete: str = "7d"
    monitoring: MonitoringSpec = field(default_factory=MonitoringSpec)
    backfill_job: BackfillJobSpec = field(default_factory=BackfillJobSpec)


class _Check(Checker):
    """shared.config.Checker plus the value checks deploy settings need."""

    def text(self, value: Any, key: str, pattern: re.Pattern[str] | None = None, what: str = "") -> str:
        if not isinstance(value, str) or not value:
            self.fail(key, "is required (a string)")
        if pattern is not None and not pattern.match(value):
            self.fail(key, f"bad value {value!r}{': ' + what if what else ''}")
        return value

    def strings(self, value: Any, key: str, pattern: re.Pattern[str] | None = None, what: str = "") -> tuple[str, ...]:
        if value is None:
            return ()
        if not isinstance(value, list):
            self.fail(key, "must be a list")
        return tuple(self.text(v, f"{key}[{i}]", pattern, what) for i, v in enumerate(value))

    def integer(self, value: Any, key: str, lo: int, hi: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            self.fail(key, f"must be an integer from {lo} to {hi}, got {value!r}")
        return value


def _seconds(duration: str) -> int:
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[duration[-1]]


def requirement_pins(path: Path) -> dict[str, str]:
    """`name==version` lines of a requirements file, keyed by lower-case name."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line and not line.startswith("-"):
            name = line.split("==", 1)[0].strip()
            pins[name.lower()] = line
    return pins


def load_settings(path: str | Path | None = None) -> DeploySettings:
    """Load and validate the deploy settings; raises ConfigError naming file, key and problem."""
    p = Path(path) if path else SETTINGS_FILE
    c = _Check(p.name)
    try:
        raw = yaml.safe_load(p.read_text())
    except FileNotFoundError:
        raise ConfigError(p.name, "-", f"file not found at {p}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(p.name, "-", f"invalid YAML: {exc}") from None
    raw = c.mapping(raw, "settings")
    c.only(
        raw,
        {
            "region",
            "runtime",
            "bigquery_location",
            "bucket",
            "dataset",
            "labels",
            "apis",
            "service_accounts",
            "functions",
            "dead_letter_subscription",
            "scheduler_jobs",
            "gcs_notification_event_types",
            "bucket_soft_delete",
            "monitoring",
            "backfill_job",
        },
        "settings",
    )
    region = c.text(raw.get("region"), "region", _REGION, "expected a region such as us-west2")
    runtime = c.text(raw.get("runtime"), "runtime", re.compile(r"^python3\d+$"), "expected pythonNNN")
    labels = {}
    for k, v in c.mapping(raw.get("labels") or {}, "labels").items():
        labels[c.text(k, f"labels.{k}", _LABEL_KEY, "label keys are lower-case")] = c.text(
            v, f"labels.{k}", _LABEL_VALUE, "label values are lower-case letters, digits, - and _"
        )
    apis = c.strings(raw.get("apis"), "apis", _API, "expected NAME.googleapis.com")

    sas: dict[str, ServiceAccountSpec] = {}
    for key, body in c.mapping(raw.get("service_accounts"), "service_accounts").items():
        k = f"service_accounts.{key}"
        body = c.mapping(body, k)
        c.only(body, {"name", "description", "invoker_of", "topics", *SA_SCOPES}, k)
        roles = {s: c.strings(body.get(s), f"{k}.{s}", _ROLE, "expected roles/...") for s in SA_SCOPES}
        topics = {}
        for tkey, troles in c.mapping(body.get("topics") or {}, f"{k}.topics").items():
            if tkey not in TOPIC_DEFAULTS:
                c.fail(f"{k}.topics.{tkey}", f"unknown topic key (known: {', '.join(TOPIC_DEFAULTS)})")
            topics[tkey] = c.strings(troles, f"{k}.topics.{tkey}", _ROLE, "expected roles/...")
        sas[key] = ServiceAccountSpec(
            key=key,
            name=c.text(body.get("name"), f"{k}.name", _SA_NAME, "6-30 lower-case letters, digits and hyphens"),
            description=str(body.get("description") or ""),
            topics=topics,
            invoker_of=c.strings(body.get("invoker_of"), f"{k}.invoker_of"),
            **roles,
        )

    functions: dict[str, FunctionSpec] = {}
    dev_pins = requirement_pins(REPO_ROOT / "requirements-dev.txt")
    allowed = {
        "name",
        "entry_point",
        "trigger_topic",
        "service_account",
        "trigger_service_account",
        "memory",
        "timeout_seconds",
        "max_instances",
        "ack_deadline_seconds",
        "secrets",
        "extra_requirements",
    }
    for key, body in c.mapping(raw.get("functions"), "functions").items():
        k = f"functions.{key}"
        body = c.mapping(body, k)
        c.only(body, allowed, k)
        if not (REPO_ROOT / "functions" / key / "main.py").is_file():
            c.fail(k, f"no functions/{key}/main.py in the repository")
        memory = c.text(body.get("memory"), f"{k}.memory", _MEMORY, "expected e.g. 512Mi or 1Gi")
        m = _MEMORY.match(memory)
        mib = int(m.group(1)) * (1024 if m.group(2) == "Gi" else 1)
        if not 128 <= mib <= 32768:
            c.fail(f"{k}.memory", f"{memory} is outside 128Mi-32Gi")
        topic = c.text(body.get("trigger_topic"), f"{k}.trigger_topic")
        if topic not in TOPIC_DEFAULTS:
            c.fail(f"{k}.trigger_topic", f"unknown topic key {topic!r} (known: {', '.join(TOPIC_DEFAULTS)})")
        sa, tsa = body.get("service_account"), body.get("trigger_service_account")
        for name, val in (("service_account", sa), ("trigger_service_account", tsa)):
            if val not in sas:
                c.fail(f"{k}.{name}", f"unknown service account key {val!r} (known: {', '.join(sas)})")
        extras = c.strings(body.get("extra_requirements"), f"{k}.extra_requirements")
        for e in extras:
            if e.lower() not in dev_pins:
                c.fail(f"{k}.extra_requirements", f"{e!r} has no pin in requirements-dev.txt")
        secrets = c.strings(body.get("secrets"), f"{k}.secrets", _ENV_VAR, "an environment variable name")
        if len(set(secrets)) != len(secrets):
            c.fail(f"{k}.secrets", "lists a variable twice")
        timeout = c.integer(body.get("timeout_seconds"), f"{k}.timeout_seconds", 1, MAX_EVENT_TIMEOUT_SECONDS)
        # An ack deadline shorter than the function's run lets Pub/Sub redeliver a message still being handled.
        ack = c.integer(
            body.get("ack_deadline_seconds", MAX_ACK_DEADLINE_SECONDS),
            f"{k}.ack_deadline_seconds",
            timeout,
            MAX_ACK_DEADLINE_SECONDS,
        )
        functions[key] = FunctionSpec(
            key=key,
            name=c.text(body.get("name"), f"{k}.name", _FUNCTION_NAME, "lower-case letters, digits, hyphens"),
            entry_point=c.text(body.get("entry_point"), f"{k}.entry_point", _IDENT, "a Python function name"),
            trigger_topic=topic,
            service_account=sa,
            trigger_service_account=tsa,
            memory=memory,
            timeout_seconds=timeout,
            max_instances=c.integer(body.get("max_instances"), f"{k}.max_instances", 1, 1000),
            ack_deadline_seconds=ack,
            secrets=secrets,
            extra_requirements=extras,
        )
    for key, sa in sas.items():
        for fn in sa.invoker_of:
            if fn not in functions:
                c.fail(f"service_accounts.{key}.invoker_of", f"unknown function {fn!r}")
    for key, fn in functions.items():
        if key not in sas[fn.trigger_service_account].invoker_of:
            c.fail(
                f"functions.{key}.trigger_service_account",
                f"{fn.trigger_service_account!r} must list {key!r} in invoker_of, or Eventarc cannot invoke it",
            )

    dls = c.mapping(raw.get("dead_letter_subscription"), "dead_letter_subscription")
    c.only(dls, {"name", "retention"}, "dead_letter_subscription")
    dl_name = c.text(dls.get("name"), "dead_letter_subscription.name", _FUNCTION_NAME, "a subscription id")
    dl_retention = c.text(dls.get("retention"), "dead_letter_subscription.retention", _DURATION, "e.g. 7d")

    jobs: dict[str, JobSpec] = {}
    for key, body in c.mapping(raw.get("scheduler_jobs"), "scheduler_jobs").items():
        k = f"scheduler_jobs.{key}"
        body = c.mapping(body, k)
        c.only(body, {"name", "topic", "cron"}, k)
        topic = c.text(body.get("topic"), f"{k}.topic")
        if topic not in TOPIC_DEFAULTS:
            c.fail(f"{k}.topic", f"unknown topic key {topic!r}")
        cron = c.text(body.get("cron"), f"{k}.cron")
        if cron not in CRON_KINDS:
            c.fail(f"{k}.cron", f"must be one of {', '.join(CRON_KINDS)} (the cron itself comes from shared/config)")
        jobs[key] = JobSpec(
            key=key, name=c.text(body.get("name"), f"{k}.name", _FUNCTION_NAME, "a job id"), topic=topic, cron=cron
        )

    events = c.strings(raw.get("gcs_notification_event_types"), "gcs_notification_event_types")
    for e in events:
        if e not in GCS_EVENT_TYPES:
            c.fail("gcs_notification_event_types", f"unknown event type {e!r} (allowed: {', '.join(GCS_EVENT_TYPES)})")
    bucket, dataset = raw.get("bucket"), raw.get("dataset")
    if bucket is not None:
        c.text(bucket, "bucket", re.compile(r"^[a-z0-9][a-z0-9._-]{1,61}[a-z0-9]$"), "a bucket name")
    if dataset is not None:
        c.text(dataset, "dataset", re.compile(r"^[A-Za-z0-9_]{1,1024}$"), "letters, digits and _")
    soft_delete = c.text(raw.get("bucket_soft_delete", "7d"), "bucket_soft_delete", _DURATION, "e.g. 7d")
    sd_seconds = _seconds(soft_delete)
    if sd_seconds != 0 and not 7 * 86400 <= sd_seconds <= 90 * 86400:
        c.fail("bucket_soft_delete", f"{soft_delete}: Cloud Storage allows 0 (off) or 7 to 90 days")
    mon = c.mapping(raw.get("monitoring") or {}, "monitoring")
    c.only(
        mon,
        {
            "notification_emails",
            "webhook_url_env",
            "function_errors_threshold",
            "function_errors_window_seconds",
            "dashboard",
        },
        "monitoring",
    )
    default = MonitoringSpec()
    env_name = mon.get("webhook_url_env")
    monitoring = MonitoringSpec(
        notification_emails=c.strings(
            mon.get("notification_emails"), "monitoring.notification_emails", _EMAIL, "an email address"
        ),
        webhook_url_env=c.text(env_name, "monitoring.webhook_url_env", _ENV_VAR, "a variable name")
        if env_name is not None
        else None,
        function_errors_threshold=c.integer(
            mon.get("function_errors_threshold", default.function_errors_threshold),
            "monitoring.function_errors_threshold",
            0,
            100000,
        ),
        function_errors_window_seconds=c.integer(
            mon.get("function_errors_window_seconds", default.function_errors_window_seconds),
            "monitoring.function_errors_window_seconds",
            60,
            86400,
        ),
        dashboard=c.text(mon.get("dashboard", default.dashboard), "monitoring.dashboard"),
    )
    backfill_job = _backfill_job(c, raw.get("backfill_job"), sas)
    return DeploySettings(
        region=region,
        runtime=runtime,
        bigquery_location=c.text(raw.get("bigquery_location"), "bigquery_location"),
        bucket=bucket,
        dataset=dataset,
        labels=labels,
        apis=apis,
        service_accounts=sas,
        functions=functions,
        dead_letter_subscription=dl_name,
        dead_letter_retention=dl_retention,
        scheduler_jobs=jobs,
        gcs_notification_event_types=events,
        bucket_soft_delete=soft_delete,
        monitoring=monitoring,
        backfill_job=backfill_job,
    )


MAX_TASK_TIMEOUT_SECONDS = 24 * 3600  # Cloud Run jobs' generally available limit per task attempt


def _backfill_job(c: _Check, raw: Any, sas: dict[str, ServiceAccountSpec]) -> BackfillJobSpec:
    """The `backfill_job` section (defaults: BackfillJobSpec). With `enabled: false` deploy leaves the job and
    its account out; teardown still removes them (they may exist from an earlier deploy)."""
    default = BackfillJobSpec()
    body = c.mapping(raw if raw is not None else {}, "backfill_job")
    keys = {"enabled", "name", "service_account", "memory", "cpu", "task_timeout", "max_retries"}
    c.only(body, keys | {"follow_margin_seconds"}, "backfill_job")
    enabled = body.get("enabled", default.enabled)
    if not isinstance(enabled, bool):
        c.fail("backfill_job.enabled", f"must be true or false, got {enabled!r}")
    if not (REPO_ROOT / "jobs" / default.key / "main.py").is_file():
        c.fail("backfill_job", f"no jobs/{default.key}/main.py in the repository")
    sa = body.get("service_account", default.service_account)
    if sa not in sas:
        c.fail("backfill_job.service_account", f"unknown service account key {sa!r} (known: {', '.join(sas)})")
    memory = c.text(body.get("memory", default.memory), "backfill_job.memory", _MEMORY, "expected e.g. 512Mi or 1Gi")
    cpu = str(body.get("cpu", default.cpu))
    if cpu not in ("1", "2", "4", "6", "8"):
        c.fail("backfill_job.cpu", f"must be 1, 2, 4, 6 or 8, got {cpu!r}")
    timeout = c.text(body.get("task_timeout", default.task_timeout), "backfill_job.task_timeout", _DURATION, "e.g. 6h")
    if not 60 <= _seconds(timeout) <= MAX_TASK_TIMEOUT_SECONDS:
        c.fail("backfill_job.task_timeout", f"{timeout}: Cloud Run jobs allow 1m to 24h per attempt")
    margin = c.integer(
        body.get("follow_margin_seconds", default.follow_margin_seconds),
        "backfill_job.follow_margin_seconds",
        0,
        _seconds(timeout) - 1,
    )
    return BackfillJobSpec(
        enabled=enabled,
        name=c.text(body.get("name", default.name), "backfill_job.name", _FUNCTION_NAME, "a job id"),
        service_account=sa,
        memory=memory,
        cpu=cpu,
        task_timeout=timeout,
        max_retries=c.integer(body.get("max_retries", default.max_retries), "backfill_job.max_retries", 0, 10),
        follow_margin_seconds=margin,
    )
