"""Cleanup: find scraper output files whose completion notification was missed, and republish it.

A scraper can crash between writing its file and publishing its completion (or the publish can be lost); the
downstream processor then never hears of the file. Every 15 minutes cleanup reconciles three sources for a
time window:
- the files in GCS, listed by the dated prefixes of the catalogue's path templates (shared.gcs_paths), never
  the whole bucket;
- the notifications recorded as published (`notification_message_id` in scraper_execution_log);
- optionally the files already processed downstream (a configurable query; its failure is logged and the run
  goes on without it).
A file that is old enough and has no recorded notification (or was not processed) gets a completion
republished with `recovery: true`, recorded as a RECOVERY row of the execution log so the next run sees it
as notified.

Layout: pure decisions first (settings, window, the two classification stages, the report), then the small
I/O edge `run_cleanup`. "Now" is always the tick's `as_of`, never the wall clock (which only times the run).

Idempotency (at-least-once ticks): a run is keyed by `cleanup_id`, a hash of the tick's `as_of` (and of
`dry_run`); a redelivered tick finds its cleanup_operations row and does nothing. A republish is keyed by a
recovery execution id, a hash of the file and the cleanup id: a crash after publishing but before the row
re-sends the same execution id, which consumers dedupe on.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.contracts import ScraperCompletion, Tick
from shared.errors import RetryLater
from shared.gcs_paths import ListingPrefix, PathCatalogue, PathTemplate, Scope, match_template, scope_for
from shared.runtime import Runtime
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


@dataclass(frozen=True)
class CleanupSettings:
    lookback: timedelta
    min_file_age: timedelta
    cooldown: timedelta
    warn_missing_threshold: int = 5
    processed_files_query: str = ""
    max_catchup: timedelta = timedelta(days=7)
    date_margin_days: int = 1
    ledger_margin: timedelta = timedelta(hours=6)
    max_reported_files: int = 5000
    list_workers: int = 4

    @classmethod
    def from_config(cls, cleanup: Mapping[str, Any]) -> CleanupSettings:
        """From settings.yaml `cleanup:`; keys beyond the validated four have defaults."""

        def minutes(key: str, default: float | None = None) -> timedelta:
            return timedelta(minutes=float(cleanup.get(key, default)))  # type: ignore[arg-type]

        return cls(
            lookback=minutes("lookback_minutes"),
            min_file_age=minutes("min_file_age_minutes"),
            cooldown=minutes("republish_cooldown_minutes"),
            warn_missing_threshold=int(cleanup.get("warn_missing_threshold", 5)),
            processed_files_query=str(cleanup.get("processed_files_query") or "").strip(),
            max_catchup=timedelta(hours=float(cleanup.get("max_catchup_hours", 168))),
            date_margin_days=int(cleanup.get("date_margin_days", 1)),
            ledger_margin=timedelta(hours=float(cleanup.get("ledger_margin_hours", 6))),
            max_reported_files=int(cleanup.get("max_reported_files", 5000)),
            list_workers=max(1, int(cleanup.get("list_workers", 4))),
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


# ---------------------------------------------------------------------------------------------------------
# The I/O edge

Publisher = Callable[[Runtime, str, list[tuple[bytes, dict[str, str]]]], list[Any]]


def _read_state(rt: Runtime, now: datetime, cleanup_id: str) -> tuple[bool, datetime | None]:
    """(this run already recorded?, window end of the last successful run before now).

    Successful = not a dry run and no errors: a run whose publish (or processed-files query) failed does not
    move the window on, so the next run covers its files again.
    """
    from shared.adapters import bigquery as bq

    sql = (
        "SELECT MAX(IF(cleanup_id = @cid, 1, 0)) AS done, "
        "MAX(IF(dry_run IS NOT TRUE AND IFNULL(ARRAY_LENGTH(errors), 0) = 0 AND cleanup_time < @now, "
        "window_end, NULL)) "
        f"AS last_end FROM {{dataset}}.{OPS_TABLE} WHERE cleanup_time <= @now"
    )
    rows = list(bq.query_iter(rt, sql, {"cid": cleanup_id, "now": now}))
    if not rows:
        return False, None
    return bool(rows[0]["done"]), rows[0]["last_end"]


def _read_ledger(
    rt: Runtime, window: Window, now: datetime, s: CleanupSettings
) -> tuple[set[str], dict[str, datetime]]:
    """Notified object names and the last RECOVERY time of each, in one streamed query with one row per path.

    The range covers the window's runs (which start a little before their file exists: `ledger_margin`)
    and the cool-down.
    """
    from shared.adapters import bigquery as bq

    sql = (
        "SELECT gcs_path, MAX(IF(source = @rec, triggered_at, NULL)) AS last_recovery "
        f"FROM {{dataset}}.{LOG_TABLE} "
        "WHERE triggered_at >= @since AND triggered_at <= @until "
        "AND gcs_path IS NOT NULL AND notification_message_id IS NOT NULL GROUP BY gcs_path"
    )
    since = min(window.start - s.ledger_margin, now - s.cooldown)
    notified: set[str] = set()
    last: dict[str, datetime] = {}
    for row in bq.query_iter(rt, sql, {"rec": RECOVERY_SOURCE, "since": since, "until": now}):
        name = normalise_path(row[0], rt.bucket)
        notified.add(name)
        if row[1] is not None:
            last[name] = max(row[1], last.get(name, row[1]))
    return notified, last


def _read_processed(rt: Runtime, sql: str, window: Window, now: datetime) -> set[str]:
    """The configured processed-files query (column gcs_path; may use {dataset}, @window_start, @window_end,
    @now)."""
    from shared.adapters import bigquery as bq

    params = {"window_start": window.start, "window_end": window.end, "now": now}
    return {normalise_path(row["gcs_path"], rt.bucket) for row in bq.query_iter(rt, sql, params) if row["gcs_path"]}


def _fill_originals(rt: Runtime, missing: list[MissingFile], since: datetime, now: datetime) -> None:
    """Files without object metadata (written by hand or by an older scraper): take the original execution
    from the log, one query for all of them."""
    from shared.adapters import bigquery as bq

    need = {m.name: m for m in missing if not m.original_execution_id}
    if not need:
        return
    paths = [p for name in need for p in (name, f"gs://{rt.bucket}/{name}")]
    sql = (
        f"SELECT gcs_path, execution_id, triggered_at, workflow, request_id FROM {{dataset}}.{LOG_TABLE} "
        "WHERE gcs_path IN UNNEST(@paths) AND IFNULL(source, '') != @rec "
        "AND triggered_at >= @since AND triggered_at <= @until "
        "ORDER BY triggered_at"
    )
    for row in bq.query_iter(rt, sql, {"paths": paths, "rec": RECOVERY_SOURCE, "since": since, "until": now}):
        m = need.get(normalise_path(row["gcs_path"], rt.bucket))
        if m is not None and not m.original_execution_id:
            m.original_execution_id = row["execution_id"]
            m.original_triggered_at = row["triggered_at"]
            m.workflow = m.workflow or row["workflow"]
            m.request_id = m.request_id or row["request_id"]


def _list_prefix(
    rt: Runtime, lp: ListingPrefix, catalogue: PathCatalogue, window: Window
) -> tuple[list[Candidate], Counts, list[str]]:
    from shared.adapters import gcs

    return classify(gcs.iter_objects(rt, lp.prefix), lp.templates, catalogue, window)


def reconcile(
    rt: Runtime,
    catalogue: PathCatalogue,
    window: Window,
    scope: Scope,
    now: datetime,
    s: CleanupSettings,
    *,
    dry_run: bool,
) -> tuple[int, Counts, list[MissingFile], list[str], bool]:
    """List, read the ledger and decide: (prefixes listed, counts, missing files, errors, processed check).

    The ledger and processed-files queries run while the prefixes are listed (both are I/O waits); listing
    runs on `list_workers` threads. A GCS or BigQuery failure raises; a processed-files query failure is an
    error entry and the run goes on without it.
    """
    from shared import log
    from shared.adapters import gcs

    errors: list[str] = []
    with (
        ThreadPoolExecutor(max_workers=2, thread_name_prefix="cleanup-bq") as queries,
        ThreadPoolExecutor(max_workers=s.list_workers, thread_name_prefix="cleanup-gcs") as listers,
    ):
        ledger_f = queries.submit(_read_ledger, rt, window, now, s)
        processed_f = (
            queries.submit(_read_processed, rt, s.processed_files_query, window, now)
            if s.processed_files_query
            else None
        )
        prefixes = catalogue.listing(scope, lambda p: gcs.list_folders(rt, p))
        counts = Counts()
        candidates: list[Candidate] = []
        companions: set[str] = set()
        lister = listers.map if s.list_workers > 1 else map  # one worker: list in this thread
        for cands, c, comp in lister(lambda lp: _list_prefix(rt, lp, catalogue, window), prefixes):
            candidates.extend(cands)
            counts.add(c)
            companions.update(comp)
        notified, last_recovery = ledger_f.result()
        processed: set[str] | None = None
        if processed_f is not None:
            try:
                processed = processed_f.result()
            except Exception as exc:  # noqa: BLE001 - the issue: logged, and the run goes on without it
                msg = f"processed_files_query failed, reconciled on notifications only: {exc!r}"
                log.error(f"cleanup: {msg}", error_type=type(exc).__name__)
                errors.append(msg)
    ledger = Ledger(frozenset(notified), last_recovery, frozenset(processed) if processed is not None else None)
    missing = decide(candidates, ledger, now, s, dry_run=dry_run, companions=companions)
    return len(prefixes), counts, missing, errors, processed is not None


class CleanupInProgress(RetryLater):
    """Another delivery of this tick is running it: redeliver later (it will then find the run recorded)."""


# How long a run may take between its claim and its `cleanup_operations` row before a redelivery takes over
# (a crashed run). Operational (a lease), so wall-clock time is right here, unlike the reconciliation.
RUN_LEASE_SECONDS = 300.0


def _claim_run(rt: Runtime, cid: str) -> None:
    """Claim the tick's run with a create-only object, so concurrent deliveries of one tick (the ledger row is
    written only at the end) do not both republish; a claim older than the lease belongs to a crashed run."""
    from datetime import UTC

    from shared.adapters import gcs

    name = f"_nba-orch/cleanup/{cid}.json"
    try:
        gcs.create_object(rt, name, b"{}")
        return
    except gcs.AlreadyExists:
        pass
    found = gcs.stat_object(rt, name)
    age = (datetime.now(UTC) - found[0]).total_seconds() if found else RUN_LEASE_SECONDS
    if age < RUN_LEASE_SECONDS:
        raise CleanupInProgress(f"cleanup run {cid} is running in another delivery (claimed {age:.0f} s ago)")


def run_cleanup(
    rt: Runtime,
    cfg: Any,
    tick: Tick,
    *,
    publish: Publisher | None = None,
    catalogue: PathCatalogue | None = None,
    max_files: int | None = None,
) -> dict[str, Any]:
    """One cleanup run for `tick` (now = tick.as_of): reconcile, republish, record, report.

    `publish` (default shared.adapters.pubsub.publish_each) returns one message id or exception per message.
    The report lists at most `max_files` missing files (default: the max_reported_files setting); counts are
    always exact.
    """
    from shared import log

    t0 = time.perf_counter()
    s = CleanupSettings.from_config(cfg.cleanup)
    now = tick.as_of
    cid = cleanup_id_for(now, tick.dry_run)
    done, last_end = _read_state(rt, now, cid)
    window = compute_window(now, s, last_end, tick.since)
    if done and not tick.dry_run:
        log.info("cleanup: run already recorded for this tick, nothing to do", cleanup_id=cid, as_of=iso_utc(now))
        return {"cleanup_id": cid, "status": "duplicate", "as_of": iso_utc(now), "dry_run": False}
    if not tick.dry_run:
        _claim_run(rt, cid)
    try:
        return _run_claimed(
            rt, cfg, tick, s, cid, last_end, window, t0, publish=publish, catalogue=catalogue, max_files=max_files
        )
    except BaseException:
        if not tick.dry_run:  # a failed run gives its claim back: the redelivery need not wait for the lease
            from shared.adapters import gcs

            gcs.delete_object(rt, f"_nba-orch/cleanup/{cid}.json")
        raise


def _run_claimed(
    rt: Runtime,
    cfg: Any,
    tick: Tick,
    s: CleanupSettings,
    cid: str,
    last_end: datetime | None,
    window: Window,
    t0: float,
    *,
    publish: Publisher | None,
    catalogue: PathCatalogue | None,
    max_files: int | None,
) -> dict[str, Any]:
    from shared import log
    from shared.adapters import bigquery as bq
    from shared.adapters import pubsub

    now = tick.as_of
    if window.basis == "max_catchup":
        log.warning(
            "cleanup: last successful run is older than max_catchup; older files are not reconciled",
            last_success_end=iso_utc(last_end) if last_end else None,
            window_start=iso_utc(window.start),
        )
    catalogue = catalogue or PathCatalogue.from_config(cfg)
    scope = scope_for(window.start, window.end, date_margin_days=s.date_margin_days)
    n_prefixes, counts, missing, errors, processed_check = reconcile(
        rt, catalogue, window, scope, now, s, dry_run=tick.dry_run
    )
    report = Report(
        cleanup_id=cid,
        as_of=now,
        dry_run=tick.dry_run,
        window=window,
        prefixes_listed=n_prefixes,
        counts=counts,
        missing=missing,
        errors=errors,
        processed_check=processed_check,
    )
    if missing:
        _fill_originals(rt, missing, window.start - s.ledger_margin, now)
    todo = [m for m in missing if m.republish]
    if todo:
        for m in todo:
            m.execution_id = recovery_execution_id(cid, m.name)
        notes = [completion_for(m, rt.bucket, now, cid) for m in todo]
        results = (publish or pubsub.publish_each)(rt, "scraper_complete", [(n.data(), n.attributes()) for n in notes])
        for m, res in zip(todo, results, strict=True):
            if isinstance(res, Exception):
                m.error = scrub(f"{type(res).__name__}: {res}")[:500]
                report.errors.append(f"publish gs://{rt.bucket}/{m.name}: {m.error}")
            else:
                m.message_id = str(res)
        rows = [recovery_row(m, rt.bucket, now, cid, rt.environment) for m in todo if m.republished]
        for i in range(0, len(rows), 500):
            chunk = rows[i : i + 500]
            bq.insert_rows(rt, LOG_TABLE, chunk, row_ids=[r["execution_id"] for r in chunk])
    report.duration_seconds = time.perf_counter() - t0
    bq.insert_rows(rt, OPS_TABLE, [report.ops_row(rt.environment, s.max_reported_files)], row_ids=[cid])
    summary = report.to_json(max_files=s.max_reported_files if max_files is None else max_files)
    fields = {k: v for k, v in summary.items() if k != "missing_files"}
    if len(missing) >= s.warn_missing_threshold:
        log.warning(f"cleanup: {len(missing)} files were missing their notification", **fields)
    else:
        log.info("cleanup: reconciled", **fields)
    return summary
