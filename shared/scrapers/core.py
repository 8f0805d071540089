"""The pure core of a scraper run: validate a request, turn an upstream answer into a result, and build
the log row and the completion notification. No I/O, no clock: the logical time is `request.as_of`.

`shared.scrapers.service` is the edge that claims, fetches, writes, logs and publishes around these.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from shared.bucket_layout import object_name
from shared.config import Config
from shared.contracts import ScraperCompletion, ScraperRequest
from shared.parsers.errors import ParseError, UpstreamError
from shared.paths.template import check_control_chars, check_path_value, fill_path, gcs_uri, placeholders
from shared.scrapers import registry, shape
from shared.scrapers.base import Context, Fetched, Output, Scraper
from shared.scrapers.errors import (
    BLOCKED,
    MAX_ERROR_MESSAGE,
    NOT_PUBLISHED,
    InvalidRequest,
    ScraperFailure,
    TransientFailure,
)
from shared.secrets import scrub
from shared.timeutil import et_date, iso_utc, parse_date, parse_instant

QUOTA_HEADERS = {
    "x-requests-remaining": "requests_remaining",
    "x-requests-used": "requests_used",
    "x-requests-last": "requests_last",
}


def execution_id(request_id: str) -> str:
    """Deterministic from the request id: a redelivery can never create a second execution (or row)."""
    return hashlib.sha256(f"execution:{request_id}".encode()).hexdigest()[:20]


@dataclass(frozen=True)
class Result:
    """What a run produced, before any I/O: status, counts, the files to write and the follow-ups."""

    status: str
    record_count: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    outputs: tuple[Output, ...] = ()
    # Internal state written after the outputs, last writer wins (Scraper.state_outputs).
    state: tuple[Output, ...] = ()
    follow_ups: tuple[ScraperRequest, ...] = ()
    error_type: str | None = None
    error_message: str | None = None
    retry_count: int = 0
    # The raw answer of a failed run, kept under the quarantine prefix (never lose an answer).
    quarantine: Output | None = None
    # The answer's shape (paths and types; its fingerprint is in the summary), for the drift check.
    shape: shape.Shape | None = None
    warnings: tuple[str, ...] = ()

    @property
    def establishes(self) -> bool:
        """A full answer: one whose shape may extend the scraper's baseline (shared.scrapers.shape.check)."""
        return self.status == "success" and self.record_count > 0


def failure(error_type: str, message: str, *, retries: int = 0, status: int | None = None) -> Result:
    """A failed result; the message is scrubbed of secrets and cut to 1,000 characters."""
    summary: dict[str, Any] = {"record_count": 0}
    if status is not None:
        summary["http"] = {"status": status, "retries": retries}
    return Result(
        status="failed",
        summary=summary,
        error_type=error_type,
        error_message=scrub(str(message))[:MAX_ERROR_MESSAGE],
        retry_count=retries,
    )


# ---------------------------------------------------------------------------------------------------------
# A fetch that failed: blocked, not published, fallbacks

# Error types logged at ERROR (an operator must act: another network, a proxy), never a quiet failure.
ALERTABLE = frozenset({BLOCKED})
# Decision types whose requests expect the object to exist: a post-game window asks for a finished game's
# files, so "not published" there is a failure; anywhere else (discovery above all) it means "not yet".
EXPECTS_PUBLISHED = frozenset({"game_aware_yesterday", "recovery"})


def expects_published(config: Config, request: ScraperRequest) -> bool:
    """Whether `not_published` fails this request: decided by the request's workflow (follow-ups and
    fallbacks carry their parent's), so the catalogue needs no per-scraper flag."""
    wf = config.workflows.get(request.workflow)
    return wf is not None and wf.decision_type in EXPECTS_PUBLISHED


def fallback_requests(config: Config, request: ScraperRequest, error_type: str) -> tuple[ScraperRequest, ...]:
    """The catalogue's fallbacks of a failed request: the same parameters narrowed to what each takes, the
    same workflow, decision and logical time; ids scoped by the failed request's id, so every redelivery of
    it releases the same requests (their own claims make a second release a duplicate)."""
    spec = config.scrapers.get(request.scraper_name)
    out = []
    for name in spec.fallback if spec else ():
        out.append(
            ScraperRequest.create(
                name,
                config.scrapers[name].accepted(request.params),
                scope=f"fallback:{request.request_id}",
                workflow=request.workflow,
                source="FOLLOW_UP",
                triggered_by=f"fallback:{request.scraper_name}",
                decision_id=request.decision_id,
                as_of=request.as_of,
                context={
                    **request.context,
                    "fallback_for": request.scraper_name,
                    "fallback_error_type": error_type,
                    "parent_request_id": request.request_id,
                    "parent_scraper": request.scraper_name,
                },
            )
        )
    return tuple(out)


