"""Cleanup's pure part: the window to reconcile, the two classification stages, the republished completion,
the RECOVERY row and the report. No I/O; "now" is always the tick's `as_of`.

What cleanup is for, and its I/O edge: `shared.cleanup.service`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.config import CleanupSection
from shared.contracts import ScraperCompletion
from shared.paths.listing import PathCatalogue, match_template
from shared.paths.template import PathTemplate
from shared.secrets import scrub
from shared.timeutil import iso_utc, parse_instant

LOG_TABLE = "scraper_execution_log"
OPS_TABLE = "cleanup_operations"
RECOVERY_SOURCE = "RECOVERY"
REASON_NOT_NOTIFIED = "notification_missing"
REASON_NOT_PROCESSED = "not_processed"
MAX_FOREIGN_SAMPLES = 20


# ---------------------------------------------------------------------------------------------------------
# Settings and the window


_DEFAULTS = CleanupSection()


@dataclass(frozen=True)
class CleanupSettings:
    """The `cleanup:` section as the durations the decisions use (defaults: shared.config.CleanupSection)."""

    lookback: timedelta
    min_file_age: timedelta
    cooldown: timedelta
    warn_missing_threshold: int = _DEFAULTS.warn_missing_threshold
    processed_files_query: str = _DEFAULTS.processed_files_query
    max_catchup: timedelta = timedelta(hours=_DEFAULTS.max_catchup_hours)
    date_margin_days: int = _DEFAULTS.date_margin_days
    ledger_margin: timedelta = timedelta(hours=_DEFAULTS.ledger_margin_hours)
    max_reported_files: int = _DEFAULTS.max_reported_files
    list_workers: int = _DEFAULTS.list_workers

    @classmethod
    def from_config(cls, c: CleanupSection) -> CleanupSettings:
        """From settings.yaml `cleanup:` (validated by shared.config)."""
        return cls(
            lookback=timedelta(minutes=c.lookback_minutes),
            min_file_age=timedelta(minutes=c.min_file_age_minutes),
            cooldown=timedelta(minutes=c.republish_cooldown_minutes),
            warn_missing_threshold=c.warn_missing_threshold,
            processed_files_query=c.processed_files_query,
            max_catchup=timedelta(hours=c.max_catchup_hours),
            date_margin_days=c.date_margin_days,
            ledger_margin=timedelta(hours=c.ledger_margin_hours),
            max_reported_files=c.max_reported_files,
            list_workers=c.list_workers,
        )


@dataclass(frozen=True)
class Window:
    """Files created in [start, end) are reconciled. `basis` says where start came from."""

    start: datetime
    end: datetime
    basis: str
    last_success_end: datetime | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "start": iso_utc(self.start),
            "end": iso_utc(self.end),
            "basis": self.basis,
            "last_success_end": iso_utc(self.last_success_end) if self.last_success_end else None,
        }


def compute_window(
    now: datetime, s: CleanupSettings, last_success_end: datetime | None, since: datetime | None = None
) -> Window:
    """The window to reconcile at `now`.

    end = now - min_file_age (younger files may still be being notified). start:
    - `since` when given (a manual catch-up);
    - no successful run yet: now - lookback;
    - otherwise the earlier of the last successful run's window end and now - lookback: contiguous with the
      previous run after downtime (a 6-hour outage is caught up, not skipped), and never less than the
      lookback (re-checking a file is harmless: a republished one has its RECOVERY row);
    - but never before now - max_catchup (an outage longer than that is reported, not listed in full).
    """
    end = now - s.min_file_age
    if since is not None:
        start, basis = since, "since"
    elif last_success_end is None:
        start, basis = now - s.lookback, "lookback"
    elif last_success_end < now - s.lookback:
        start, basis = last_success_end, "last_success"
        if start < now - s.max_catchup:
            start, basis = now - s.max_catchup, "max_catchup"
    else:
        start, basis = now - s.lookback, "lookback"
    return Window(start=min(start, end), end=end, basis=basis, last_success_end=last_success_end)


def cleanup_id_for(as_of: datetime, dry_run: bool) -> str:
    """Deterministic run id: a redelivered tick (same as_of) is the same run. Dry runs are separate."""
    key = f"cleanup|{iso_utc(as_of)}|{'dry' if dry_run else 'live'}"
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def recovery_execution_id(cleanup_id: str, object_name: str) -> str:
    """Deterministic id of one republish: the same run republishing the same file reuses it."""
    return "rec" + hashlib.sha256(f"recovery|{cleanup_id}|{object_name}".encode()).hexdigest()[:29]


def normalise_path(path: str, bucket: str) -> str:
    """Object name of a ledger path: 'gs://<bucket>/a/b' and 'a/b' are the same file; another bucket's URI
    is kept whole (it can never equal one of ours)."""
    prefix = f"gs://{bucket}/"
    if path.startswith(prefix):
        return path[len(prefix) :]
    return path.lstrip("/") if not path.startswith("gs://") else path


# ---------------------------------------------------------------------------------------------------------
# Stage 1: a listed object -> a candidate (needs no ledger, so it runs while the ledger is read)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A file of the window that belongs to the catalogue, with what a republish needs."""

    name: str
    created: datetime
    scraper: str
    siblings: tuple[str, ...]
    execution_id: str | None
    triggered_at: str | None
    workflow: str | None
    request_id: str | None


