"""The edge of a scraper run: claim, fetch, write, notify, log, release follow-ups.

`execute(rt, request)` is the whole pipeline with I/O, used by the Cloud Function, the schedule locker
(in-process) and the simulation. The decisions are in `shared.scrapers.core` (pure); this module only
sequences the I/O so that every crash point is recoverable by a redelivery.

Idempotency (at-least-once delivery): the key is the deterministic `request_id`; `execution_id` is derived
from it and is the BigQuery insertId. The claim object (`shared.scrapers.claims`, a GCS create with
`if_generation_match=0`, then compare-and-swap updates) records how far a run got:

  claim -> fetch -> [writing: output names recorded] -> write files (create-only)
        (a rejected answer: [writing: its quarantine name recorded] -> quarantine it, create-only)
        -> drift check (shared.scrapers.safekeeping: the scraper's shape baseline, compare-and-swap)
        -> publish completion -> [notified: result + message id recorded] -> publish follow-ups
        -> file the run in the run ledger (shared.run_ledger) -> insert the log row -> [done]

Why the completion is published BEFORE the row is inserted (the issue lists row, then notification):
the row must carry `notification_message_id`, and streamed BigQuery rows cannot be updated, so the only
way to get one row with the id is to publish first. Cleanup's rule "a file with no row carrying a
notification_message_id is missing" then stays true: a crash between publish and row leaves the claim at
`notified`, and the redelivery inserts the row (after checking it is not there) without publishing again.

Crash points and what the redelivery does:
- during the fetch (nothing written): fetches again; nothing was stored, so nothing is duplicated;
- after the GCS write: rebuilds the answer from the stored file (no refetch, no second file), publishes;
  the same after a quarantine write (the kept bytes are re-parsed; the object is the execution's own);
- after a baseline update: the baseline names this execution as its last writer, so the drift is computed
  against the shape it replaced (the same warning) and nothing is written again;
- after the notification: files the run and inserts the row only (no second notification; the ledger
  object is create-only, so filing it twice is harmless);
- after the row: publishes the follow-ups again (same deterministic request ids: their own claims make
  them duplicates) and marks the claim done;
- redelivery of a finished request: returns the recorded outcome with `duplicate=True`, writes nothing.
The one unavoidable window: a crash after the completion was published but before `notified` was
recorded republishes the completion; consumers dedupe on `execution_id` (an attribute of the message).

Failures: a bad request or a permanent upstream failure (4xx, parse error) is recorded as `failed` and
acknowledged; a rejected 200 answer is kept under the quarantine prefix and the row points to it. A
transient failure (429/5xx/timeout after retries) raises so Pub/Sub redelivers, except on the last delivery
attempt (`final_attempt`), where it is recorded as `failed` so it is not lost silently.
A `blocked` run, or one failed on its last attempt, releases the catalogue's `fallback` scrapers as
follow-ups (`core.fetch_failure`): published like any follow-up, so a redelivery releases the same ids.
"""

from __future__ import annotations

import dataclasses
import json
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared import log, run_ledger
from shared.adapters import bigquery as bq
from shared.adapters import gcs, pubsub
from shared.config import Config, get_config
from shared.contracts import PubSubMessage, ScraperRequest, decode_scraper_request
from shared.edge import is_final_attempt
from shared.runtime import Runtime
from shared.scrapers import claims, core, safekeeping
from shared.scrapers import http as http_layer
from shared.scrapers.base import Fetched, Scraper
from shared.scrapers.core import Outcome, Result
from shared.scrapers.errors import RunAbandoned, ScraperFailure, TransientFailure
from shared.secrets import get_secret, scrub

LOG_TABLE = "scraper_execution_log"
STEP_POINTS = ("after_fetch", "after_write", "after_notify", "after_row")