def fetch_failure(config: Config, request: ScraperRequest, exc: ScraperFailure | TransientFailure) -> Result:
    """The result of a fetch that raised: `exc` is permanent, or transient on the last delivery attempt.

    - `not_published` is `no_data` (error type kept, so the row says why) unless the request's workflow
      expects the object (`expects_published`), where it is `failed`;
    - `blocked`, and any transient failure that reached this point (its retries are over), release the
      scraper's fallbacks as follow-ups (listed in the summary under `fallback`);
    - anything else is `failed` as it was raised.
    """
    status = exc.status
    if exc.error_type == NOT_PUBLISHED and not expects_published(config, request):
        summary: dict[str, Any] = {"record_count": 0, "no_content": True, "not_published": True}
        if status is not None:
            summary["http"] = {"status": status, "retries": exc.retries}
        return Result(
            status="no_data",
            summary=summary,
            error_type=exc.error_type,
            error_message=scrub(exc.message)[:MAX_ERROR_MESSAGE],
            retry_count=exc.retries,
        )
    result = failure(exc.error_type, exc.message, retries=exc.retries, status=status)
    if isinstance(exc, TransientFailure) or exc.error_type == BLOCKED:
        released = fallback_requests(config, request, exc.error_type)
        if released:
            summary = {**result.summary, "fallback": [r.scraper_name for r in released]}
            result = replace(result, summary=summary, follow_ups=released)
    return result


# ---------------------------------------------------------------------------------------------------------
# Validation


def plan(config: Config, request: ScraperRequest) -> tuple[Scraper, Context]:
    """The scraper and context of a request, or InvalidRequest (unknown scraper, missing/invalid/unsafe
    parameter) / ScraperFailure('not_implemented'). Parameters not declared in the catalogue are ignored
    (listed in the row's opts), so a caller adding context such as `sport` does not break a run."""
    if request.as_of is None:
        raise ValueError("request.as_of is required: it is the scraper's logical time")
    scraper = registry.create(request.scraper_name, config)
    spec = scraper.spec
    missing = [p for p in spec.required if not request.params.get(p)]
    if missing:
        raise InvalidRequest("missing_parameter", f"{spec.name}: missing required parameter(s) {', '.join(missing)}")
    in_path = set(placeholders(spec.gcs_path)) | set(placeholders(spec.gcs_data_path or ""))
    params: dict[str, str] = {}
    for name in spec.params:
        value = request.params.get(name)
        if value is None or value == "":
            continue
        check_control_chars(name, value)
        if name in in_path:
            check_path_value(name, value)
        pattern = config.param_patterns[name]
        if not pattern.fullmatch(value):
            shown = scrub(value)[:80]
            raise InvalidRequest(
                "invalid_parameter", f"{spec.name}: parameter {name}={shown!r} does not match {pattern.pattern}"
            )
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and name in ("date", "game_date"):
            try:
                parse_date(value)
            except ValueError as exc:
                raise InvalidRequest("invalid_parameter", f"{spec.name}: {exc}") from None
        if name == "snapshot":
            try:
                parse_instant(value)
            except ValueError as exc:
                raise InvalidRequest("invalid_parameter", f"{spec.name}: {exc}") from None
        params[name] = value
    params = scraper.normalize_params(params, request.as_of)
    ctx = Context(
        request=request,
        spec=spec,
        source=scraper.source,
        params=params,
        as_of=request.as_of,
        execution_id=execution_id(request.request_id),
    )
    return scraper, ctx


def ignored_params(config: Config, request: ScraperRequest) -> list[str]:
    spec = config.scrapers.get(request.scraper_name)
    declared = set(spec.params) if spec else set()
    return sorted(set(request.params) - declared)


# ---------------------------------------------------------------------------------------------------------
# From an answer to a result


