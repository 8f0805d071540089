"""BigQuery views over the audit tables, as code: what Looker Studio or Grafana read directly (issue 16).

One SQL text per view (standard SQL), with `{project}`, `{dataset}`, `{timezone}` and `{day_start_minutes}`
filled in by `render` (the operational day of an instant: its local wall time minus the day start, then its
date, as shared.rules.operational_day_of, DST included). Created locally by tooling/provision.py (`CREATE OR
REPLACE VIEW` on the emulator, which supports views) and in the cloud by deploy/views.py (`bq mk --view`,
updated only when the stored text differs).

- `day_health`: per operational day, expected workflows (the locked schedule) vs decided vs RUN, the
  decisions by action, the scraper runs by status, alerts opened/resolved/still open, and `ok`: every
  expected workflow decided, no CRITICAL decision, no ERROR/CRITICAL alert of the day still open.
- `sla_misses`: one row per alert (rule, subject, opened_at): severity, resolution, duration, repeats.
- `runs_by_source_status`: per day, source, scraper and status: runs and the p50/p95 duration
  (APPROX_QUANTILES: approximate on BigQuery, exact on the emulator). Cleanup's recovery rows are not runs.
"""

from __future__ import annotations

from typing import Any


def _opday(col: str) -> str:
    return f"DATE(DATETIME_SUB(DATETIME({col}, '{{timezone}}'), INTERVAL {{day_start_minutes}} MINUTE))"


_T = "`{project}.{dataset}.%s`"

DAY_HEALTH = f"""
WITH expected AS (
  SELECT date AS day, workflow_name, expected_run_time FROM {_T % "daily_expected_schedule"}
),
decisions AS (
  SELECT {_opday("decision_time")} AS day, workflow_name, action, alert_level
  FROM {_T % "workflow_decisions"}
),
expected_days AS (
  SELECT day, COUNT(DISTINCT workflow_name) AS expected_workflows,
    COUNT(DISTINCT CONCAT(workflow_name, '@', CAST(expected_run_time AS STRING))) AS expected_runs
  FROM expected GROUP BY day
),
undecided AS (
  SELECT e.day, COUNT(DISTINCT e.workflow_name) AS undecided_workflows
  FROM expected AS e
  LEFT JOIN (SELECT DISTINCT day, workflow_name FROM decisions) AS d
    ON d.day = e.day AND d.workflow_name = e.workflow_name
  WHERE d.workflow_name IS NULL
  GROUP BY e.day
),
decided AS (
  SELECT day, COUNT(DISTINCT workflow_name) AS decided_workflows,
    COUNT(DISTINCT IF(action = 'RUN', workflow_name, NULL)) AS run_workflows,
    COUNTIF(action = 'RUN') AS run_decisions, COUNTIF(action = 'SKIP') AS skip_decisions,
    COUNTIF(action = 'ABORT') AS abort_decisions, COUNTIF(alert_level = 'CRITICAL') AS critical_decisions
  FROM decisions GROUP BY day
),
runs AS (
  SELECT {_opday("triggered_at")} AS day, COUNT(*) AS runs, COUNTIF(status = 'success') AS runs_success,
    COUNTIF(status = 'no_data') AS runs_no_data, COUNTIF(status = 'failed') AS runs_failed,
    COUNTIF(error_type = 'blocked') AS runs_blocked
  FROM {_T % "scraper_execution_log"} WHERE recovery IS NOT TRUE GROUP BY day
),
alert_state AS (
  SELECT COALESCE(day, {_opday("opened_at")}) AS day, key, opened_at, ANY_VALUE(severity) AS severity,
    LOGICAL_OR(event = 'resolved') AS resolved
  FROM {_T % "alerts"} GROUP BY 1, key, opened_at
),
alert_days AS (
  SELECT day, COUNT(*) AS alerts_opened, COUNTIF(resolved) AS alerts_resolved,
    COUNTIF(NOT resolved) AS alerts_open,
    COUNTIF(NOT resolved AND severity IN ('ERROR', 'CRITICAL')) AS serious_alerts_open
  FROM alert_state GROUP BY day
),
days AS (
  SELECT day FROM expected_days UNION DISTINCT SELECT day FROM decided
  UNION DISTINCT SELECT day FROM runs UNION DISTINCT SELECT day FROM alert_days
)
SELECT days.day,
  IFNULL(expected_workflows, 0) AS expected_workflows, IFNULL(expected_runs, 0) AS expected_runs,
  IFNULL(decided_workflows, 0) AS decided_workflows, IFNULL(undecided_workflows, 0) AS undecided_workflows,
  IFNULL(run_workflows, 0) AS run_workflows, IFNULL(run_decisions, 0) AS run_decisions,
  IFNULL(skip_decisions, 0) AS skip_decisions, IFNULL(abort_decisions, 0) AS abort_decisions,
  IFNULL(critical_decisions, 0) AS critical_decisions,
  IFNULL(runs, 0) AS runs, IFNULL(runs_success, 0) AS runs_success, IFNULL(runs_no_data, 0) AS runs_no_data,
  IFNULL(runs_failed, 0) AS runs_failed, IFNULL(runs_blocked, 0) AS runs_blocked,
  IFNULL(alerts_opened, 0) AS alerts_opened, IFNULL(alerts_resolved, 0) AS alerts_resolved,
  IFNULL(alerts_open, 0) AS alerts_open,
  (IFNULL(undecided_workflows, 0) = 0 AND IFNULL(critical_decisions, 0) = 0
    AND IFNULL(serious_alerts_open, 0) = 0) AS ok
FROM days
LEFT JOIN expected_days USING (day)
LEFT JOIN undecided USING (day)
LEFT JOIN decided USING (day)
LEFT JOIN runs USING (day)
LEFT JOIN alert_days USING (day)
"""