# Called at each crash point of a run with (point, scraper_name, request_id). Empty in a deployed function:
# only the local tooling installs a hook here (tooling.faults, the simulation's fault injection), and the
# tooling is never staged, so no environment variable can switch fault injection on in Google Cloud.
# A hook may raise: any exception is a crash (Pub/Sub redelivers); RunAbandoned acknowledges the message.
STEP_HOOKS: list[Callable[[str, str, str], None]] = []


def _step(point: str, request: ScraperRequest) -> None:
    for hook in STEP_HOOKS:
        hook(point, request.scraper_name, request.request_id)


def _wall_now() -> datetime:
    """Wall-clock time, for claim leases only (never for paths, rows' logical times or decisions)."""
    return datetime.now(UTC)


def _preload_secrets(config: Config) -> None:
    # Reading every key (and proxy URL) once registers its value with the scrubber before anything is logged.
    for source in config.sources.values():
        if source.auth is not None:
            get_secret(source.auth.secret)
        http_layer.proxy_for(source)


def _fetch_and_compute(
    config: Config,
    request: ScraperRequest,
    http: Any,
    *,
    final_attempt: bool,
    stored: Fetched | None = None,
    read: Callable[[str], bytes | None] | None = None,
) -> tuple[Result, Fetched | None, Scraper | None]:
    """Validate, fetch (unless the stored answer is given), read the earlier state the scraper compares with
    (`read`: name -> bytes or None) and compute. Raises TransientFailure only when this is not the final
    attempt."""
    try:
        scraper, ctx = core.plan(config, request)
    except ScraperFailure as exc:
        return core.failure(exc.error_type, exc.message), None, None
    fetched = stored
    if fetched is None:
        try:
            fetched = scraper.fetch(http, ctx)
        except ScraperFailure as exc:
            return core.fetch_failure(config, request, exc), None, scraper
        except core.PARSER_ERRORS as exc:  # a page the fetch strategy reads (pagination) broke it: permanent
            return core.failure("parse_error", f"{request.scraper_name}: {type(exc).__name__}: {exc}"), None, scraper
        except TransientFailure as exc:
            if not final_attempt:
                raise
            exc.message = f"{exc.message}; last delivery attempt, recorded as failed"
            return core.fetch_failure(config, request, exc), None, scraper
    if read is not None and fetched.body is not None:
        for name in scraper.prior_candidates(ctx):
            data = read(name)
            if data is not None:
                ctx = dataclasses.replace(ctx, prior=(name, data))
                break
    return core.compute(scraper, ctx, fetched), fetched, scraper


def _read_object(rt: Runtime, name: str) -> bytes | None:
    """An internal object's bytes, None when it does not exist (any other error propagates: redelivered)."""
    blob = gcs.bucket(rt).get_blob(name)
    return None if blob is None else blob.download_as_bytes()


def _write_state(rt: Runtime, request: ScraperRequest, fetched: Fetched, result: Result) -> None:
    """Last writer wins: a state object's bytes depend only on the answer (Scraper.state_outputs)."""
    meta = {**core.object_metadata(request, fetched), "role": "state"}
    for out in result.state:
        blob = gcs.bucket(rt).blob(out.name)
        blob.metadata = meta
        blob.upload_from_string(out.data, content_type=out.content_type)


def _stored_answer(rt: Runtime, request: ScraperRequest, name: str) -> tuple[Fetched, float] | None:
    """The answer a previous delivery of this request stored at `name` (and its measured duration)."""
    blob = gcs.bucket(rt).get_blob(name)
    if blob is None:
        return None
    meta = dict(blob.metadata or {})
    if meta.get("request_id") != request.request_id:
        return None
    body = blob.download_as_bytes()
    return Fetched.from_stored(body, blob.content_type or "application/octet-stream", meta), float(
        meta.get("duration_seconds", 0)
    )