# The largest credit count believed: the Odds API's plans are in the millions; anything beyond is garbage.
MAX_QUOTA = 10**12
# What a parser raises on an answer it did not expect (a dict where a string was, `1e400`, a missing key,
# nesting too deep): a permanent `parse_error` like a ParseError, never a retry (a refetch costs credits).
PARSER_ERRORS = (TypeError, KeyError, IndexError, AttributeError, ValueError, OverflowError, RecursionError)


def quota(headers: dict[str, str]) -> dict[str, int]:
    """The Odds API credit headers as integers (absent ones left out); a value that is not a finite number in
    0..MAX_QUOTA (`1e400`, `nan`, `-5`) is ignored: it must not fail the run or mislead the credit planner."""
    out = {}
    for header, key in QUOTA_HEADERS.items():
        value = headers.get(header)
        if value is None or len(value) > 32:
            continue
        try:
            number = float(value)
        except ValueError:
            continue
        if math.isfinite(number) and 0 <= number <= MAX_QUOTA:
            out[key] = int(number)
    return out


def _http_summary(fetched: Fetched) -> dict[str, Any]:
    http: dict[str, Any] = {"status": fetched.status, "pages": fetched.pages, "retries": fetched.retries}
    if fetched.retry_waits:
        http["retry_waits"] = list(fetched.retry_waits)
    return http


def compute(scraper: Scraper, ctx: Context, fetched: Fetched) -> Result:
    """Status, counts, files and follow-ups of an answer. Pure: the same answer always gives the same result,
    which is what lets a redelivered request finish from the stored file instead of refetching."""
    spec = ctx.spec
    base_summary: dict[str, Any] = {"http": _http_summary(fetched)}
    q = quota(fetched.headers)
    if q:
        base_summary["quota"] = q
    if fetched.body is None:
        # A status the scraper names as "not published yet" (e.g. the injury report's 403) is no_data even when
        # an empty answer counts as success: nothing was there to look at.
        unpublished = fetched.status in scraper.no_data_statuses
        status = "success" if spec.treat_no_data_as_success and not unpublished else "no_data"
        summary = {"record_count": 0, "no_content": True, **base_summary}
        return Result(status=status, summary=summary, retry_count=fetched.retries)
    try:
        answer_shape = shape.of_answer(fetched.body, fetched.content_type)
    except PARSER_ERRORS:  # nesting too deep to walk (the parser below then reports the answer)
        answer_shape = None
    if answer_shape is not None:
        base_summary["shape"] = answer_shape.summary()
    try:
        parsed = scraper.parse(fetched, ctx)
        values = {**ctx.values(), **scraper.path_values(parsed, ctx)}
        name = fill_path(spec.gcs_path, values)
        extra = scraper.extra_outputs(fetched, parsed, ctx, values)
        state = scraper.state_outputs(parsed, ctx)
        follow_ups = scraper.follow_ups(parsed, ctx) if parsed.record_count > 0 else []
    except UpstreamError as exc:
        failed = failure("upstream_error", str(exc), retries=fetched.retries)
    except ParseError as exc:
        failed = failure("parse_error", str(exc), retries=fetched.retries)
    except ScraperFailure as exc:
        failed = failure(exc.error_type, exc.message, retries=fetched.retries)
    except PARSER_ERRORS as exc:
        failed = failure("parse_error", f"{spec.name}: the answer broke the parser ({type(exc).__name__}: {exc})")
        failed = replace(failed, retry_count=fetched.retries)
    else:
        failed = None
    if failed is not None:
        # An answer arrived and was rejected: keep it (quarantine) so a fixed parser can still read it.
        failed = replace(failed, summary=base_summary, shape=answer_shape)
        return quarantined(failed, ctx.request, fetched)
    count = int(parsed.record_count)
    if count > 0 or spec.treat_no_data_as_success:
        status = "success"
    else:
        status = "no_data"
    summary = {**parsed.summary, "record_count": count, **base_summary}
    outputs = (Output(name, fetched.body, fetched.content_type or scraper.content_type, "raw"), *extra)
    return Result(
        status=status,
        record_count=count,
        summary=summary,
        outputs=outputs,
        state=tuple(state),
        follow_ups=tuple(follow_ups),
        retry_count=fetched.retries,
        shape=answer_shape,
    )


