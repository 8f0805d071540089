"""Google Cloud clients, created lazily in one place and cached per process.

Cold starts matter: importing this module imports no client library; each client is built on first use.
Emulators are honoured: PUBSUB_EMULATOR_HOST (read by the Pub/Sub library itself), STORAGE_EMULATOR_HOST and
BIGQUERY_EMULATOR_HOST (http://host:port), each with anonymous credentials.
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from google.cloud import bigquery, pubsub_v1, storage

_lock = threading.Lock()
_cache: dict[tuple[str, str], Any] = {}


def _cached(kind: str, project: str, build: Any) -> Any:
    key = (kind, project)
    client = _cache.get(key)
    if client is None:
        with _lock:
            client = _cache.get(key)
            if client is None:
                client = _cache[key] = build()
    return client


def _anonymous() -> Any:
    from google.auth.credentials import AnonymousCredentials

    return AnonymousCredentials()


def bigquery_client(project: str) -> bigquery.Client:
    def build() -> Any:
        from google.cloud import bigquery

        endpoint = os.environ.get("BIGQUERY_EMULATOR_HOST")
        if endpoint:
            if not endpoint.startswith("http"):
                endpoint = f"http://{endpoint}"
            return bigquery.Client(project=project, credentials=_anonymous(), client_options={"api_endpoint": endpoint})
        return bigquery.Client(project=project)

    return _cached("bigquery", project, build)


def publisher(project: str) -> pubsub_v1.PublisherClient:
    def build() -> Any:
        from google.cloud import pubsub_v1

        # Batch up to 100 messages or 10 ms: fan-out of hundreds of requests becomes a few RPCs.
        settings = pubsub_v1.types.BatchSettings(max_messages=100, max_latency=0.01)
        return pubsub_v1.PublisherClient(batch_settings=settings)

    return _cached("publisher", project, build)


def subscriber(project: str) -> pubsub_v1.SubscriberClient:
    def build() -> Any:
        from google.cloud import pubsub_v1

        return pubsub_v1.SubscriberClient()

    return _cached("subscriber", project, build)


def storage_client(project: str) -> storage.Client:
    def build() -> Any:
        from google.cloud import storage

        if os.environ.get("STORAGE_EMULATOR_HOST"):
            return storage.Client(project=project, credentials=_anonymous())
        return storage.Client(project=project)

    return _cached("storage", project, build)


def reset() -> None:
    """Forget cached clients (tests that change emulator endpoints)."""
    with _lock:
        _cache.clear()