def _write_outputs(
    rt: Runtime, request: ScraperRequest, fetched: Fetched, result: Result, duration: float, *, replace: bool = False
) -> Result:
    """Create every output (create-only). An object already written by this request is fine (resume); one
    written by another request is a `path_conflict` failure: never overwrite someone else's file, unless the
    scraper's path names the latest state (`replace`, Scraper.replaces_outputs), where the newer run wins."""
    meta = core.object_metadata(request, fetched)
    meta["duration_seconds"] = f"{duration:.3f}"
    for out in result.outputs:
        try:
            gcs.create_object(rt, out.name, out.data, out.content_type, {**meta, "role": out.role})
        except gcs.AlreadyExists:
            owner = (gcs.get_metadata(rt, out.name) or {}).get("request_id")
            if owner == request.request_id:
                continue
            if replace:
                blob = gcs.bucket(rt).blob(out.name)
                blob.metadata = {**meta, "role": out.role, "replaced_request_id": owner or ""}
                blob.upload_from_string(out.data, content_type=out.content_type)
                continue
            return core.failure(
                "path_conflict",
                f"gs://{rt.bucket}/{out.name} already exists, written by request {owner}; not overwritten",
            )
    return result


def _row_exists(rt: Runtime, execution_id: str) -> bool:
    rows = bq.query(
        rt, f"SELECT COUNT(*) AS n FROM {{dataset}}.{LOG_TABLE} WHERE execution_id = @e", {"e": execution_id}
    )
    return bool(rows and rows[0]["n"])


def _opts(config: Config, request: ScraperRequest, fetched: Fetched | None, delivery_attempt: int | None) -> dict:
    opts: dict[str, Any] = {"params": dict(request.params)}
    if request.context.get("reparsed_from"):
        opts["reparsed_from"] = request.context["reparsed_from"]
    ignored = core.ignored_params(config, request)
    if ignored:
        opts["ignored_params"] = ignored
    if fetched is not None and fetched.url:
        opts["url"] = fetched.url
    if delivery_attempt is not None:
        opts["delivery_attempt"] = delivery_attempt
    if request.decision_id:
        opts["decision_id"] = request.decision_id
    return opts


def execute(
    rt: Runtime,
    request: ScraperRequest,
    *,
    final_attempt: bool = False,
    delivery_attempt: int | None = None,
    config: Config | None = None,
    http: Any = None,
    answer: Fetched | None = None,
) -> Outcome:
    """Run one scraper request end to end (see the module docstring); idempotent by `request.request_id`.

    Raises TransientFailure (upstream unavailable, not the final attempt) or InProgress (another delivery
    holds the claim): both mean "redeliver later". `final_attempt=True` records transient failures instead
    (the last Pub/Sub delivery, the CLI, in-process callers that will not retry). `answer`: an answer
    already at hand (a quarantined one being re-parsed) used instead of fetching.
    """
    cfg = config or get_config()
    if request.as_of is None:
        raise ValueError("request.as_of is required: it is the scraper's logical time")
    _preload_secrets(cfg)
    started = time.monotonic()
    exec_id = core.execution_id(request.request_id)
    claim = claims.acquire(
        rt,
        request_id=request.request_id,
        scraper_name=request.scraper_name,
        execution_id=exec_id,
        owner=uuid.uuid4().hex,
        now=_wall_now(),
        lease_seconds=cfg.leases.scraper_request_seconds,
        take_over=final_attempt,
        request_digest=core.request_digest(request),
    )
    if claim.stage == "done":
        outcome = Outcome.from_json(claim.state["outcome"], duplicate=True)
        log.info(
            f"scrapers: duplicate delivery of request {request.request_id}, nothing done",
            scraper_name=request.scraper_name,
            execution_id=exec_id,
            status=outcome.status,
        )
        return outcome
    if not final_attempt and delivery_attempt is None:
        # Google's published CloudEvent schema for Pub/Sub does not list `deliveryAttempt`: without it, the
        # claim's own count of the deliveries that reached it says when this is the last one.
        final_attempt = int(claim.state.get("deliveries", 1)) >= cfg.pubsub.max_delivery_attempts
    try:
        return _run(rt, cfg, request, claim, started, final_attempt, delivery_attempt, http, answer)
    except BaseException:
        claim.release()
        raise