SLA_MISSES = f"""
SELECT COALESCE(day, {_opday("opened_at")}) AS day, rule, subject, key, ANY_VALUE(severity) AS severity,
  opened_at, MAX(resolved_at) AS resolved_at, MAX(last_seen) AS last_seen, MAX(count) AS count,
  MAX(resolved_at) IS NULL AS still_open,
  TIMESTAMP_DIFF(MAX(resolved_at), opened_at, SECOND) / 60.0 AS duration_minutes,
  ARRAY_AGG(detail ORDER BY event_time DESC LIMIT 1)[SAFE_OFFSET(0)] AS detail
FROM {_T % "alerts"}
GROUP BY 1, rule, subject, key, opened_at
"""

RUNS_BY_SOURCE_STATUS = f"""
SELECT {_opday("triggered_at")} AS day, IFNULL(source, '') AS source, scraper_name, status, COUNT(*) AS runs,
  APPROX_QUANTILES(duration_seconds, 100 IGNORE NULLS)[SAFE_OFFSET(50)] AS p50_duration_seconds,
  APPROX_QUANTILES(duration_seconds, 100 IGNORE NULLS)[SAFE_OFFSET(95)] AS p95_duration_seconds
FROM {_T % "scraper_execution_log"}
WHERE recovery IS NOT TRUE
GROUP BY 1, 2, scraper_name, status
"""

VIEWS: dict[str, tuple[str, str]] = {
    "day_health": (DAY_HEALTH, "Per operational day: expected vs decided vs RUN workflows, runs, alerts, ok."),
    "sla_misses": (SLA_MISSES, "One row per alert (rule, subject, opened_at): severity, resolution, duration."),
    "runs_by_source_status": (RUNS_BY_SOURCE_STATUS, "Runs per day, source, scraper and status; p50/p95 seconds."),
}


def render(name: str, project: str, dataset: str, cfg: Any) -> str:
    """The view's SELECT for this project and dataset, in the configuration's time zone and day start."""
    ds = cfg.operational_day_start
    return (
        VIEWS[name][0]
        .strip()
        .format(
            project=project,
            dataset=dataset,
            timezone=str(cfg.timezone),
            day_start_minutes=ds.hour * 60 + ds.minute,
        )
    )


def ensure_views(client: Any, project: str, dataset: str, cfg: Any) -> list[str]:
    """Create or replace every view (local stack and tests; idempotent: the same text each time)."""
    for name in VIEWS:
        sql = render(name, project, dataset, cfg)
        client.query(f"CREATE OR REPLACE VIEW `{project}.{dataset}.{name}` AS\n{sql}").result()
    return list(VIEWS)
