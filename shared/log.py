"""Structured JSON logs on stdout, one line per entry, in the shape Cloud Logging's agent reads.

Cloud Logging lifts `severity`, `message`, `logging.googleapis.com/labels` and `logging.googleapis.com/trace`
(with `spanId`, `trace_sampled`) out of the line, so entries of one message join up: the edge binds the
function, the message's identifiers and its W3C `traceparent` for the duration of the work (`bound`), and
every line written meanwhile carries them. The join keys (LABEL_KEYS) stay in the payload too, where the
log-based metrics of deploy read them. Secrets are scrubbed from every value before serialising: a secret with
quotes or newlines (a service-account JSON key) would be escaped by JSON and no longer match in the line.
Standard-library `logging` records (ours and the client libraries') come out in the same format through one
handler, installed once (`install`). Standard library only: importing this costs nothing at cold start.

No exception text leaves the process unscrubbed (issue 17): `ScrubFilter` scrubs a record's message, its
arguments and its traceback (exc_info is rendered, scrubbed into exc_text and dropped), and `install_scrubbing`
puts it on the root logger, the framework's loggers (functions-framework, Flask's app logger, werkzeug,
gunicorn) and all their handlers, and wraps the record factory so a handler added later is covered too.
"""

from __future__ import annotations

import contextvars
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from shared.secrets import scrub