def _run(
    rt: Runtime,
    cfg: Config,
    request: ScraperRequest,
    claim: claims.Claim,
    started: float,
    final_attempt: bool,
    delivery_attempt: int | None,
    http: Any,
    answer: Fetched | None = None,
) -> Outcome:
    if claim.stage == "notified":
        outcome = Outcome.from_json(claim.state["outcome"])
        opts = claim.state.get("opts") or {}
    else:
        stored = answer
        measured: float | None = None
        if claim.stage == "writing" and claim.state.get("raw_object"):
            found = _stored_answer(rt, request, claim.state["raw_object"])
            if found is not None:
                stored, measured = found
        result, fetched, scraper = _fetch_and_compute(
            cfg,
            request,
            http or http_layer.client_for(rt, cfg.rate_limits),
            final_attempt=final_attempt,
            stored=stored,
            read=lambda name: _read_object(rt, name),
        )
        _step("after_fetch", request)
        duration = measured if measured is not None else time.monotonic() - started
        if result.outputs and fetched is not None:
            names = [o.name for o in result.outputs]
            claim.update(_wall_now(), stage="writing", raw_object=names[0], objects=names)
            replace = bool(scraper is not None and scraper.replaces_outputs)
            result = _write_outputs(rt, request, fetched, result, duration, replace=replace)
            if result.state:
                _write_state(rt, request, fetched, result)
            _step("after_write", request)
        result = _safekeep(rt, claim, request, fetched, result, duration)
        outcome = core.outcome_of(request, result, bucket=rt.bucket, duration_seconds=duration)
        opts = _opts(cfg, request, fetched, delivery_attempt)
        note = core.completion(outcome)
        outcome.notification_message_id = pubsub.publish(rt, "scraper_complete", note.data(), note.attributes())
        claim.update(_wall_now(), stage="notified", outcome=outcome.to_json(), opts=opts)
        _step("after_notify", request)
    # Follow-ups go out before the row insert: they are what the next step waits for (an events success
    # releasing per-event requests), while the row is audit. A crash between them resumes at `notified`:
    # the row is inserted then and the follow-ups republished with the same request ids (deduplicated).
    if outcome.follow_ups:
        pubsub.publish_many(
            rt,
            "scraper_requests",
            [(json.dumps(r.to_json(), separators=(",", ":")).encode(), r.attributes()) for r in outcome.follow_ups],
        )
    # The run ledger (what the controller reads each tick) and the audit row are written from the same row;
    # both writes are idempotent by execution id (create-only object; the row is checked on a resume).
    row = core.log_row(outcome, request, environment=rt.environment, opts=opts)
    run_ledger.write(rt, cfg, row)
    if not (claim.previous_stage == "notified" and _row_exists(rt, outcome.execution_id)):
        bq.insert_rows(rt, LOG_TABLE, [row], row_ids=[outcome.execution_id])
        _step("after_row", request)
    claim.update(_wall_now(), stage="done")
    # A blocked source is an ERROR (alertable: someone must give it another network); its fallbacks are named.
    (log.error if outcome.error_type in core.ALERTABLE else log.info)(
        f"scrapers: {outcome.scraper_name} {outcome.status}",
        scraper_name=outcome.scraper_name,
        execution_id=outcome.execution_id,
        request_id=outcome.request_id,
        status=outcome.status,
        record_count=outcome.record_count,
        gcs_path=outcome.gcs_path,
        error_type=outcome.error_type,
        follow_ups=len(outcome.follow_ups),
        fallback=outcome.summary.get("fallback"),
        resumed_from=claim.previous_stage,
    )
    safekeeping.log_drift(outcome)
    return outcome


