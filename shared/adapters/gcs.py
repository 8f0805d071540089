"""GCS adapter: create-only writes (an atomic claim), listing by prefix, reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from shared.clients import storage_client
from shared.errors import AlreadyExists
from shared.limits import check_metadata, check_object_name
from shared.runtime import Runtime

__all__ = ["AlreadyExists"]


def bucket(rt: Runtime) -> Any:
    return storage_client(rt.project).bucket(rt.bucket)


def create_object(
    rt: Runtime, path: str, data: bytes, content_type: str = "application/json", metadata: dict[str, str] | None = None
) -> int:
    """Write `path` only if it does not exist (if_generation_match=0); returns the generation.

    Raises AlreadyExists when it does: the precondition makes the check and the write one atomic step.
    """
    from google.api_core.exceptions import PreconditionFailed

    check_object_name(path)
    if metadata:
        check_metadata(metadata)
    blob = bucket(rt).blob(path)
    if metadata:
        blob.metadata = metadata
    try:
        blob.upload_from_string(data, content_type=content_type, if_generation_match=0)
    except PreconditionFailed:
        raise AlreadyExists(path) from None
    return int(blob.generation or 0)


def read_object(rt: Runtime, path: str) -> bytes | None:
    from google.api_core.exceptions import NotFound

    try:
        return bucket(rt).blob(path).download_as_bytes()
    except NotFound:
        return None


def delete_object(rt: Runtime, path: str) -> None:
    from google.api_core.exceptions import NotFound

    try:
        bucket(rt).blob(path).delete()
    except NotFound:
        pass


def list_objects(rt: Runtime, prefix: str) -> Iterator[tuple[str, datetime, int]]:
    """(name, created time, size) of every object under `prefix`."""
    client = storage_client(rt.project)
    for blob in client.list_blobs(rt.bucket, prefix=prefix):
        yield blob.name, blob.time_created, int(blob.size or 0)


def get_metadata(rt: Runtime, path: str) -> dict[str, str] | None:
    blob = bucket(rt).get_blob(path)
    return None if blob is None else dict(blob.metadata or {})


def iter_objects(rt: Runtime, prefix: str) -> Iterator[tuple[str, datetime, dict[str, str]]]:
    """(name, created time, custom metadata) of every object under `prefix`, streamed page by page.

    Only those fields are requested, and they are read from the listed resource directly: the Blob
    properties deep-copy the metadata and parse the time with strptime, which cost more CPU than the rest of
    a 100,000-object reconciliation. The metadata dict is the listing's own: read it, do not change it.
    """
    client = storage_client(rt.project)
    for blob in client.list_blobs(rt.bucket, prefix=prefix, fields="items(name,timeCreated,metadata),nextPageToken"):
        props = getattr(blob, "_properties", None)
        if not isinstance(props, dict) or "timeCreated" not in props:  # another client version: public API
            yield blob.name, blob.time_created, blob.metadata or {}
            continue
        try:
            created = datetime.fromisoformat(props["timeCreated"])
        except ValueError:
            created = blob.time_created
        yield blob.name, created, props.get("metadata") or {}


def list_folders(rt: Runtime, prefix: str) -> list[str]:
    """Names of the folders directly under `prefix` (one delimiter listing; returns no objects)."""
    client = storage_client(rt.project)
    pages = client.list_blobs(rt.bucket, prefix=prefix, delimiter="/", fields="prefixes,nextPageToken")
    for _ in pages.pages:
        pass
    return sorted(p[len(prefix) :].rstrip("/") for p in pages.prefixes)


def stat_object(rt: Runtime, path: str) -> tuple[datetime, dict[str, str]] | None:
    """(creation time, custom metadata) of an object, or None when it does not exist."""
    blob = bucket(rt).get_blob(path)
    return None if blob is None else (blob.time_created, dict(blob.metadata or {}))


def add_metadata(rt: Runtime, path: str, metadata: dict[str, str]) -> None:
    """Merge `metadata` into an object's custom metadata (a small marker written after a step is done)."""
    blob = bucket(rt).blob(path)
    blob.metadata = metadata
    blob.patch()
