"""Pub/Sub adapter: publish and wait, so no message is lost when a function returns."""

from __future__ import annotations

from collections.abc import Iterable

from shared.clients import publisher
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
    futures = [client.publish(path, data, **attrs) for data, attrs in messages]
    return [f.result(timeout=PUBLISH_TIMEOUT_SECONDS) for f in futures]