LABELS = "logging.googleapis.com/labels"
TRACE = "logging.googleapis.com/trace"
SPAN = "logging.googleapis.com/spanId"
SAMPLED = "logging.googleapis.com/trace_sampled"
# Fields that identify what a line is about; copied into the entry's labels when present.
LABEL_KEYS = ("function", "workflow", "scraper_name", "request_id", "decision_id")
_TRACEPARENT = re.compile(r"^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
# The fields bound by the edge for the message being handled (a context variable: threads and tasks of one
# message see them, another message's do not).
_bound: contextvars.ContextVar[dict[str, Any]] = contextvars.ContextVar("nba_orch_log_bound", default={})  # noqa: B039
_write_lock = threading.Lock()


def trace_fields(traceparent: str | None, project: str | None) -> dict[str, Any]:
    """Cloud Logging's trace fields from a W3C `traceparent` ("00-<trace id>-<span id>-<flags>"); none when it
    is absent or malformed (a bad header must not break logging), or when the project is unknown."""
    m = _TRACEPARENT.match((traceparent or "").strip().lower())
    if not m or not project or m.group(1) == "0" * 32:
        return {}
    return {
        TRACE: f"projects/{project}/traces/{m.group(1)}",
        SPAN: m.group(2),
        SAMPLED: bool(int(m.group(3), 16) & 1),
    }


@contextmanager
def bound(**fields: Any) -> Iterator[None]:
    """Add `fields` (None values dropped) to every line written inside the block."""
    token = _bound.set({**_bound.get(), **{k: v for k, v in fields.items() if v is not None}})
    try:
        yield
    finally:
        _bound.reset(token)


def _clean(value: Any) -> Any:
    """JSON-ready `value` with every string scrubbed (keys too); unknown types become their str()."""
    if isinstance(value, str):
        return scrub(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {scrub(str(k)): _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_clean(v) for v in value]
    return scrub(str(value))


def entry(severity: str, message: str, **fields: Any) -> dict[str, Any]:
    """The scrubbed JSON object of one line (before serialising)."""
    data = {**_bound.get(), **fields}
    trace = {k: data.pop(k) for k in (TRACE, SPAN, SAMPLED) if k in data}
    out: dict[str, Any] = {"severity": severity, "message": message, "time": datetime.now(UTC).isoformat()}
    out.update(data)
    labels = {k: str(data[k]) for k in LABEL_KEYS if data.get(k) not in (None, "")}
    if labels:
        out[LABELS] = labels
    out.update(trace)
    return _clean(out)


def log(severity: str, message: str, **fields: Any) -> None:
    line = json.dumps(entry(severity, message, **fields), separators=(",", ":"))
    with _write_lock:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()


def info(message: str, **fields: Any) -> None:
    log("INFO", message, **fields)


def warning(message: str, **fields: Any) -> None:
    log("WARNING", message, **fields)


def error(message: str, **fields: Any) -> None:
    log("ERROR", message, **fields)


def critical(message: str, **fields: Any) -> None:
    log("CRITICAL", message, **fields)


def severity_of(levelno: int) -> str:
    """Cloud Logging's severity for a stdlib level (custom levels round down)."""
    for floor, name in ((50, "CRITICAL"), (40, "ERROR"), (30, "WARNING"), (20, "INFO")):
        if levelno >= floor:
            return name
    return "DEBUG"


# The loggers of the serving framework: functions-framework, Flask (its app logger is named after the target),
# werkzeug (the dev server) and gunicorn (Cloud Functions' server).
FRAMEWORK_LOGGERS = ("functions_framework", "flask.app", "werkzeug", "gunicorn", "gunicorn.error", "gunicorn.access")


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """`record` scrubbed in place: message with its arguments merged in, traceback and stack as text."""
    try:
        message = record.getMessage()
    except Exception:  # bad %-arguments: keep what can be shown
        message = f"{record.msg} {record.args!r}"
    record.msg, record.args = scrub(str(message)), None
    if record.exc_info:
        text = record.exc_text or logging.Formatter().formatException(record.exc_info)
        record.exc_info, record.exc_text = None, scrub(text)
    elif record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
    return record


class ScrubFilter(logging.Filter):
    """Scrubs every record it sees (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
        return True


_SCRUB = ScrubFilter()
_factory_wrapped = False


def install_scrubbing(*names: str) -> ScrubFilter:
    """Scrub every record of the root logger, the framework's loggers and `names` (e.g. the function's Flask
    app logger), on the loggers and on their handlers (a logger's filter does not see its children's records),
    plus logging's last-resort handler and the record factory. Idempotent: safe at every message."""
    global _factory_wrapped
    loggers = [logging.getLogger(), *(logging.getLogger(n) for n in (*FRAMEWORK_LOGGERS, *names))]
    handlers = [h for lg in loggers for h in lg.handlers]
    if logging.lastResort is not None:
        handlers.append(logging.lastResort)
    for target in (*loggers, *handlers):
        if _SCRUB not in target.filters:
            target.addFilter(_SCRUB)
    if not _factory_wrapped:
        made = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return scrub_record(made(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _factory_wrapped = True
    return _SCRUB


class JsonHandler(logging.Handler):
    """Writes stdlib log records as our JSON lines (logger name, source location, traceback as fields)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            fields: dict[str, Any] = {
                "logger": record.name,
                "logging.googleapis.com/sourceLocation": {
                    "file": record.pathname,
                    "line": str(record.lineno),
                    "function": record.funcName,
                },
            }
            if record.exc_info:
                fields["traceback"] = logging.Formatter().formatException(record.exc_info)
            elif record.exc_text:  # a record already scrubbed (ScrubFilter keeps the traceback as text)
                fields["traceback"] = record.exc_text
            log(severity_of(record.levelno), record.getMessage(), **fields)
        except Exception:  # a logging failure must never fail the work
            self.handleError(record)


def install() -> JsonHandler:
    """Route the root logger through `JsonHandler`, once per process (a second call returns the same one).
    NBA_ORCH_LOG_LEVEL sets the root level (default: left as it is, WARNING unless someone changed it)."""
    root = logging.getLogger()
    for h in root.handlers:
        if isinstance(h, JsonHandler):
            return h
    handler = JsonHandler()
    root.addHandler(handler)
    level = os.environ.get("NBA_ORCH_LOG_LEVEL")
    if level:
        root.setLevel(level.upper())
    return handler