@dataclass
class Counts:
    listed: int = 0
    checked: int = 0
    too_young: int = 0
    outside_window: int = 0
    foreign: int = 0
    companions: int = 0
    foreign_samples: list[str] = field(default_factory=list)

    def add(self, other: Counts) -> None:
        for k in ("listed", "checked", "too_young", "outside_window", "foreign", "companions"):
            setattr(self, k, getattr(self, k) + getattr(other, k))
        room = MAX_FOREIGN_SAMPLES - len(self.foreign_samples)
        self.foreign_samples.extend(other.foreign_samples[: max(room, 0)])


def classify(
    objects: Iterable[tuple[str, datetime, Mapping[str, str]]],
    templates: tuple[PathTemplate, ...],
    catalogue: PathCatalogue,
    window: Window,
) -> tuple[list[Candidate], Counts, list[str]]:
    """Keep the objects created in the window that match one of `templates` (the templates of the prefix
    they were listed under). A file matching none is foreign: counted, never republished. A gcs_data_path
    file (the JSON parsed from a PDF) is a companion: its raw sibling carries the notification, and a
    republish names it; companions are returned as the third item."""
    counts = Counts()
    out: list[Candidate] = []
    companions: list[str] = []
    start, end = window.start, window.end
    for name, stored, meta in objects:
        counts.listed += 1
        # A file's time is its run's logical time (the `triggered_at` our scrapers put in its metadata), the
        # same clock as the tick's `as_of`; the storage creation time only for files without it. So a replayed
        # or simulated day is reconciled on its own clock, and production (where both agree) is unchanged.
        created = _instant(meta.get("triggered_at")) or stored
        if created >= end:
            counts.too_young += 1
            continue
        if created < start:
            counts.outside_window += 1
            continue
        found = match_template(name, templates, meta.get("scraper_name"))
        if found is None:
            counts.foreign += 1
            if len(counts.foreign_samples) < MAX_FOREIGN_SAMPLES:
                counts.foreign_samples.append(name)
            continue
        tpl, m = found
        if tpl.role != "gcs_path":
            counts.companions += 1
            companions.append(name)
            continue
        counts.checked += 1
        siblings: tuple[str, ...] = ()
        if catalogue.siblings(tpl):  # parameters only for the few templates that have companions
            params = {k: v for k, v in m.groupdict().items() if v is not None}
            siblings = catalogue.sibling_paths(tpl, params)
        get = meta.get
        out.append(
            Candidate(
                name,
                created,
                tpl.scraper,
                siblings,
                get("execution_id"),
                get("triggered_at"),
                get("workflow"),
                get("request_id"),
            )
        )
    return out, counts, companions