# ---------------------------------------------------------------------------------------------------------
# Never lose an answer: the quarantine of a rejected answer, and how it is read back


QUARANTINE_EXTENSIONS = (("json", "json"), ("pdf", "pdf"), ("csv", "csv"), ("html", "html"), ("xml", "xml"))


def quarantine_name(request: ScraperRequest, content_type: str | None) -> str:
    """`_nba-orch/quarantine/<scraper>/<ET date of as_of>/<execution_id>.<ext>`: one per execution, so a
    redelivery finds its own object (create-only) instead of writing a second one."""
    assert request.as_of is not None
    ctype = (content_type or "").lower()
    ext = next((e for key, e in QUARANTINE_EXTENSIONS if key in ctype), "bin")
    day = et_date(request.as_of).isoformat()
    return object_name("quarantine", request.scraper_name, day, execution_id(request.request_id), ext=ext)


def quarantined(result: Result, request: ScraperRequest, fetched: Fetched) -> Result:
    """`result` (a failure) with the answer's bytes to keep under the quarantine prefix; unchanged when there
    is no answer to keep."""
    if fetched.body is None or request.as_of is None:
        return result
    name = quarantine_name(request, fetched.content_type)
    return replace(result, quarantine=Output(name, fetched.body, fetched.content_type, role="quarantine"))


def quarantine_metadata(request: ScraperRequest, fetched: Fetched, result: Result) -> dict[str, str]:
    """The quarantined object's metadata: the object metadata of every output (so the answer can be rebuilt
    with Fetched.from_stored) plus what re-parsing needs: the request's parameters, logical time, URL and
    content type, and why it was rejected. Scrubbed of secrets, like everything stored."""
    assert request.as_of is not None
    meta = object_metadata(request, fetched)
    meta.update(
        {
            "role": "quarantine",
            "as_of": iso_utc(request.as_of),
            "params": json.dumps(request.params, separators=(",", ":"), sort_keys=True),
            "url": fetched.url,
            "content_type": fetched.content_type,
            "error_type": result.error_type or "",
            "error_message": (result.error_message or "")[:500],
        }
    )
    if request.decision_id:
        meta["decision_id"] = request.decision_id
    return {k: scrub(v) for k, v in meta.items()}


def quarantined_request(meta: dict[str, str]) -> ScraperRequest:
    """The request whose answer a quarantined object holds, from its metadata (ValueError when incomplete)."""
    missing = [k for k in ("scraper_name", "request_id", "as_of", "params") if not meta.get(k)]
    if missing:
        raise ValueError(f"not a quarantined answer: its metadata lacks {', '.join(missing)}")
    try:
        params = json.loads(meta["params"])
        as_of = parse_instant(meta["as_of"])
    except ValueError as exc:
        raise ValueError(f"not a quarantined answer: {exc}") from None
    if not isinstance(params, dict):
        raise ValueError("not a quarantined answer: params is not an object")
    return ScraperRequest(
        scraper_name=meta["scraper_name"],
        params={str(k): str(v) for k, v in params.items()},
        request_id=meta["request_id"],
        workflow=meta.get("workflow") or "MANUAL",
        source=meta.get("source") or "MANUAL",
        decision_id=meta.get("decision_id") or None,
        as_of=as_of,
    )


def reparse_request(original: ScraperRequest, quarantine_uri: str) -> ScraperRequest:
    """The request that writes a re-parsed answer the normal way: same scraper, parameters, workflow and
    logical time (so the file lands where the original run's would have), its own deterministic id (a second
    `--reparse --write` of the same object is a duplicate, and the original run's claim is left alone)."""
    return ScraperRequest.create(
        original.scraper_name,
        original.params,
        scope=f"reparse:{execution_id(original.request_id)}",
        workflow=original.workflow,
        source="MANUAL",
        triggered_by="reparse",
        decision_id=original.decision_id,
        as_of=original.as_of,
        context={"reparsed_from": quarantine_uri, "original_request_id": original.request_id},
    )


# ---------------------------------------------------------------------------------------------------------
# Schema drift: the run's shape against the scraper's baseline (the baseline's I/O: shared.scrapers.safekeeping)


def with_drift(result: Result, drift: shape.Drift | None) -> Result:
    """`result` with the drift found (a `schema_drift` warning, its detail in the summary), if any."""
    if drift is None or not drift.drifted:
        return result
    summary = {**result.summary, "schema_drift": drift.to_json()}
    return replace(result, summary=summary, warnings=(*result.warnings, "schema_drift"))


