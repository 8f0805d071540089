"""Phase 8 of the deploy: Google Cloud's own alerting, as code.

What it makes (all named `nba-orch-...`, labelled like the rest):
- log-based metrics over the functions' JSON lines (shared/log.py; fields are kept in `jsonPayload`):
  errors per function, CRITICAL controller decisions, alert life-cycle events by rule (`alert_event`, the
  contract with the alerts role), `blocked` scraper runs, scraper runs by scraper and status, controller
  decisions (a distribution of each tick's `decisions_written`), Odds API credits remaining (a distribution of
  the scrapers' `result.summary.quota.requests_remaining`, the `x-requests-remaining` header each Odds API
  answer carries), and Cloud Scheduler job failures (Scheduler has no built-in failure metric: its
  `AttemptFinished` log entries at ERROR are counted);
- notification channels from deploy settings: one email channel per address, a webhook channel when the
  variable named by `monitoring.webhook_url_env` is set at deploy time (its URL goes in a file, never on a
  command line);
- alert policies on those metrics and on the dead-letter backlog (`subscription/num_undelivered_messages` of
  the dead-letter pull subscription > 0);
- one dashboard: runs by status per scraper, decisions per hour, alert events and open incidents, the
  dead-letter backlog, Odds API credits remaining, errors per function.

Metrics describe by name; channels, policies and dashboards get server-made ids, so they are found by their
display name (`list --filter`), and an empty list means "missing". Each resource's desired body is a JSON
file written under build/deploy/monitoring/ (Ctx.file); an update is issued only when the body differs from
what the API returns (`matches`: every desired field equal, a missing one equal to its proto default).
"""

from __future__ import annotations

import json
import os
from typing import Any

from deploy.plan import Cmd, Ctx, Step

PHASE = 8
USER_METRIC = "logging.googleapis.com/user/"
DLQ_METRIC = "pubsub.googleapis.com/subscription/num_undelivered_messages"


def _zero(value: Any) -> bool:
    return value in (0, 0.0, "0s", "", False, None, [], {})


def matches(desired: Any, current: Any) -> bool:
    """`current` (an API answer) has every field of `desired` with the same value; extra fields are the API's
    own; a field the API omits is equal to a default value (proto3 JSON leaves defaults out)."""
    if isinstance(desired, dict):
        if not isinstance(current, dict):
            return _zero(current) and all(_zero(v) for v in desired.values())
        return all(matches(v, current.get(k)) if k in current else _zero(v) for k, v in desired.items())
    if isinstance(desired, list):
        return isinstance(current, list) and len(current) == len(desired) and all(map(matches, desired, current))
    if isinstance(desired, bool) or isinstance(current, bool):
        return desired == current
    if isinstance(desired, int | float) and isinstance(current, int | float | str):
        try:
            return float(desired) == float(current)
        except ValueError:
            return False
    return desired == current


def _q(value: str) -> str:
    return json.dumps(value)


def _functions_filter(ctx: Ctx) -> str:
    names = " OR ".join(_q(f.name) for f in ctx.settings.functions.values())
    return f'resource.type="cloud_run_revision" AND resource.labels.service_name=({names})'


def _label(key: str, description: str) -> dict[str, str]:
    return {"key": key, "valueType": "STRING", "description": description}


def _counter(description: str, filt: str, labels: dict[str, tuple[str, str]]) -> dict[str, Any]:
    """A DELTA INT64 log-based metric: one per matching line; labels: key -> (extractor field, description)."""
    return {
        "description": description,
        "filter": filt,
        "metricDescriptor": {
            "metricKind": "DELTA",
            "valueType": "INT64",
            "unit": "1",
            "labels": [_label(k, d) for k, (_, d) in labels.items()],
        },
        "labelExtractors": {k: f"EXTRACT({field})" for k, (field, _) in labels.items()},
    }


def _distribution(description: str, filt: str, value_field: str, unit: str, buckets: int) -> dict[str, Any]:
    return {
        "description": description,
        "filter": f"{filt} AND {value_field}>=0",
        "metricDescriptor": {"metricKind": "DELTA", "valueType": "DISTRIBUTION", "unit": unit},
        "valueExtractor": f"EXTRACT({value_field})",
        "bucketOptions": {"exponentialBuckets": {"numFiniteBuckets": buckets, "growthFactor": 2, "scale": 1}},
    }