# ---------------------------------------------------------------------------------------------------------
# Stage 2: candidates + ledger -> missing files and what to do with each


@dataclass(frozen=True)
class Ledger:
    """What the execution log and the processed-files query say, keyed by object name."""

    notified: frozenset[str]
    last_recovery: Mapping[str, datetime]
    processed: frozenset[str] | None = None


@dataclass
class MissingFile:
    name: str
    scraper_name: str
    created: datetime
    age_minutes: float
    reason: str
    republish: bool
    skip_reason: str | None = None
    original_execution_id: str | None = None
    original_triggered_at: datetime | None = None
    workflow: str | None = None
    request_id: str | None = None
    extra_paths: tuple[str, ...] = ()
    execution_id: str | None = None  # of the republish
    message_id: str | None = None
    error: str | None = None

    @property
    def republished(self) -> bool:
        return self.message_id is not None

    def to_json(self) -> dict[str, Any]:
        return {
            "gcs_path": self.name,
            "scraper_name": self.scraper_name,
            "created": iso_utc(self.created),
            "age_minutes": round(self.age_minutes, 1),
            "reason": self.reason,
            "republished": self.republished,
            "skip_reason": self.skip_reason,
            "original_execution_id": self.original_execution_id,
            "original_triggered_at": iso_utc(self.original_triggered_at) if self.original_triggered_at else None,
            "recovery_execution_id": self.execution_id,
            "message_id": self.message_id,
            "error": self.error,
        }


def _instant(value: str | None) -> datetime | None:
    try:
        return parse_instant(value) if value else None
    except ValueError:
        return None


def decide(
    candidates: Iterable[Candidate],
    ledger: Ledger,
    now: datetime,
    s: CleanupSettings,
    *,
    dry_run: bool,
    companions: frozenset[str] | set[str] = frozenset(),
) -> list[MissingFile]:
    """The missing files, oldest first, each with republish yes/no.

    Missing: no notification recorded for the file (nor for its companion), or, with the processed-files
    query, not processed. Republished unless a RECOVERY row for it is younger than the cool-down (so a
    consumer that keeps failing is not flooded) or this is a dry run. `companions` are the companion files
    seen, so a republish names those that exist.
    """
    out: list[MissingFile] = []
    notified, processed = ledger.notified, ledger.processed
    for c in candidates:
        if c.name in notified or any(sib in notified for sib in c.siblings):
            if processed is None or c.name in processed:
                continue
            reason = REASON_NOT_PROCESSED
        else:
            reason = REASON_NOT_NOTIFIED
        last = ledger.last_recovery.get(c.name)
        skip = None
        if last is not None and now - last < s.cooldown:
            skip = "cooldown"
        elif dry_run:
            skip = "dry_run"
        out.append(
            MissingFile(
                name=c.name,
                scraper_name=c.scraper,
                created=c.created,
                age_minutes=(now - c.created).total_seconds() / 60,
                reason=reason,
                republish=skip is None,
                skip_reason=skip,
                original_execution_id=c.execution_id,
                original_triggered_at=_instant(c.triggered_at),
                workflow=c.workflow,
                request_id=c.request_id,
                extra_paths=tuple(sib for sib in c.siblings if sib in companions),
            )
        )
    out.sort(key=lambda m: (m.created, m.name))
    return out


def completion_for(m: MissingFile, bucket: str, now: datetime, cleanup_id: str) -> ScraperCompletion:
    """The republished completion: the original's fields, a new execution id, and the recovery fields."""
    meta: dict[str, Any] = {"recovered_by": "cleanup", "cleanup_id": cleanup_id}
    if m.request_id:
        meta["request_id"] = m.request_id
    if m.original_triggered_at:
        meta["triggered_at"] = iso_utc(m.original_triggered_at)
    if m.extra_paths:
        meta["extra_paths"] = [f"gs://{bucket}/{p}" for p in m.extra_paths]
    return ScraperCompletion(
        scraper_name=m.scraper_name,
        execution_id=m.execution_id or recovery_execution_id(cleanup_id, m.name),
        status="success",
        gcs_path=f"gs://{bucket}/{m.name}",
        record_count=0,
        duration_seconds=0.0,
        timestamp=now,
        workflow=m.workflow or "RECOVERY",
        metadata=meta,
        recovery=True,
        original_execution_id=m.original_execution_id,
        original_triggered_at=m.original_triggered_at,
        recovery_reason=m.reason,
    )