# ---------------------------------------------------------------------------------------------------------
# What a run reports


@dataclass
class Outcome:
    """The result of `service.execute`, also what a duplicate delivery returns (from the claim's record).

    `gcs_path` is the full gs:// URI of the raw file (what rows and notifications carry); `object_name` is
    the same file's name inside the bucket (what shared.adapters.gcs functions take).
    """

    scraper_name: str
    request_id: str
    execution_id: str
    status: str
    record_count: int = 0
    summary: dict[str, Any] = field(default_factory=dict)
    gcs_path: str | None = None
    object_name: str | None = None
    extra_paths: list[str] = field(default_factory=list)
    follow_ups: list[ScraperRequest] = field(default_factory=list)
    duplicate: bool = False
    error_type: str | None = None
    error_message: str | None = None
    retry_count: int = 0
    triggered_at: datetime | None = None
    duration_seconds: float = 0.0
    notification_message_id: str | None = None
    workflow: str = "MANUAL"
    file: str | None = None
    # Where the rejected answer of a failed run is kept (gs:// URI; a local path for run_local).
    quarantine_path: str | None = None
    warnings: list[str] = field(default_factory=list)

    def to_json(self, *, full_follow_ups: bool = True) -> dict[str, Any]:
        out = {
            "scraper_name": self.scraper_name,
            "request_id": self.request_id,
            "execution_id": self.execution_id,
            "status": self.status,
            "record_count": self.record_count,
            "gcs_path": self.gcs_path,
            "object_name": self.object_name,
            "extra_paths": list(self.extra_paths),
            "duplicate": self.duplicate,
            "error_type": self.error_type,
            "error_message": self.error_message,
            "retry_count": self.retry_count,
            "triggered_at": iso_utc(self.triggered_at) if self.triggered_at else None,
            "duration_seconds": round(self.duration_seconds, 3),
            "notification_message_id": self.notification_message_id,
            "workflow": self.workflow,
            "summary": self.summary,
            "quarantine_path": self.quarantine_path,
            "warnings": list(self.warnings),
        }
        if full_follow_ups:
            out["follow_ups"] = [f.to_json() for f in self.follow_ups]
        else:
            out["follow_ups"] = [{"scraper_name": f.scraper_name, "params": f.params} for f in self.follow_ups]
        if self.file:
            out["file"] = self.file
        return out

    @classmethod
    def from_json(cls, d: dict[str, Any], **overrides: Any) -> Outcome:
        fields = dict(d)
        fields["follow_ups"] = [request_from_json(f) for f in d.get("follow_ups") or []]
        fields["triggered_at"] = parse_instant(d["triggered_at"]) if d.get("triggered_at") else None
        fields.update(overrides)
        return cls(**{k: v for k, v in fields.items() if k in cls.__dataclass_fields__})


def request_from_json(d: dict[str, Any]) -> ScraperRequest:
    return ScraperRequest(
        scraper_name=d["scraper_name"],
        params=dict(d.get("params") or {}),
        request_id=d["request_id"],
        workflow=d.get("workflow") or "MANUAL",
        source=d.get("source") or "MANUAL",
        triggered_by=d.get("triggered_by") or "manual",
        decision_id=d.get("decision_id"),
        as_of=parse_instant(d["as_of"]) if d.get("as_of") else None,
        context=dict(d.get("context") or {}),
    )


def outcome_of(
    request: ScraperRequest, result: Result, *, bucket: str | None, duration_seconds: float, workflow: str | None = None
) -> Outcome:
    raw = [o for o in result.outputs if o.role == "raw"]
    name = raw[0].name if raw else None
    kept = result.quarantine.name if result.quarantine is not None else None
    return Outcome(
        scraper_name=request.scraper_name,
        request_id=request.request_id,
        execution_id=execution_id(request.request_id),
        status=result.status,
        record_count=result.record_count,
        summary=result.summary,
        gcs_path=gcs_uri(bucket, name) if (name and bucket) else None,
        object_name=name,
        extra_paths=[gcs_uri(bucket, o.name) if bucket else o.name for o in result.outputs if o.role != "raw"],
        follow_ups=list(result.follow_ups),
        error_type=result.error_type,
        error_message=result.error_message,
        retry_count=result.retry_count,
        triggered_at=request.as_of,
        duration_seconds=duration_seconds,
        workflow=workflow or request.workflow,
        quarantine_path=(gcs_uri(bucket, kept) if bucket else kept) if kept else None,
        warnings=list(result.warnings),
    )