def _safekeep(
    rt: Runtime, claim: claims.Claim, request: ScraperRequest, fetched: Fetched | None, result: Result, duration: float
) -> Result:
    """Never lose an answer, see schema drift (shared.scrapers.safekeeping): keep the answer of a failed run
    under the quarantine prefix (its name recorded in the claim first, like any output, so a redelivery
    re-parses the kept bytes instead of refetching), then compare the answer's shape with the baseline."""
    if fetched is None:
        return result
    if result.error_type == "path_conflict":  # the answer's name was taken by another request: keep it anyway
        result = core.quarantined(result, request, fetched)
    if result.quarantine is not None:
        name = result.quarantine.name
        claim.update(_wall_now(), stage="writing", raw_object=name, objects=[name])
        safekeeping.keep(rt, request, fetched, result, duration)
        _step("after_write", request)
    return safekeeping.check_drift(rt, request, result)


def handle(msg: PubSubMessage, *, rt: Runtime | None = None, config: Config | None = None) -> dict[str, Any]:
    """The Cloud Function's work: decode (MalformedMessage -> acknowledged by the edge), execute, report."""
    rt = rt or Runtime.from_env()
    cfg = config or get_config()
    request = decode_scraper_request(msg)
    final = is_final_attempt(msg.delivery_attempt, cfg.pubsub.max_delivery_attempts)
    try:
        outcome = execute(rt, request, final_attempt=final, delivery_attempt=msg.delivery_attempt, config=cfg)
    except RunAbandoned as exc:
        log.error(f"scrapers: {exc}; acknowledged, only cleanup can repair it", request_id=request.request_id)
        return {"injected_fault": str(exc)}
    except TransientFailure as exc:
        log.warning(
            f"scrapers: {request.scraper_name} upstream unavailable, Pub/Sub will redeliver: {exc}",
            scraper_name=request.scraper_name,
            request_id=request.request_id,
            error_type=exc.error_type,
            delivery_attempt=msg.delivery_attempt,
        )
        raise
    return outcome.to_json(full_follow_ups=False)


def run_local(
    request: ScraperRequest,
    out_dir: str | Path,
    *,
    config: Config | None = None,
    http: Any = None,
    answer: Fetched | None = None,
) -> Outcome:
    """Run a scraper in-process and write its files under `out_dir` (same relative names as in GCS).

    Touches no cloud service: no claim, no row, no notification; follow-ups are returned, not published.
    A file that already exists is left alone and reported as a duplicate (replaced, for a scraper whose path
    names the latest state: Scraper.replaces_outputs). A rejected answer is kept under
    `out_dir/_nba-orch/quarantine/` and the shape baseline in `out_dir/_nba-orch/shapes/`, as in GCS.
    """
    cfg = config or get_config()
    if request.as_of is None:
        raise ValueError("request.as_of is required: it is the scraper's logical time")
    _preload_secrets(cfg)
    started = time.monotonic()
    out = Path(out_dir)

    def read(name: str) -> bytes | None:
        path = out / name
        return path.read_bytes() if path.is_file() else None

    result, fetched, scraper = _fetch_and_compute(
        cfg, request, http or http_layer.client(), final_attempt=True, stored=answer, read=read
    )
    replace = bool(scraper is not None and scraper.replaces_outputs)
    kept = safekeeping.keep_local(out, request, fetched, result) if fetched is not None else None
    result = safekeeping.check_drift_local(out, request, result)
    duplicate = False
    for o in result.outputs:
        path = out / o.name
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("wb" if replace else "xb") as fh:
                fh.write(o.data)
        except FileExistsError:
            duplicate = True
    for o in result.state:
        path = out / o.name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(o.data)
    outcome = core.outcome_of(request, result, bucket=None, duration_seconds=time.monotonic() - started)
    outcome.duplicate = duplicate
    if outcome.object_name:
        outcome.file = str(out / outcome.object_name)
    outcome.extra_paths = [str(out / p) for p in outcome.extra_paths]
    if kept is not None:
        outcome.quarantine_path = str(kept)
    if outcome.error_message:
        outcome.error_message = scrub(outcome.error_message)
    return outcome
