"""Pub/Sub adapter: publish and wait, so no message is lost when a function returns."""

from __future__ import annotations

from collections.abc import Iterable

from shared.clients import publisher
from shared.limits import check_attributes
from shared.runtime import Runtime

PUBLISH_TIMEOUT_SECONDS = 60


def publish(rt: Runtime, topic_key: str, data: bytes, attributes: dict[str, str] | None = None) -> str:
    """Publish one message to the runtime's topic `topic_key`; returns the message id."""
    return publish_many(rt, topic_key, [(data, attributes or {})])[0]


def publish_many(rt: Runtime, topic_key: str, messages: Iterable[tuple[bytes, dict[str, str]]]) -> list[str]:
    """Publish every message (the client batches them) and wait for all; returns ids in order.

    Waiting before returning matters: a future not awaited when a function returns can lose its message.
    """
    client = publisher(rt.project)
    path = rt.topic_path(topic_key)
    batch = list(messages)
    for _, attrs in batch:  # before anything is sent: all or nothing is refused (the emulator accepts it all)
        check_attributes(attrs)
    futures = [client.publish(path, data, **attrs) for data, attrs in batch]
    return [f.result(timeout=PUBLISH_TIMEOUT_SECONDS) for f in futures]


def publish_each(
    rt: Runtime, topic_key: str, messages: Iterable[tuple[bytes, dict[str, str]]]
) -> list[str | Exception]:
    """Like publish_many, but one failure does not hide the others: each slot is a message id or the error.

    For callers that must record which messages failed and carry on with the rest.
    """
    client = publisher(rt.project)
    path = rt.topic_path(topic_key)
    pending: list[object] = []
    for data, attrs in messages:
        try:
            check_attributes(attrs)
            pending.append(client.publish(path, data, **attrs))
        except Exception as exc:  # noqa: BLE001 - reported in the result, per message
            pending.append(exc)
    out: list[str | Exception] = []
    for item in pending:
        if isinstance(item, Exception):
            out.append(item)
            continue
        try:
            out.append(item.result(timeout=PUBLISH_TIMEOUT_SECONDS))  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001
            out.append(exc)
    return out