def request_digest(request: ScraperRequest) -> str:
    """What a request asks for (scraper and parameters), as the digest its claim records: a reused
    request_id with other contents is then told apart from a redelivery."""
    canon = json.dumps([request.scraper_name, sorted(request.params.items())], separators=(",", ":"))
    return hashlib.sha256(canon.encode()).hexdigest()[:32]


def object_metadata(request: ScraperRequest, fetched: Fetched) -> dict[str, str]:
    """GCS metadata of every written object: who wrote it and when (cleanup republishes from this), plus
    what is needed to rebuild the answer from the file."""
    assert request.as_of is not None
    meta = {
        "execution_id": execution_id(request.request_id),
        "scraper_name": request.scraper_name,
        "request_id": request.request_id,
        "workflow": request.workflow,
        "triggered_at": iso_utc(request.as_of),
        "source": request.source,
    }
    if request.context.get("snapshot_type"):  # a line snapshot's label (open, regular, injury, closing)
        meta["snapshot_type"] = str(request.context["snapshot_type"])
    meta.update(fetched.metadata())
    return {k: scrub(v) for k, v in meta.items()}


def log_row(outcome: Outcome, request: ScraperRequest, *, environment: str, opts: dict[str, Any]) -> dict[str, Any]:
    """The scraper_execution_log row (one per execution; insertId = execution_id)."""
    assert outcome.triggered_at is not None
    return {
        "execution_id": outcome.execution_id,
        "request_id": outcome.request_id,
        "scraper_name": outcome.scraper_name,
        "workflow": outcome.workflow,
        "status": outcome.status,
        "triggered_at": outcome.triggered_at,
        "completed_at": outcome.triggered_at + timedelta(seconds=outcome.duration_seconds),
        "duration_seconds": round(outcome.duration_seconds, 3),
        "source": request.source,
        "environment": environment,
        "triggered_by": request.triggered_by,
        "gcs_path": outcome.gcs_path,
        "data_summary": _scrub_tree(_labelled(outcome.summary, request)),
        "error_type": outcome.error_type,
        "error_message": outcome.error_message,
        "retry_count": outcome.retry_count,
        "recovery": False,
        "opts": _scrub_tree(opts),
        "notification_message_id": outcome.notification_message_id,
        "quarantine_path": outcome.quarantine_path,
        "warnings": list(outcome.warnings),
    }


def _labelled(summary: dict[str, Any], request: ScraperRequest) -> dict[str, Any]:
    """The row's data_summary with the request's line-snapshot label (`snapshot_type`), when it has one."""
    kind = request.context.get("snapshot_type")
    return {**summary, "snapshot_type": str(kind)} if kind else summary


def completion(outcome: Outcome) -> ScraperCompletion:
    assert outcome.triggered_at is not None
    meta: dict[str, Any] = {
        "request_id": outcome.request_id,
        "triggered_at": iso_utc(outcome.triggered_at),
        "follow_up_count": len(outcome.follow_ups),
    }
    if outcome.error_type:
        meta["error_type"] = outcome.error_type
    if outcome.extra_paths:
        meta["extra_paths"] = outcome.extra_paths
    if "quota" in outcome.summary:
        meta["quota"] = outcome.summary["quota"]
    if outcome.quarantine_path:
        meta["quarantine_path"] = outcome.quarantine_path
    if outcome.warnings:
        meta["warnings"] = list(outcome.warnings)
    return ScraperCompletion(
        scraper_name=outcome.scraper_name,
        execution_id=outcome.execution_id,
        status=outcome.status,
        gcs_path=outcome.gcs_path,
        record_count=outcome.record_count,
        duration_seconds=outcome.duration_seconds,
        timestamp=outcome.triggered_at + timedelta(seconds=outcome.duration_seconds),
        workflow=outcome.workflow,
        error_message=outcome.error_message,
        metadata=_scrub_tree(meta),
    )


def _scrub_tree(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {str(k): _scrub_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_tree(v) for v in value]
    return value