def metric_bodies(ctx: Ctx) -> dict[str, dict[str, Any]]:
    """name -> LogMetric body (the API's field names)."""
    fn = _functions_filter(ctx)
    return {
        "nba-orch-function-errors": _counter(
            "nba-orch: log lines at ERROR or above, per function",
            f"{fn} AND severity>=ERROR AND jsonPayload.function:*",
            {"function": ("jsonPayload.function", "the function (shared.edge binds it to every line)")},
        ),
        "nba-orch-critical-decisions": _counter(
            "nba-orch: CRITICAL master_controller decisions, per workflow",
            f'{fn} AND severity=CRITICAL AND jsonPayload.function="master_controller" AND jsonPayload.decision_id:*',
            {"workflow": ("jsonPayload.workflow", "the workflow decided")},
        ),
        "nba-orch-alert-events": _counter(
            "nba-orch: alert life-cycle events (opened, repeated, resolved), per rule",
            f"{fn} AND jsonPayload.alert_event:*",
            {
                "rule": ("jsonPayload.alert_rule", "the alert rule"),
                "event": ("jsonPayload.alert_event", "opened, repeated or resolved"),
                "severity": ("jsonPayload.alert_severity", "the alert's severity"),
            },
        ),
        "nba-orch-blocked-runs": _counter(
            "nba-orch: scraper runs the upstream blocked, per scraper",
            f'{fn} AND jsonPayload.error_type="blocked" AND jsonPayload.execution_id:*',
            {"scraper": ("jsonPayload.scraper_name", "the scraper")},
        ),
        "nba-orch-scraper-runs": _counter(
            "nba-orch: finished scraper runs, per scraper and status",
            f'{fn} AND jsonPayload.function="scrapers" AND jsonPayload.execution_id:* AND jsonPayload.follow_ups>=0',
            {
                "scraper": ("jsonPayload.scraper_name", "the scraper"),
                "status": ("jsonPayload.status", "success, no_data, failed..."),
            },
        ),
        "nba-orch-decisions": _distribution(
            "nba-orch: decisions written per master_controller tick (sum per hour = decisions per hour)",
            f'{fn} AND jsonPayload.function="master_controller"',
            "jsonPayload.result.decisions_written",
            "1",
            12,
        ),
        "nba-orch-odds-credits-remaining": _distribution(
            "nba-orch: Odds API credits remaining (x-requests-remaining) after each Odds API call",
            f'{fn} AND jsonPayload.function="scrapers"',
            "jsonPayload.result.summary.quota.requests_remaining",
            "1",
            24,
        ),
        "nba-orch-scheduler-failures": _counter(
            "nba-orch: Cloud Scheduler tick attempts that failed, per job",
            'resource.type="cloud_scheduler_job" AND severity>=ERROR AND resource.labels.job_id=('
            + " OR ".join(_q(j.name) for j in ctx.settings.scheduler_jobs.values())
            + ")",
            {"job": ("resource.labels.job_id", "the Cloud Scheduler job")},
        ),
    }


class LogMetric(Step):
    phase = PHASE

    def __init__(self, name: str) -> None:
        super().__init__(f"log-based metric {name}")
        self.name = name

    def body(self, ctx: Ctx) -> dict[str, Any]:
        return metric_bodies(ctx)[self.name]

    def file(self, ctx: Ctx) -> str:
        return str(ctx.file(f"monitoring/metric-{self.name}.json", json.dumps(self.body(ctx), indent=1) + "\n"))

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud("logging", "metrics", "describe", self.name, json_out=True)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [ctx.gcloud("logging", "metrics", "create", self.name, f"--config-from-file={self.file(ctx)}")]

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        if matches(self.body(ctx), current):
            return []
        ctx.notes.append("definition differs")
        return self.preview_update(ctx)

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        return [ctx.gcloud("logging", "metrics", "update", self.name, f"--config-from-file={self.file(ctx)}")]


