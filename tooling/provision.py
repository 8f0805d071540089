"""Idempotent provisioning of topics, subscriptions, dataset, tables, views and bucket (local stack and tests)."""

from __future__ import annotations

from typing import Any

from shared.bq_schema import ensure_dataset_and_tables
from shared.bq_views import ensure_views
from shared.clients import bigquery_client, publisher, storage_client, subscriber
from shared.config import get_config
from shared.runtime import Runtime

PULL_SUFFIX = "-pull"


def ensure_topics(rt: Runtime) -> list[str]:
    from google.api_core.exceptions import AlreadyExists

    created = []
    client = publisher(rt.project)
    for key in rt.topics:
        try:
            client.create_topic(name=rt.topic_path(key))
            created.append(rt.topic(key))
        except AlreadyExists:
            pass
    return created


def subscription_path(rt: Runtime, name: str) -> str:
    return f"projects/{rt.project}/subscriptions/{name}"


def ensure_pull_subscription(rt: Runtime, topic_key: str, name: str | None = None, **extra: Any) -> str:
    """A pull subscription on the topic (default name `<topic>-pull`), created if missing."""
    from google.api_core.exceptions import AlreadyExists

    name = name or rt.topic(topic_key) + PULL_SUFFIX
    path = subscription_path(rt, name)
    try:
        subscriber(rt.project).create_subscription(
            request={"name": path, "topic": rt.topic_path(topic_key), "ack_deadline_seconds": 60, **extra}
        )
    except AlreadyExists:
        pass
    return path


def ensure_push_subscription(
    rt: Runtime,
    topic_key: str,
    name: str,
    endpoint: str,
    *,
    max_delivery_attempts: int = 5,
    min_backoff: int = 10,
    max_backoff: int = 600,
) -> str:
    """A push subscription as deployed: dead-letter topic after `max_delivery_attempts`, exponential retry."""
    from google.api_core.exceptions import AlreadyExists
    from google.protobuf import duration_pb2

    path = subscription_path(rt, name)
    request = {
        "name": path,
        "topic": rt.topic_path(topic_key),
        "ack_deadline_seconds": 600,
        "push_config": {"push_endpoint": endpoint},
        "dead_letter_policy": {
            "dead_letter_topic": rt.topic_path("dead_letter"),
            "max_delivery_attempts": max_delivery_attempts,
        },
        "retry_policy": {
            "minimum_backoff": duration_pb2.Duration(seconds=min_backoff),
            "maximum_backoff": duration_pb2.Duration(seconds=max_backoff),
        },
    }
    client = subscriber(rt.project)
    try:
        client.create_subscription(request=request)
    except AlreadyExists:
        # Same name, maybe an old endpoint (a function restarted on another port): point it at this one.
        client.modify_push_config(request={"subscription": path, "push_config": {"push_endpoint": endpoint}})
    return path


def recreate_pull_subscription(rt: Runtime, topic_key: str, name: str) -> str:
    """A pull subscription that starts empty (an old backlog would look like work still pending)."""
    from google.api_core.exceptions import NotFound

    path = subscription_path(rt, name)
    try:
        subscriber(rt.project).delete_subscription(subscription=path)
    except NotFound:
        pass
    return ensure_pull_subscription(rt, topic_key, name)


def ensure_bucket(rt: Runtime) -> bool:
    from google.api_core.exceptions import Conflict

    client = storage_client(rt.project)
    try:
        client.create_bucket(rt.bucket)
        return True
    except Conflict:
        return False


def ensure_all(rt: Runtime, *, expiration_days: int = 90, views: bool = True) -> dict[str, Any]:
    """Everything the functions need, created if missing, and the dashboards' views (shared/bq_views.py;
    `views=False` skips them: about 0.5 s on the emulator, which most tests need not spend); returns what was
    created."""
    topics = ensure_topics(rt)
    subs = [ensure_pull_subscription(rt, key) for key in ("scraper_complete", "dead_letter", "gcs_events")]
    tables = ensure_dataset_and_tables(
        bigquery_client(rt.project), rt.project, rt.dataset, expiration_days=expiration_days
    )
    made = ensure_views(bigquery_client(rt.project), rt.project, rt.dataset, get_config()) if views else []
    bucket = ensure_bucket(rt)
    return {"topics": topics, "subscriptions": subs, "tables": tables, "views": made, "bucket_created": bucket}
