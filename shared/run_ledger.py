"""The run ledger: one small GCS object per finished scraper run, filed under its operational day.

Why it exists: the master controller needs, at every tick, the runs of the operational day (what was
collected, cadence evidence, the newest Odds API quota reading). Reading them from BigQuery costs one query
per tick, and a query's cost is mostly the statement, not the rows (issue 5's benchmark: the query was
two thirds of a tick on the local emulator). A listing of one GCS prefix returns every run of a day,
with its record in the object's metadata, in one round trip, next to the controller's own slot ledger.
`scraper_execution_log` stays the audit record; both are written by the scrapers from the same row
(`record_of(row)`), so they cannot disagree on what a run was.

Name: `_nba-orch/runs/<operational day of triggered_at>/<scraper>/<execution_id>.json`. The execution id
is deterministic from the request id, and the object is created with `if_generation_match=0`: a redelivery
that writes it again finds it there and writes nothing (idempotent by execution id).

Content: the record as compact JSON, in the custom metadata key `run` (so the listing carries it) and in the
body (for people, and for a record too large for metadata: then the reader fetches the body). `v` is its
schema version: a reader that meets a version it does not know says so instead of guessing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from typing import Any

from shared.bucket_layout import prefix
from shared.config import Config
from shared.runtime import Runtime
from shared.timeutil import iso_utc, parse_instant

RUNS_PREFIX = prefix("runs")
RECORD_VERSION = 1
# What the controller uses from data_summary; the rest of a run's summary is audit, in BigQuery only.
# `schema_drift: true`: the scraper saw the upstream answer's shape change (a WARNING; the schema-drift SLA).
# `injury_triggers`: matchups whose injury statuses changed to Out/Doubtful/Questionable (a re-snapshot).
# `snapshot_type`: a line snapshot's label (open, regular, closing; the closing-line SLA).
SUMMARY_KEYS = (
    "record_count",
    "game_ids",
    "team_tricodes",
    "quota",
    "schema_drift",
    "injury_triggers",
    "snapshot_type",
)
# Custom metadata is limited to 8 KiB per object; a record larger than this is read from the body.
METADATA_LIMIT = 6000


class UnreadableRecord(ValueError):
    """A run record that cannot be read (damaged, or a schema version this code does not know)."""


def day_prefix(d: date) -> str:
    return f"{RUNS_PREFIX}{d.isoformat()}/"


def scraper_of(name: str) -> str | None:
    """The scraper a record's name files it under (readable even when the record itself is not)."""
    parts = name[len(RUNS_PREFIX) :].split("/") if name.startswith(RUNS_PREFIX) else []
    return parts[1] if len(parts) == 3 and parts[1] else None


def _as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, str) and value:
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def record_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The run record of a `scraper_execution_log` row (as `shared.scrapers.core.log_row` builds it)."""
    opts, summary = _as_dict(row.get("opts")), _as_dict(row.get("data_summary"))
    triggered = row["triggered_at"]
    return {
        "v": RECORD_VERSION,
        "execution_id": str(row["execution_id"]),
        "scraper_name": str(row["scraper_name"]),
        "workflow": row.get("workflow"),
        "status": str(row["status"]),
        "triggered_at": iso_utc(triggered) if isinstance(triggered, datetime) else str(triggered),
        "params": dict(opts.get("params") or {}),
        # The drift's detail (paths, fingerprints) stays in the audit row; the record says only that it drifted.
        "data_summary": {
            k: (bool(summary[k]) if k == "schema_drift" else summary[k]) for k in SUMMARY_KEYS if k in summary
        },
    } | ({"error_type": str(row["error_type"])} if row.get("error_type") else {})  # e.g. `blocked` (an SLA)


def record_name(cfg: Config, record: Mapping[str, Any]) -> str:
    from shared import rules  # the day rules (and the schedule model they use): only when a run is filed

    day = rules.operational_day_of(cfg, parse_instant(str(record["triggered_at"])))
    return f"{day_prefix(day)}{record['scraper_name']}/{record['execution_id']}.json"


def write(rt: Runtime, cfg: Config, row: Mapping[str, Any]) -> str:
    """File the run of `row` in the ledger (create-only: a second write of the same run changes nothing)."""
    from shared.adapters.gcs import AlreadyExists, create_object

    record = record_of(row)
    name = record_name(cfg, record)
    body = json.dumps(record, separators=(",", ":"), sort_keys=True)
    meta = {"run": body} if len(body.encode()) <= METADATA_LIMIT else None
    try:
        create_object(rt, name, body.encode(), metadata=meta)
    except AlreadyExists:
        pass  # this run is filed already (a redelivery, or a crash after the write)
    return name


def parse(name: str, metadata: Mapping[str, str] | None, body: bytes | None = None) -> dict[str, Any]:
    """A listed record -> its dict. Raises UnreadableRecord (with the reason) rather than guess."""
    meta = metadata or {}
    raw = meta.get("run") or (body.decode("utf-8", "replace") if body is not None else None)
    if raw is None:
        raise UnreadableRecord(f"{name}: no record in its metadata")
    try:
        record = json.loads(raw)
    except ValueError as exc:
        raise UnreadableRecord(f"{name}: not JSON ({exc})") from None
    if not isinstance(record, dict):
        raise UnreadableRecord(f"{name}: not a JSON object")
    if record.get("v") != RECORD_VERSION:
        raise UnreadableRecord(f"{name}: schema version {record.get('v')!r}, this code reads {RECORD_VERSION}")
    missing = [k for k in ("scraper_name", "status", "triggered_at") if not record.get(k)]
    if missing:
        raise UnreadableRecord(f"{name}: missing {', '.join(missing)}")
    for key in ("params", "data_summary"):
        if not isinstance(record.setdefault(key, {}), dict):
            raise UnreadableRecord(f"{name}: {key} is not an object")
    try:
        record["triggered_at"] = parse_instant(str(record["triggered_at"]))
    except ValueError as exc:
        raise UnreadableRecord(f"{name}: bad triggered_at ({exc})") from None
    return record


Listed = tuple[str, dict[str, str]]  # one run record as a listing gives it: (object name, custom metadata)


def list_day(rt: Runtime, d: date) -> Iterator[Listed]:
    """(name, custom metadata) of every run record of operational day `d`: one listing, metadata included."""
    from shared.adapters.gcs import iter_objects

    for name, _created, meta in iter_objects(rt, day_prefix(d)):
        yield name, meta