class _Listed(Step):
    """A resource with a server-made id, found by display name; its id is recorded as fact `key`."""

    phase = PHASE
    empty_is_missing = True
    group: tuple[str, ...] = ()
    file_flag = ""

    def __init__(self, key: str, display_name: str) -> None:
        super().__init__(display_name)
        self.key, self.display_name = key, display_name

    def body(self, ctx: Ctx) -> dict[str, Any]:
        raise NotImplementedError

    def file(self, ctx: Ctx, extra: dict[str, Any] | None = None) -> str:
        content = json.dumps({**self.body(ctx), **(extra or {})}, indent=1) + "\n"
        path = ctx.file(f"monitoring/{self.key}.json", content)
        path.chmod(0o600)  # a webhook channel's file holds its URL
        return str(path)

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.gcloud(*self.group, "list", f"--filter=displayName={_q(self.display_name)}", json_out=True)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [ctx.gcloud(*self.group, "create", f"--{self.file_flag}={self.file(ctx)}")]

    def _current(self, ctx: Ctx, current: Any) -> dict[str, Any]:
        items = current if isinstance(current, list) else [current]
        if len(items) > 1:
            ctx.warnings.append(f"{len(items)} {self.label} exist; the first is kept up to date, delete the others")
        return items[0] if items else {}

    def comparable(self, ctx: Ctx) -> dict[str, Any]:
        return self.body(ctx)

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        cur = self._current(ctx, current)
        if matches(self.comparable(ctx), cur):
            return []
        ctx.notes.append("definition differs")
        return [self._update(ctx, cur.get("name", ""), cur)]

    def _update(self, ctx: Ctx, name: str, cur: dict[str, Any]) -> Cmd:
        return ctx.gcloud(*self.group, "update", name, f"--{self.file_flag}={self.file(ctx)}")

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        return [self._update(ctx, self.placeholder(ctx), {"etag": "ETAG"})]

    def placeholder(self, ctx: Ctx) -> str:
        return f"projects/{ctx.project}/{self.group[-1]}/ID_OF_{self.key}"

    def record(self, ctx: Ctx, current: Any) -> None:
        cur = self._current(ctx, current) if isinstance(current, list | dict) and current else {}
        ctx.facts[self.key] = cur.get("name") or self.placeholder(ctx)


class Channel(_Listed):
    group = ("beta", "monitoring", "channels")
    file_flag = "channel-content-from-file"
    redescribe = True  # the policies name the channel by the id the create made

    def __init__(self, key: str, display_name: str, type_: str, labels: dict[str, str]) -> None:
        super().__init__(key, display_name)
        self.type, self.labels = type_, labels
        self.label = f"notification channel {display_name}"

    def body(self, ctx: Ctx) -> dict[str, Any]:
        return {
            "type": self.type,
            "displayName": self.display_name,
            "description": "nba-orch alerts (deploy/settings.yaml monitoring)",
            "labels": self.labels,
            "userLabels": dict(ctx.settings.labels),
            "enabled": True,
        }

    def placeholder(self, ctx: Ctx) -> str:
        return f"projects/{ctx.project}/notificationChannels/ID_OF_{self.key}"


def channels(ctx: Ctx) -> list[Channel]:
    m = ctx.settings.monitoring
    out = [
        Channel(f"channel-email-{i}", f"nba-orch email {addr}", "email", {"email_address": addr})
        for i, addr in enumerate(m.notification_emails)
    ]
    url = os.environ.get(m.webhook_url_env) if m.webhook_url_env else None
    if url:
        out.append(Channel("channel-webhook", "nba-orch webhook", "webhook_tokenauth", {"url": url}))
    return out


def _threshold(
    name: str, filt: str, threshold: float, window_s: int, aligner: str, group_by: list[str]
) -> dict[str, Any]:
    agg: dict[str, Any] = {"alignmentPeriod": f"{window_s}s", "perSeriesAligner": aligner}
    if group_by:
        agg.update(crossSeriesReducer="REDUCE_SUM", groupByFields=group_by)
    return {
        "displayName": name,
        "conditionThreshold": {
            "filter": filt,
            "aggregations": [agg],
            "comparison": "COMPARISON_GT",
            "thresholdValue": threshold,
            "duration": "0s",
            "trigger": {"count": 1},
        },
    }


