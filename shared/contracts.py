"""Versioned message contracts and the one CloudEvent decoder every function uses.

A message that cannot be understood raises `MalformedMessage`; the function edge logs it and acknowledges it
(returns normally) because redelivering bytes that will never parse only burns retries. Anything else that
goes wrong is raised so Pub/Sub redelivers.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.limits import MAX_CONTEXT_BYTES, MAX_NAME_CHARS, LimitExceeded, check_attributes
from shared.timeutil import iso_utc, parse_date, parse_instant

SCHEMA_VERSION = 1
MAX_PAYLOAD_BYTES = 256 * 1024
# A tick's `as_of` may lead its publish time by this much (clock skew) unless `force`: a tick cannot act for
# tomorrow (lock tomorrow's schedule today). Any past `as_of` is accepted: replays and backfills act for the past.
MAX_AS_OF_AHEAD = timedelta(minutes=15)
_NAME = re.compile(rf"[^\x00-\x1f\x7f]{{1,{MAX_NAME_CHARS}}}")  # free text, bounded, no control characters
STATUSES = ("success", "no_data", "failed")
SOURCES = ("CONTROLLER", "MANUAL", "LOCAL", "SCHEDULER", "RECOVERY", "FOLLOW_UP", "LOCKER", "SIMULATION", "BACKFILL")


class MalformedMessage(ValueError):
    """The payload is not a valid message of the expected contract (never retried)."""


@dataclass(frozen=True)
class PubSubMessage:
    data: bytes
    attributes: dict[str, str]
    message_id: str
    publish_time: datetime
    delivery_attempt: int | None = None


def decode_event(cloud_event: Any) -> PubSubMessage:
    """Decode a `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent into its Pub/Sub message."""
    payload = cloud_event.data if hasattr(cloud_event, "data") else cloud_event
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError):
            raise MalformedMessage("event data is not JSON (or nested too deeply)") from None
    if not isinstance(payload, dict) or not isinstance(payload.get("message"), dict):
        raise MalformedMessage("event data has no Pub/Sub 'message' object")
    msg = payload["message"]
    raw = msg.get("data", "")
    try:
        data = base64.b64decode(raw, validate=True) if raw else b""
    except (binascii.Error, TypeError, ValueError):
        raise MalformedMessage("message.data is not valid base64") from None
    publish_raw = msg.get("publishTime") or msg.get("publish_time")
    if publish_raw is None and hasattr(cloud_event, "get"):
        publish_raw = cloud_event.get("time")
    try:
        publish_time = parse_instant(str(publish_raw)) if publish_raw else None
    except ValueError as exc:
        raise MalformedMessage(f"publishTime: {exc}") from None
    if publish_time is None:
        raise MalformedMessage("message has no publishTime")
    attrs = msg.get("attributes") or {}
    if not isinstance(attrs, dict):
        raise MalformedMessage("message.attributes is not an object")
    attempt = payload.get("deliveryAttempt")
    attributes = {str(k): str(v) for k, v in attrs.items()}
    try:
        check_attributes(attributes)
    except LimitExceeded as exc:
        raise MalformedMessage(f"message attributes: {exc}") from None
    return PubSubMessage(
        data=data,
        attributes=attributes,
        message_id=str(msg.get("messageId") or msg.get("message_id") or ""),
        publish_time=publish_time,
        delivery_attempt=attempt
        if isinstance(attempt, int) and not isinstance(attempt, bool) and attempt > 0
        else None,
    )


def _json_object(data: bytes, what: str) -> dict[str, Any]:
    if len(data) > MAX_PAYLOAD_BYTES:
        raise MalformedMessage(f"{what}: payload of {len(data)} bytes exceeds {MAX_PAYLOAD_BYTES}")
    if not data.strip():
        return {}
    try:
        obj = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedMessage(f"{what}: invalid JSON ({exc})") from None
    except RecursionError:
        raise MalformedMessage(f"{what}: JSON nested too deeply") from None
    if not isinstance(obj, dict):
        raise MalformedMessage(f"{what}: expected a JSON object, got {type(obj).__name__}")
    version = obj.get("v", SCHEMA_VERSION)
    if version != SCHEMA_VERSION:
        raise MalformedMessage(f"{what}: unsupported schema version {version!r} (this code reads {SCHEMA_VERSION})")
    return obj


def _check_keys(obj: dict[str, Any], allowed: set[str], what: str) -> None:
    unknown = sorted(set(obj) - allowed)
    if unknown:
        raise MalformedMessage(f"{what}: unknown field {unknown[0]!r}")


def _bool(obj: dict[str, Any], key: str, what: str) -> bool:
    value = obj.get(key, False)
    if not isinstance(value, bool):
        raise MalformedMessage(f"{what}: {key} must be true or false, got {value!r}")
    return value


# ---------------------------------------------------------------------------------------------------------
# Tick: Cloud Scheduler (or a person) -> schedule locker / master controller / cleanup


@dataclass(frozen=True)
class Tick:
    """A scheduler tick. `as_of` is the instant the function acts for (publish time when not given)."""

    as_of: datetime
    date: date | None = None
    force: bool = False
    dry_run: bool = False
    since: datetime | None = None
    message_id: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"v": SCHEMA_VERSION, "as_of": iso_utc(self.as_of)}
        if self.date:
            out["date"] = self.date.isoformat()
        if self.force:
            out["force"] = True
        if self.dry_run:
            out["dry_run"] = True
        if self.since:
            out["since"] = iso_utc(self.since)
        return out


def decode_tick(msg: PubSubMessage) -> Tick:
    what = "tick"
    obj = _json_object(msg.data, what)
    _check_keys(obj, {"v", "as_of", "date", "force", "dry_run", "since", "source"}, what)
    try:
        as_of = parse_instant(obj["as_of"]) if obj.get("as_of") else msg.publish_time
        d = parse_date(obj["date"]) if obj.get("date") is not None else None
        since = parse_instant(obj["since"]) if obj.get("since") else None
    except ValueError as exc:
        raise MalformedMessage(f"{what}: {exc}") from None
    force = _bool(obj, "force", what)
    if as_of - msg.publish_time > MAX_AS_OF_AHEAD and not force:
        raise MalformedMessage(
            f"{what}: as_of {iso_utc(as_of)} is after its publish time {iso_utc(msg.publish_time)} by more than "
            f"{MAX_AS_OF_AHEAD}: a tick cannot act for the future (add force to mean it)"
        )
    return Tick(
        as_of=as_of,
        date=d,
        force=force,
        dry_run=_bool(obj, "dry_run", what),
        since=since,
        message_id=msg.message_id,
    )


# ---------------------------------------------------------------------------------------------------------
# Scraper request: controller (or a follow-up, or a person) -> scrapers function


# Compact JSON, one encoder built once: `json.dumps(..., separators=...)` builds a new encoder on every call,
# which costs as much as encoding a request id's few values (a fan-out makes one per request). Same output as
# json.dumps with those separators; no circular check (only our own plain dicts and lists are encoded).
COMPACT_JSON = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def inherit_context(parent: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A follow-up's context: its parent's plus `extra`, kept under MAX_CONTEXT_BYTES by dropping the
    parent's largest entries first (named in `context_dropped`), so a follow-up is never refused for
    inheriting a large context."""
    out = {**parent, **extra}
    dropped: list[str] = []
    for key in sorted(parent, key=lambda k: len(COMPACT_JSON.encode(parent[k])), reverse=True):
        if len(COMPACT_JSON.encode(out).encode()) <= MAX_CONTEXT_BYTES - 1024:
            break
        if key not in extra:
            out.pop(key, None)
            dropped.append(key)
    if dropped:
        out["context_dropped"] = sorted(dropped)[:20]
    return out


def make_request_id(scraper_name: str, params: dict[str, str], scope: str) -> str:
    """Deterministic id of a request: the same decision, scraper and parameters give the same id."""
    canon = COMPACT_JSON.encode([scope, scraper_name, sorted(params.items())])
    return hashlib.sha256(canon.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class ScraperRequest:
    scraper_name: str
    params: dict[str, str]
    request_id: str
    workflow: str = "MANUAL"
    source: str = "MANUAL"
    triggered_by: str = "manual"
    decision_id: str | None = None
    as_of: datetime | None = None
    context: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def create(cls, scraper_name: str, params: dict[str, Any], *, scope: str, **kw: Any) -> ScraperRequest:
        p = {str(k): str(v) for k, v in params.items()}
        return cls(scraper_name=scraper_name, params=p, request_id=make_request_id(scraper_name, p, scope), **kw)

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["v"] = SCHEMA_VERSION
        out["as_of"] = iso_utc(self.as_of) if self.as_of else None
        return out

    def attributes(self) -> dict[str, str]:
        return {"scraper_name": self.scraper_name, "workflow": self.workflow, "request_id": self.request_id}


def decode_scraper_request(msg: PubSubMessage) -> ScraperRequest:
    what = "scraper request"
    obj = _json_object(msg.data, what)
    _check_keys(
        obj,
        {
            "v",
            "scraper_name",
            "params",
            "request_id",
            "workflow",
            "source",
            "triggered_by",
            "decision_id",
            "as_of",
            "context",
        },
        what,
    )
    name = obj.get("scraper_name")
    if not isinstance(name, str) or not name:
        raise MalformedMessage(f"{what}: scraper_name is required")
    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
        raise MalformedMessage(f"{what}: scraper_name must be lower_snake_case, at most 64 characters")
    names = {k: obj.get(k) for k in ("workflow", "triggered_by", "decision_id") if obj.get(k) is not None}
    for key, value in names.items():
        if not isinstance(value, str) or not _NAME.fullmatch(value):
            raise MalformedMessage(
                f"{what}: {key} must be a string of 1-{MAX_NAME_CHARS} characters without control characters"
            )
    params = obj.get("params") or {}
    if not isinstance(params, dict) or not all(
        isinstance(v, str | int) and not isinstance(v, bool) for v in params.values()
    ):
        raise MalformedMessage(f"{what}: params must be an object of strings")
    params = {str(k): str(v) for k, v in params.items()}
    source = obj.get("source", "MANUAL")
    if source not in SOURCES:
        raise MalformedMessage(f"{what}: unknown source {source!r}")
    context = obj.get("context") or {}
    if not isinstance(context, dict):
        raise MalformedMessage(f"{what}: context must be an object")
    if len(COMPACT_JSON.encode(context).encode()) > MAX_CONTEXT_BYTES:
        raise MalformedMessage(f"{what}: context larger than {MAX_CONTEXT_BYTES} bytes")
    try:
        as_of = parse_instant(obj["as_of"]) if obj.get("as_of") else msg.publish_time
    except ValueError as exc:
        raise MalformedMessage(f"{what}: {exc}") from None
    request_id = obj.get("request_id")
    if request_id is not None and (not isinstance(request_id, str) or not request_id.isalnum() or len(request_id) > 64):
        raise MalformedMessage(f"{what}: request_id must be 1-64 letters or digits")
    # Without an explicit id, a manual publish is keyed by its content and ET hour: a redelivery of the same
    # message is then a duplicate, while the same request next hour is new work.
    request_id = request_id or make_request_id(name, params, f"manual:{as_of:%Y-%m-%dT%H}")
    return ScraperRequest(
        scraper_name=name,
        params=params,
        request_id=request_id,
        workflow=str(obj.get("workflow") or "MANUAL"),
        source=source,
        triggered_by=str(obj.get("triggered_by") or "manual"),
        decision_id=obj.get("decision_id"),
        as_of=as_of,
        context=context,
    )


# ---------------------------------------------------------------------------------------------------------
# Scraper completion: scrapers function (or cleanup, on recovery) -> downstream processors


@dataclass(frozen=True)
class ScraperCompletion:
    scraper_name: str
    execution_id: str
    status: str
    gcs_path: str | None
    record_count: int
    duration_seconds: float
    timestamp: datetime
    workflow: str = "MANUAL"
    error_message: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    recovery: bool = False
    original_execution_id: str | None = None
    original_triggered_at: datetime | None = None
    recovery_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "v": SCHEMA_VERSION,
            "name": self.scraper_name,
            "scraper_name": self.scraper_name,
            "execution_id": self.execution_id,
            "status": self.status,
            "gcs_path": self.gcs_path,
            "record_count": self.record_count,
            "duration_seconds": round(self.duration_seconds, 3),
            "timestamp": iso_utc(self.timestamp),
            "workflow": self.workflow,
            "error_message": self.error_message,
            "metadata": self.metadata,
        }
        if self.recovery:
            out.update(
                recovery=True,
                original_execution_id=self.original_execution_id,
                original_triggered_at=iso_utc(self.original_triggered_at) if self.original_triggered_at else None,
                recovery_reason=self.recovery_reason,
                recovery_timestamp=iso_utc(self.timestamp),
            )
        return out

    def data(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":")).encode()

    def attributes(self) -> dict[str, str]:
        attrs = {
            "scraper_name": self.scraper_name,
            "status": self.status,
            "execution_id": self.execution_id,
            "workflow": self.workflow or "MANUAL",
        }
        if self.recovery:
            attrs["recovery"] = "true"
        return attrs


def decode_completion(msg: PubSubMessage) -> ScraperCompletion:
    what = "scraper completion"
    obj = _json_object(msg.data, what)
    try:
        status = obj["status"]
        if status not in STATUSES:
            raise MalformedMessage(f"{what}: unknown status {status!r}")
        orig = obj.get("original_triggered_at")
        return ScraperCompletion(
            scraper_name=str(obj["scraper_name"]),
            execution_id=str(obj["execution_id"]),
            status=status,
            gcs_path=obj.get("gcs_path"),
            record_count=int(obj.get("record_count") or 0),
            duration_seconds=float(obj.get("duration_seconds") or 0),
            timestamp=parse_instant(obj["timestamp"]),
            workflow=str(obj.get("workflow") or "MANUAL"),
            error_message=obj.get("error_message"),
            metadata=obj.get("metadata") or {},
            recovery=bool(obj.get("recovery", False)),
            original_execution_id=obj.get("original_execution_id"),
            original_triggered_at=parse_instant(orig) if orig else None,
            recovery_reason=obj.get("recovery_reason"),
        )
    except KeyError as exc:
        raise MalformedMessage(f"{what}: missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise MalformedMessage(f"{what}: {exc}") from None


def now_utc_for_logs() -> datetime:
    """Wall-clock time, for log timestamps and durations only: never for decisions."""
    return datetime.now(UTC)
