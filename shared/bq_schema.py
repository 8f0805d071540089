"""BigQuery schemas of dataset `nba_orchestration`, as code shared by the functions, the local stack and deploy.

Each table is day-partitioned on its time column (partitions expire after the configured days) and created
idempotently: an existing table is left as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# (name, type, mode, sub-fields) — kept as plain tuples so `deploy` can render them without the client.
Field = tuple[str, str, str, tuple["Field", ...]]


def f(name: str, type_: str, mode: str = "NULLABLE", fields: tuple[Field, ...] = ()) -> Field:
    return (name, type_, mode, fields)


@dataclass(frozen=True)
class TableSpec:
    name: str
    fields: tuple[Field, ...]
    partition_field: str
    clustering: tuple[str, ...] = ()
    description: str = ""


TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (
        TableSpec(
            "daily_expected_schedule",
            (
                f("date", "DATE", "REQUIRED"),
                f("locked_at", "TIMESTAMP", "REQUIRED"),
                f("workflow_name", "STRING", "REQUIRED"),
                f("expected_run_time", "TIMESTAMP", "REQUIRED"),
                f("reason", "STRING"),
                f("scrapers", "STRING", "REPEATED"),
                f("games_today", "INT64"),
                f("priority", "STRING"),
                f("schedule_version", "STRING"),
                f("generated_by", "STRING"),
                f("environment", "STRING"),
            ),
            partition_field="date",
            clustering=("workflow_name",),
            description="The day's expected workflow runs, locked at 05:00 ET.",
        ),
        TableSpec(
            "workflow_decisions",
            (
                f("decision_id", "STRING", "REQUIRED"),
                f("decision_time", "TIMESTAMP", "REQUIRED"),
                f("workflow_name", "STRING", "REQUIRED"),
                f("action", "STRING", "REQUIRED"),
                f("reason", "STRING"),
                f("context", "JSON"),
                f("scrapers_triggered", "STRING", "REPEATED"),
                f("target_games", "STRING", "REPEATED"),
                f("next_check_time", "TIMESTAMP"),
                f("priority", "STRING"),
                f("alert_level", "STRING"),
                f("controller_version", "STRING"),
                f("environment", "STRING"),
                f("triggered_by", "STRING"),
            ),
            partition_field="decision_time",
            clustering=("workflow_name", "action"),
            description="Every RUN/SKIP/ABORT decision of the master controller, with its reason.",
        ),
        TableSpec(
            "scraper_execution_log",
            (
                f("execution_id", "STRING", "REQUIRED"),
                f("request_id", "STRING"),
                f("scraper_name", "STRING", "REQUIRED"),
                f("workflow", "STRING"),
                f("status", "STRING", "REQUIRED"),
                f("triggered_at", "TIMESTAMP", "REQUIRED"),
                f("completed_at", "TIMESTAMP"),
                f("duration_seconds", "FLOAT64"),
                f("source", "STRING"),
                f("environment", "STRING"),
                f("triggered_by", "STRING"),
                f("gcs_path", "STRING"),
                f("data_summary", "JSON"),
                f("error_type", "STRING"),
                f("error_message", "STRING"),
                f("retry_count", "INT64"),
                f("recovery", "BOOL"),
                f("opts", "JSON"),
                f("notification_message_id", "STRING"),
                # the raw answer of a failed run, kept to be re-parsed (gs://.../_nba-orch/quarantine/...)
                f("quarantine_path", "STRING"),
                # codes an alert can count, e.g. "schema_drift" (detail in data_summary)
                f("warnings", "STRING", "REPEATED"),
            ),
            partition_field="triggered_at",
            clustering=("scraper_name", "workflow", "status", "source"),
            description="One row per scraper run (and per recovery republish).",
        ),
        TableSpec(
            "cleanup_operations",
            (
                f("cleanup_id", "STRING", "REQUIRED"),
                f("cleanup_time", "TIMESTAMP", "REQUIRED"),
                f("window_start", "TIMESTAMP"),
                f("window_end", "TIMESTAMP"),
                f("files_checked", "INT64"),
                f("missing_files_found", "INT64"),
                f("republished_count", "INT64"),
                f(
                    "missing_files",
                    "RECORD",
                    "REPEATED",
                    (
                        f("scraper_name", "STRING"),
                        f("gcs_path", "STRING"),
                        f("triggered_at", "TIMESTAMP"),
                        f("age_minutes", "FLOAT64"),
                        f("republished", "BOOL"),
                    ),
                ),
                f("errors", "STRING", "REPEATED"),
                f("duration_seconds", "FLOAT64"),
                f("dry_run", "BOOL"),
                f("environment", "STRING"),
            ),
            partition_field="cleanup_time",
            description="One row per cleanup run: what was reconciled and republished.",
        ),
        TableSpec(
            "alerts",
            (
                f("key", "STRING", "REQUIRED"),
                f("rule", "STRING", "REQUIRED"),
                f("subject", "STRING", "REQUIRED"),
                f("severity", "STRING", "REQUIRED"),
                f("event", "STRING", "REQUIRED"),
                f("event_time", "TIMESTAMP", "REQUIRED"),
                f("opened_at", "TIMESTAMP", "REQUIRED"),
                f("last_seen", "TIMESTAMP"),
                f("count", "INT64"),
                f("resolved_at", "TIMESTAMP"),
                f("detail", "STRING"),
                f("day", "DATE"),
                f("evaluated_by", "STRING"),
                f("environment", "STRING"),
            ),
            partition_field="event_time",
            clustering=("rule", "event"),
            description="One row per alert life-cycle event (opened, repeated, resolved); the newest row of a "
            "key and opened_at is the alert's state.",
        ),
        TableSpec(
            "source_comparisons",
            (
                f("game_date", "DATE", "REQUIRED"),
                f("game_id", "STRING", "REQUIRED"),
                f("teams", "STRING"),
                f("source", "STRING", "REQUIRED"),
                f("reference", "STRING", "REQUIRED"),
                f("players_compared", "INT64"),
                f("matched", "INT64"),
                f("agreeing", "INT64"),
                f("agreement", "FLOAT64"),
                f("disagreement_count", "INT64"),
                f("disagreements", "JSON"),
                f("unmatched", "JSON"),
                f("operational_day", "DATE"),
                f("compared_at", "TIMESTAMP"),
                f("environment", "STRING"),
            ),
            partition_field="game_date",
            clustering=("source",),
            description="One row per final game and source: its player lines against the reference source's "
            "(shared/quality); readers take one row per (game_id, source).",
        ),
    )
}


def to_bq_schema(fields: tuple[Field, ...]) -> list[Any]:
    from google.cloud import bigquery

    return [bigquery.SchemaField(n, t, mode=m, fields=to_bq_schema(sub)) for n, t, m, sub in fields]


def to_json_schema(fields: tuple[Field, ...]) -> list[dict[str, Any]]:
    """The schema as `bq mk --schema` JSON, for deploy."""
    out = []
    for n, t, m, sub in fields:
        item: dict[str, Any] = {"name": n, "type": t, "mode": m}
        if sub:
            item["fields"] = to_json_schema(sub)
        out.append(item)
    return out


def ensure_dataset_and_tables(
    client: Any, project: str, dataset: str, *, expiration_days: int = 90, location: str = "US"
) -> list[str]:
    """Create the dataset and every missing table; returns the names created. Safe to run concurrently."""
    from google.api_core.exceptions import Conflict
    from google.cloud import bigquery

    ds = bigquery.Dataset(f"{project}.{dataset}")
    ds.location = location
    client.create_dataset(ds, exists_ok=True)
    created = []
    existing = {t.table_id for t in client.list_tables(f"{project}.{dataset}")}
    for spec in TABLES.values():
        if spec.name in existing:
            continue
        table = bigquery.Table(f"{project}.{dataset}.{spec.name}", schema=to_bq_schema(spec.fields))
        table.time_partitioning = bigquery.TimePartitioning(
            type_=bigquery.TimePartitioningType.DAY,
            field=spec.partition_field,
            expiration_ms=expiration_days * 86_400_000 if expiration_days else None,
        )
        if spec.clustering:
            table.clustering_fields = list(spec.clustering)
        table.description = spec.description
        try:
            client.create_table(table)
            created.append(spec.name)
        except Conflict:
            pass
    return created
