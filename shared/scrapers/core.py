"""The pure core of a scraper run: validate a request, turn an upstream answer into a result, and build
the log row and the completion notification. No I/O, no clock: the logical time is `request.as_of`.

`shared.scrapers.service` is the edge that claims, fetches, writes, logs and publishes around these.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from shared.config import Config
from shared.contracts import ScraperCompletion, ScraperRequest
from shared.parsers.errors import ParseError, UpstreamError
from shared.paths.template import check_control_chars, check_path_value, fill_path, gcs_uri, placeholders
from shared.scrapers import registry
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
from shared.timeutil import iso_utc, parse_date, parse_instant

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
    follow_ups: tuple[ScraperRequest, ...] = ()
    error_type: str | None = None
    error_message: str | None = None
    retry_count: int = 0


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
EXPECTS_PUBLISHED = frozenset({"game_aware_yesterday"})


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


def quota(headers: dict[str, str]) -> dict[str, int]:
    """The Odds API credit headers as integers (absent ones left out)."""
    out = {}
    for header, key in QUOTA_HEADERS.items():
        value = headers.get(header)
        if value is not None:
            try:
                out[key] = int(float(value))
            except ValueError:
                pass
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
        parsed = scraper.parse(fetched, ctx)
        values = {**ctx.values(), **scraper.path_values(parsed, ctx)}
        name = fill_path(spec.gcs_path, values)
        extra = scraper.extra_outputs(fetched, parsed, ctx, values)
        follow_ups = scraper.follow_ups(parsed, ctx) if parsed.record_count > 0 else []
    except UpstreamError as exc:
        return replace(failure("upstream_error", str(exc), retries=fetched.retries), summary=base_summary)
    except ParseError as exc:
        return replace(failure("parse_error", str(exc), retries=fetched.retries), summary=base_summary)
    except ScraperFailure as exc:
        return replace(failure(exc.error_type, exc.message, retries=fetched.retries), summary=base_summary)
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
        follow_ups=tuple(follow_ups),
        retry_count=fetched.retries,
    )


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
    )


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
        "data_summary": _scrub_tree(outcome.summary),
        "error_type": outcome.error_type,
        "error_message": outcome.error_message,
        "retry_count": outcome.retry_count,
        "recovery": False,
        "opts": _scrub_tree(opts),
        "notification_message_id": outcome.notification_message_id,
    }


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
