"""Cleanup: find scraper output files whose completion notification was missed, and republish it.

A scraper can crash between writing its file and publishing its completion (or the publish can be lost); the
downstream processor then never hears of the file. Every 15 minutes cleanup reconciles three sources for a
time window:
- the files in GCS, listed by the dated prefixes of the catalogue's path templates (shared.paths.listing), never
  the whole bucket;
- the notifications recorded as published (`notification_message_id` in scraper_execution_log);
- optionally the files already processed downstream (a configurable query; its failure is logged and the run
  goes on without it).
A file that is old enough and has no recorded notification (or was not processed) gets a completion
republished with `recovery: true`, recorded as a RECOVERY row of the execution log so the next run sees it
as notified.

Layout: the pure decisions (settings, window, the two classification stages, the report) are in
`shared.cleanup.reconcile`; this module is the small I/O edge `run_cleanup` and the function's `handle`.
"Now" is always the tick's `as_of`, never the wall clock (which only times the run and the run claim's lease).

Idempotency (at-least-once ticks): a run is keyed by `cleanup_id`, a hash of the tick's `as_of` (and of
`dry_run`); a redelivered tick finds its cleanup_operations row and does nothing. A republish is keyed by a
recovery execution id, a hash of the file and the cleanup id: a crash after publishing but before the row
re-sends the same execution id, which consumers dedupe on.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from shared import claims
from shared.bucket_layout import object_name
from shared.cleanup.reconcile import (
    LOG_TABLE,
    OPS_TABLE,
    RECOVERY_SOURCE,
    Candidate,
    CleanupSettings,
    Counts,
    Ledger,
    MissingFile,
    Report,
    Window,
    classify,
    cleanup_id_for,
    completion_for,
    compute_window,
    decide,
    normalise_path,
    recovery_execution_id,
    recovery_row,
)
from shared.config import Config
from shared.contracts import PubSubMessage, Tick, decode_tick
from shared.errors import RetryLater
from shared.paths.listing import ListingPrefix, PathCatalogue, Scope, scope_for
from shared.runtime import Runtime
from shared.secrets import scrub
from shared.timeutil import iso_utc

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


def run_claim_name(cid: str) -> str:
    return object_name("cleanup_runs", cid)


def _claim_run(rt: Runtime, cid: str, lease_seconds: float) -> None:
    """Claim the tick's run (shared.claims), so concurrent deliveries of one tick (the ledger row is written
    only at the end) do not both republish. A claim older than the lease (`leases.cleanup_run_seconds`)
    belongs to a crashed run, and this delivery goes ahead."""
    claim = claims.acquire(rt, run_claim_name(cid), b"{}")
    now = datetime.now(UTC)  # the lease is about real processes: wall clock, unlike the reconciliation
    if not claim.won and claim.live(lease_seconds, now):
        age = claim.age_seconds(now)
        raise CleanupInProgress(f"cleanup run {cid} is running in another delivery (claimed {age:.0f} s ago)")


def run_cleanup(
    rt: Runtime,
    cfg: Config,
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
        _claim_run(rt, cid, cfg.leases.cleanup_run_seconds)
    try:
        return _run_claimed(
            rt, cfg, tick, s, cid, last_end, window, t0, publish=publish, catalogue=catalogue, max_files=max_files
        )
    except BaseException:
        if not tick.dry_run:  # a failed run gives its claim back: the redelivery need not wait for the lease
            claims.release(rt, run_claim_name(cid))
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
    quality = None
    if not tick.dry_run:  # the night's cross-source comparison once due (shared/quality/service.py)
        quality = _quality_safely(rt, cfg, now)
    alerts = None
    if not tick.dry_run:  # the SLAs at this tick, before the run is recorded (failures logged, never fatal)
        from shared.alerts.service import evaluate_safely

        alerts = evaluate_safely(rt, cfg, now, "cleanup")
    report.duration_seconds = time.perf_counter() - t0
    bq.insert_rows(rt, OPS_TABLE, [report.ops_row(rt.environment, s.max_reported_files)], row_ids=[cid])
    summary = report.to_json(max_files=s.max_reported_files if max_files is None else max_files)
    if alerts is not None:
        summary["alerts"] = alerts
    if quality:
        summary["quality"] = quality
    fields = {k: v for k, v in summary.items() if k != "missing_files"}
    if len(missing) >= s.warn_missing_threshold:
        log.warning(f"cleanup: {len(missing)} files were missing their notification", **fields)
    else:
        log.info("cleanup: reconciled", **fields)
    return summary


def _quality_safely(rt: Runtime, cfg: Config, now: datetime) -> list[dict[str, Any]] | None:
    """The comparison is an extra of the tick: a failure is one ERROR line and is retried at the next tick
    (nothing was marked done), never a failed cleanup run."""
    from shared import log
    from shared.quality.service import run_due

    try:
        return run_due(rt, cfg, now)
    except Exception as exc:  # noqa: BLE001 - logged, scrubbed, retried by the next tick
        log.error(f"cleanup: source comparison failed: {scrub(f'{type(exc).__name__}: {exc}')[:300]}")
        return None


def handle(msg: PubSubMessage) -> dict[str, Any]:
    """The Cloud Function's work: one cleanup run for the tick. The result is logged by the edge, so it is
    kept short (the cleanup_operations row has the details)."""
    from shared.config import get_config

    return run_cleanup(Runtime.from_env(), get_config(), decode_tick(msg), max_files=20)