def policy_specs(ctx: Ctx) -> dict[str, tuple[str, str, dict[str, Any]]]:
    """key -> (display name, severity, condition)."""
    m = ctx.settings.monitoring
    user = f'resource.type="cloud_run_revision" AND metric.type="{USER_METRIC}'
    return {
        "policy-function-errors": (
            "nba-orch: function errors",
            "ERROR",
            _threshold(
                f"more than {m.function_errors_threshold} ERROR lines in {m.function_errors_window_seconds} s",
                f'{user}nba-orch-function-errors"',
                m.function_errors_threshold,
                m.function_errors_window_seconds,
                "ALIGN_SUM",
                ["metric.label.function"],
            ),
        ),
        "policy-critical-decisions": (
            "nba-orch: CRITICAL controller decision",
            "CRITICAL",
            _threshold(
                "a CRITICAL decision",
                f'{user}nba-orch-critical-decisions"',
                0,
                300,
                "ALIGN_SUM",
                ["metric.label.workflow"],
            ),
        ),
        "policy-alerts-opened": (
            "nba-orch: alert opened",
            "WARNING",
            _threshold(
                "an alert opened",
                f'{user}nba-orch-alert-events" AND metric.label.event="opened"',
                0,
                300,
                "ALIGN_SUM",
                ["metric.label.rule"],
            ),
        ),
        "policy-blocked-runs": (
            "nba-orch: scraper blocked by its upstream",
            "WARNING",
            _threshold(
                "a blocked run",
                f'{user}nba-orch-blocked-runs"',
                0,
                900,
                "ALIGN_SUM",
                ["metric.label.scraper"],
            ),
        ),
        "policy-dead-letters": (
            "nba-orch: dead letters waiting",
            "ERROR",
            _threshold(
                "dead-letter backlog > 0",
                f'resource.type="pubsub_subscription" AND metric.type="{DLQ_METRIC}" AND '
                f'resource.labels.subscription_id="{ctx.settings.dead_letter_subscription}"',
                0,
                300,
                "ALIGN_MAX",
                [],
            ),
        ),
        "policy-scheduler-failures": (
            "nba-orch: Cloud Scheduler tick failed",
            "ERROR",
            _threshold(
                "a failed tick attempt",
                f'resource.type="cloud_scheduler_job" AND metric.type="{USER_METRIC}nba-orch-scheduler-failures"',
                0,
                900,
                "ALIGN_SUM",
                ["metric.label.job"],
            ),
        ),
    }


DOCS = {
    "policy-function-errors": "A function logged errors. `gcloud logging read 'severity>=ERROR AND "
    'jsonPayload.function="<function>"\'`; a message that keeps failing ends in the dead letters (`nba-orch dlq '
    "list`).",
    "policy-critical-decisions": "The controller decided ABORT at CRITICAL for a workflow: see its "
    "`workflow_decisions` rows and `nba-orch status`.",
    "policy-alerts-opened": "An nba-orch alert opened (the notifier also delivers it): `nba-orch alerts list --open`.",
    "policy-blocked-runs": "An upstream refused a scraper (error_type blocked): see the scraper's `scraper_runs` rows.",
    "policy-dead-letters": "Messages were dead-lettered: `nba-orch dlq list`, then `nba-orch dlq replay --id ID` "
    "once the cause is fixed.",
    "policy-scheduler-failures": "A Cloud Scheduler tick could not be delivered: `gcloud scheduler jobs describe`.",
}


class Policy(_Listed):
    group = ("alpha", "monitoring", "policies")
    file_flag = "policy-from-file"

    def __init__(self, key: str, display_name: str, severity: str, condition: dict[str, Any]) -> None:
        super().__init__(key, display_name)
        self.severity, self.condition = severity, condition
        self.label = f"alert policy {display_name}"

    def body(self, ctx: Ctx) -> dict[str, Any]:
        return {
            "displayName": self.display_name,
            "documentation": {"content": DOCS[self.key], "mimeType": "text/markdown"},
            "userLabels": dict(ctx.settings.labels),
            "combiner": "OR",
            "conditions": [self.condition],
            "notificationChannels": [ctx.fact(c.key, c.placeholder(ctx)) for c in channels(ctx)],
            "alertStrategy": {"autoClose": "86400s"},
            "severity": self.severity,
            "enabled": True,
        }

    def placeholder(self, ctx: Ctx) -> str:
        return f"projects/{ctx.project}/alertPolicies/ID_OF_{self.key}"