def recovery_row(m: MissingFile, bucket: str, now: datetime, cleanup_id: str, environment: str) -> dict[str, Any]:
    """The RECOVERY row of the execution log: makes the file count as notified, and dates the cool-down."""
    return {
        "execution_id": m.execution_id,
        "request_id": m.request_id,
        "scraper_name": m.scraper_name,
        "workflow": m.workflow or "RECOVERY",
        "status": "success",
        "triggered_at": now,
        "completed_at": now,
        "duration_seconds": 0.0,
        "source": RECOVERY_SOURCE,
        "environment": environment,
        "triggered_by": "cleanup",
        "gcs_path": f"gs://{bucket}/{m.name}",
        "data_summary": {
            "cleanup_id": cleanup_id,
            "original_execution_id": m.original_execution_id,
            "recovery_reason": m.reason,
            "file_created": iso_utc(m.created),
        },
        "recovery": True,
        "notification_message_id": m.message_id,
    }


@dataclass
class Report:
    """The outcome of one run: what the CLI prints, the function returns and cleanup_operations stores."""

    cleanup_id: str
    as_of: datetime
    dry_run: bool
    window: Window
    status: str = "ok"
    prefixes_listed: int = 0
    counts: Counts = field(default_factory=Counts)
    missing: list[MissingFile] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    processed_check: bool = False
    duration_seconds: float = 0.0

    @property
    def republished_count(self) -> int:
        return sum(1 for m in self.missing if m.republished)

    def to_json(self, max_files: int | None = None) -> dict[str, Any]:
        c = self.counts
        files = self.missing if max_files is None else self.missing[:max_files]
        return {
            "cleanup_id": self.cleanup_id,
            "status": self.status,
            "as_of": iso_utc(self.as_of),
            "dry_run": self.dry_run,
            "window": self.window.to_json(),
            "prefixes_listed": self.prefixes_listed,
            "files_listed": c.listed,
            "files_checked": c.checked,
            "too_young": c.too_young,
            "outside_window": c.outside_window,
            "companion_files": c.companions,
            "foreign_files": c.foreign,
            "foreign_samples": list(c.foreign_samples),
            "processed_check": self.processed_check,
            "missing_files_found": len(self.missing),
            "republished_count": self.republished_count,
            "cooldown_skipped": sum(1 for m in self.missing if m.skip_reason == "cooldown"),
            "missing_files": [m.to_json() for m in files],
            "errors": list(self.errors),
            "duration_seconds": round(self.duration_seconds, 3),
        }

    def ops_row(self, environment: str, max_files: int) -> dict[str, Any]:
        """The cleanup_operations row (insertId = cleanup_id). Details of at most `max_files` files are kept
        (the count is always exact) so one row stays far below BigQuery's row size limit."""
        return {
            "cleanup_id": self.cleanup_id,
            "cleanup_time": self.as_of,
            "window_start": self.window.start,
            "window_end": self.window.end,
            "files_checked": self.counts.checked,
            "missing_files_found": len(self.missing),
            "republished_count": self.republished_count,
            "missing_files": [
                {
                    "scraper_name": m.scraper_name,
                    "gcs_path": m.name,
                    "triggered_at": m.original_triggered_at or m.created,
                    "age_minutes": round(m.age_minutes, 2),
                    "republished": m.republished,
                }
                for m in self.missing[:max_files]
            ],
            "errors": [scrub(e)[:1000] for e in self.errors],
            "duration_seconds": round(self.duration_seconds, 3),
            "dry_run": self.dry_run,
            "environment": environment,
        }
