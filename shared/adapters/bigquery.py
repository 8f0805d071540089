"""BigQuery adapter: streaming inserts with deterministic insert ids, and parameterised queries."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from shared.clients import bigquery_client
from shared.runtime import Runtime


class BigQueryWriteError(RuntimeError):
    """Rows were rejected; raised so the caller's message is redelivered."""


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def encode_row(row: dict[str, Any], json_columns: tuple[str, ...] = ()) -> dict[str, Any]:
    """Make a row JSON-safe: datetimes as ISO strings, JSON columns as JSON text."""
    out = {}
    for k, v in row.items():
        if k in json_columns and v is not None and not isinstance(v, str):
            out[k] = json.dumps(_jsonable(v), separators=(",", ":"), default=str)
        else:
            out[k] = _jsonable(v)
    return out


def json_columns(table: str) -> tuple[str, ...]:
    from shared.bq_schema import TABLES

    return tuple(n for n, t, _, _ in TABLES[table].fields if t == "JSON")


def insert_rows(rt: Runtime, table: str, rows: list[dict[str, Any]], row_ids: list[str] | None = None) -> None:
    """Stream rows into `table`; `row_ids` become insertIds (best-effort dedup, so callers also key rows)."""
    if not rows:
        return
    cols = json_columns(table)
    client = bigquery_client(rt.project)
    from google.cloud.bigquery import AutoRowIDs

    errors = client.insert_rows_json(
        rt.table(table),
        [encode_row(r, cols) for r in rows],
        row_ids=row_ids if row_ids is not None else AutoRowIDs.GENERATE_UUID,
    )
    if errors:
        raise BigQueryWriteError(f"insert into {table} failed: {str(errors)[:1000]}")


def query(rt: Runtime, sql: str, params: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Run `sql` (use {dataset} for the dataset path) with named parameters; rows as dicts.

    Runs as a job (see `query_iter`): a failed query must raise, never read as "no rows", or a decision
    would be taken on a history that was never read (the emulator's fast path hides errors; real BigQuery
    does not).
    """
    return [dict(row.items()) for row in query_iter(rt, sql, params)]


def query_iter(rt: Runtime, sql: str, params: dict[str, Any] | None = None) -> Iterator[Any]:
    """Like `query`, but runs as a job and streams rows (bigquery.Row: by name or position) page by page.

    Why a job: the emulator's fast path (jobs.query, used by `query_and_wait`) answers 200 with the error
    of a failed query, so the client returns no rows instead of raising; a job raises everywhere. Streaming
    keeps a large result (a day of execution log) out of memory.
    """
    from google.cloud import bigquery

    client = bigquery_client(rt.project)
    text = sql.replace("{dataset}", f"`{rt.project}.{rt.dataset}`")
    job = client.query(text, job_config=bigquery.QueryJobConfig(query_parameters=_query_parameters(params)))
    yield from job.result(page_size=10_000)


def _query_parameters(params: dict[str, Any] | None) -> list[Any]:
    from google.cloud import bigquery

    qp: list[Any] = []
    for name, value in (params or {}).items():
        if isinstance(value, list):
            qp.append(bigquery.ArrayQueryParameter(name, "STRING", value))
        elif isinstance(value, datetime):
            qp.append(bigquery.ScalarQueryParameter(name, "TIMESTAMP", value))
        elif isinstance(value, date):
            qp.append(bigquery.ScalarQueryParameter(name, "DATE", value))
        elif isinstance(value, bool):
            qp.append(bigquery.ScalarQueryParameter(name, "BOOL", value))
        elif isinstance(value, int):
            qp.append(bigquery.ScalarQueryParameter(name, "INT64", value))
        elif isinstance(value, float):
            qp.append(bigquery.ScalarQueryParameter(name, "FLOAT64", value))
        else:
            qp.append(bigquery.ScalarQueryParameter(name, "STRING", value))
    return qp