def _chart(title: str, data_sets: list[dict[str, Any]], x: int, y: int) -> dict[str, Any]:
    return {
        "xPos": x,
        "yPos": y,
        "width": 24,
        "height": 16,
        "widget": {"title": title, "xyChart": {"dataSets": data_sets}},
    }


def _series(filt: str, period: int, aligner: str, group_by: list[str], plot: str = "LINE") -> dict[str, Any]:
    agg: dict[str, Any] = {"alignmentPeriod": f"{period}s", "perSeriesAligner": aligner}
    if group_by:
        agg.update(crossSeriesReducer="REDUCE_SUM", groupByFields=group_by)
    return {"timeSeriesQuery": {"timeSeriesFilter": {"filter": filt, "aggregation": agg}}, "plotType": plot}


class Dashboard(_Listed):
    group = ("monitoring", "dashboards")
    file_flag = "config-from-file"

    def __init__(self, display_name: str) -> None:
        super().__init__("dashboard", display_name)
        self.label = f"dashboard {display_name}"

    def body(self, ctx: Ctx) -> dict[str, Any]:
        def user(name: str) -> str:
            return f'metric.type="{USER_METRIC}{name}"'

        dlq = (
            f'metric.type="{DLQ_METRIC}" AND resource.type="pubsub_subscription" AND '
            f'resource.labels.subscription_id="{ctx.settings.dead_letter_subscription}"'
        )
        # Decisions per hour: the hourly sum of the per-tick distribution, which only PromQL can express.
        decisions = {
            "timeSeriesQuery": {
                "prometheusQuery": "sum(increase(logging_googleapis_com:user_nba_orch_decisions_sum[1h]))"
            },
            "plotType": "STACKED_BAR",
        }
        tiles = [
            _chart(
                "Scraper runs by status, per scraper (per hour)",
                [
                    _series(
                        user("nba-orch-scraper-runs"),
                        3600,
                        "ALIGN_SUM",
                        ["metric.label.scraper", "metric.label.status"],
                        "STACKED_BAR",
                    )
                ],
                0,
                0,
            ),
            _chart("Controller decisions per hour", [decisions], 24, 0),
            _chart(
                "Alert events by rule (opened / repeated / resolved)",
                [
                    _series(
                        user("nba-orch-alert-events"),
                        3600,
                        "ALIGN_SUM",
                        ["metric.label.rule", "metric.label.event"],
                        "STACKED_BAR",
                    )
                ],
                0,
                16,
            ),
            {
                "xPos": 24,
                "yPos": 16,
                "width": 24,
                "height": 16,
                "widget": {"title": "Open incidents (nba-orch alert policies)", "incidentList": {}},
            },
            _chart("Dead-letter backlog", [_series(dlq, 300, "ALIGN_MAX", [])], 0, 32),
            _chart(
                "Odds API credits remaining (lowest 5% of the hour's readings)",
                [_series(user("nba-orch-odds-credits-remaining"), 3600, "ALIGN_PERCENTILE_05", [])],
                24,
                32,
            ),
            _chart(
                "Errors per function",
                [_series(user("nba-orch-function-errors"), 900, "ALIGN_SUM", ["metric.label.function"])],
                0,
                48,
            ),
        ]
        return {
            "displayName": self.display_name,
            "labels": dict(ctx.settings.labels),
            "mosaicLayout": {"columns": 48, "tiles": tiles},
        }

    def _update(self, ctx: Ctx, name: str, cur: dict[str, Any]) -> Cmd:
        # A dashboard update must carry the current etag (optimistic concurrency).
        path = self.file(ctx, {"name": name, "etag": cur.get("etag", "")})
        return ctx.gcloud(*self.group, "update", name, f"--{self.file_flag}={path}")

    def placeholder(self, ctx: Ctx) -> str:
        return f"projects/{ctx.facts.get('project_number', 'PROJECT_NUMBER')}/dashboards/ID_OF_dashboard"


def monitoring_steps(ctx: Ctx) -> list[Step]:
    m = ctx.settings.monitoring
    steps: list[Step] = [LogMetric(name) for name in metric_bodies(ctx)]
    steps += channels(ctx)
    steps += [Policy(k, name, sev, cond) for k, (name, sev, cond) in policy_specs(ctx).items()]
    steps.append(Dashboard(m.dashboard))
    return steps
