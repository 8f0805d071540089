"""The edge of every function: decode the Pub/Sub CloudEvent, run the work, and decide ack or retry.

Outcomes, the same for all four functions:
- malformed message or `PermanentError` (bad input that will never succeed): logged as an ERROR with the
  message id, then acknowledged (the function returns normally) so it is not retried forever;
- any other exception propagates: functions-framework answers 500 and Pub/Sub redelivers (bounded by the
  subscription's dead-letter policy);
- success: the result is logged and returned.

Whatever is raised leaves scrubbed (`scrubbed`): the same type, secrets removed from its message and text
attributes, raised `from None`, so the traceback functions-framework prints holds no key; the framework's
loggers scrub their records too (shared.log.install_scrubbing, installed here).

Every line written while a message is handled (ours and the libraries' stdlib records) carries the function,
the message's identifiers and its trace (see shared/log.py), so Cloud Logging joins them up.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from functools import cache
from typing import Any

from shared import log
from shared.contracts import MalformedMessage, PubSubMessage, decode_event
from shared.errors import PermanentError, RetryLater
from shared.secrets import scrub

Handler = Callable[[PubSubMessage], dict[str, Any] | None]
# Where a W3C trace context can come from: the CloudEvent's extension (Eventarc), else the Pub/Sub message's
# attribute (a publisher that propagates it; the Pub/Sub client's OpenTelemetry names it googclient_...).
TRACEPARENT_ATTRIBUTES = ("traceparent", "googclient_traceparent")


def scrubbed(exc: BaseException) -> BaseException:
    """`exc` as an exception of the same type whose message and text attributes are scrubbed of secrets; other
    attributes (a `requests` exception's request and response, which hold the URL) are dropped. A type that
    cannot be rebuilt this way becomes a RuntimeError naming it."""
    cls, text = type(exc), scrub(str(exc))
    kept = {k: scrub(v) if isinstance(v, str) else v for k, v in vars(exc).items() if _plain(v)}
    try:
        new = cls.__new__(cls)
        new.args = (text,)
        new.__dict__.update(kept)
        if scrub(str(new)) != str(new):  # a __str__ of its own that still shows the secret
            raise TypeError
    except Exception:
        return RuntimeError(f"{cls.__name__}: {text}")
    return new


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def is_final_attempt(delivery_attempt: int | None, max_delivery_attempts: int) -> bool:
    """This is the last delivery Pub/Sub will make (the dead-letter policy's maximum), so a transient failure
    must be recorded now instead of raised. An unknown attempt (no dead-letter policy) is not the last."""
    return delivery_attempt is not None and delivery_attempt >= max_delivery_attempts


@cache
def resolve(handler: str) -> Handler:
    """The callable named by "package.module.attribute", imported on first use and kept: a role's service (and
    the configuration it loads) is imported by the first message, not at cold start."""
    module, _, attr = handler.rpartition(".")
    fn = getattr(importlib.import_module(module), attr)
    if not callable(fn):
        raise TypeError(f"{handler} is not callable")
    return fn


def _event_attr(cloud_event: Any, name: str) -> Any:
    try:
        return cloud_event.get(name) if hasattr(cloud_event, "get") else None
    except Exception:  # a CloudEvent without the attribute may raise instead of answering None
        return None


def log_context(cloud_event: Any, function: str, msg: PubSubMessage | None) -> dict[str, Any]:
    """The fields every line of this delivery carries: the function, the message's identifiers (its attributes
    that are log labels: workflow, scraper_name, request_id, decision_id) and the trace."""
    attrs = msg.attributes if msg else {}
    fields: dict[str, Any] = {"function": function}
    fields.update({k: attrs[k] for k in log.LABEL_KEYS if k != "function" and attrs.get(k)})
    parent = _event_attr(cloud_event, "traceparent") or next(
        (attrs[a] for a in TRACEPARENT_ATTRIBUTES if attrs.get(a)), None
    )
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or os.environ.get("GCP_PROJECT")
    fields.update(log.trace_fields(parent, project))
    return fields


def run(cloud_event: Any, function: str, handler: Handler | str) -> Any:
    """Decode `cloud_event`, hand the message to the role's `handle` (a callable, or its dotted name, see
    `resolve`), log the outcome; raise to redeliver."""
    log.install()
    log.install_scrubbing(function)
    try:
        return _run(cloud_event, function, handler)
    except Exception as exc:  # redelivered by Pub/Sub; only what the framework prints is rewritten
        raise scrubbed(exc) from None


def _run(cloud_event: Any, function: str, handler: Handler | str) -> Any:
    work = resolve(handler) if isinstance(handler, str) else handler
    try:
        msg = decode_event(cloud_event)
    except MalformedMessage as exc:
        with log.bound(**log_context(cloud_event, function, None)):
            log.error(
                f"{function}: malformed event, acknowledged without retry: {exc}",
                event_id=_event_attr(cloud_event, "id"),
                error_type="malformed_message",
            )
        return None
    with log.bound(**log_context(cloud_event, function, msg)):
        return _handle(function, work, msg)


def _handle(function: str, work: Handler, msg: PubSubMessage) -> Any:
    try:
        result = work(msg)
    except (MalformedMessage, PermanentError) as exc:
        log.error(
            f"{function}: rejected message {msg.message_id}, acknowledged without retry: {exc}",
            message_id=msg.message_id,
            error_type=type(exc).__name__,
            delivery_attempt=msg.delivery_attempt,
        )
        return None
    except RetryLater as exc:
        log.warning(
            f"{function}: message {msg.message_id} will be retried: {exc}",
            message_id=msg.message_id,
            delivery_attempt=msg.delivery_attempt,
        )
        raise
    except Exception as exc:
        log.error(
            f"{function}: failed on message {msg.message_id}, will be retried: {exc!r}",
            message_id=msg.message_id,
            delivery_attempt=msg.delivery_attempt,
        )
        raise
    log.info(f"{function}: done", message_id=msg.message_id, result=result)
    return result
