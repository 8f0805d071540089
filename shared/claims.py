"""One claim primitive for every role: a create-only GCS object, compare-and-swap updates, and a lease.

Why GCS: a create with `if_generation_match=0` is atomic (exactly one delivery of a piece of work creates
it, even two at the same instant), and every later write can be a compare-and-swap on the generation, so two
deliveries never both advance the same work. BigQuery offers neither.

Used by the schedule locker (one claim per day holding its rows), the controller (one per slot holding its
decisions), cleanup (one per tick's run) and, under its stage machine, the scrapers (one per request id).

A write whose answer was lost (the client library retried it and the retry failed the precondition) is
recognised as the writer's own: every write carries a unique token in its custom metadata (`claim_write`),
and the stored object is ours exactly when it carries our token. So a lost answer does not make a delivery
wait out a whole lease behind itself, while two deliveries writing identical bodies (deterministic decisions,
an empty run claim) are still told apart: only one of them wins.

Leases are wall-clock time: they are about real processes (is the holder still alive?), never about the
work's logical time. Their lengths are settings (`leases:` in settings.yaml).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.errors import RetryLater
from shared.limits import check_metadata, check_object_name
from shared.runtime import Runtime

# Custom metadata key of the unique token every claim write carries (how a lost answer is recognised).
WRITE_TOKEN = "claim_write"


class ClaimConflict(RetryLater):
    """A compare-and-swap found another writer's generation: another delivery holds the work."""


@dataclass
class Claim:
    """A claim object as this delivery last saw it. `won`: this call created it (the work is ours)."""

    name: str
    generation: int
    data: bytes
    won: bool
    created: datetime | None = None  # storage creation time (the first write): where a lease counts from
    metadata: dict[str, str] = field(default_factory=dict)

    def json(self) -> Any:
        return json.loads(self.data)

    def age_seconds(self, now: datetime) -> float:
        """Seconds since the claim was created (wall clock)."""
        return (now - self.created).total_seconds() if self.created is not None else float("inf")

    def live(self, lease_seconds: float, now: datetime) -> bool:
        """Still within its lease, counted from its creation: its holder may still be working."""
        return self.age_seconds(now) < lease_seconds


def _blob(rt: Runtime, name: str) -> Any:
    from shared.adapters.gcs import bucket

    return bucket(rt).blob(name)


def _from_blob(blob: Any, data: bytes, won: bool) -> Claim:
    return Claim(
        name=blob.name,
        generation=int(blob.generation or 0),
        data=data,
        won=won,
        created=blob.time_created,
        metadata=dict(blob.metadata or {}),
    )


def read(rt: Runtime, name: str) -> Claim | None:
    """The claim as stored now (bytes and generation read consistently), or None."""
    from google.api_core.exceptions import NotFound, PreconditionFailed

    from shared.adapters.gcs import bucket

    for _ in range(5):
        blob = bucket(rt).get_blob(name)
        if blob is None:
            return None
        try:
            data = blob.download_as_bytes(if_generation_match=blob.generation)
        except (NotFound, PreconditionFailed):
            continue  # replaced between the two calls: read the newer one
        return _from_blob(blob, data, won=False)
    raise ClaimConflict(f"claim {name} kept changing while it was read")


def _write(
    rt: Runtime,
    name: str,
    data: bytes,
    *,
    if_generation_match: int | None,
    metadata: dict[str, str] | None,
    content_type: str,
) -> Claim | None:
    """Write; None when the precondition failed and the stored object is not this write's."""
    from google.api_core.exceptions import PreconditionFailed

    token = uuid.uuid4().hex
    meta = {**(metadata or {}), WRITE_TOKEN: token}
    check_object_name(name)
    check_metadata(meta)
    blob = _blob(rt, name)
    blob.metadata = meta
    try:
        blob.upload_from_string(data, content_type=content_type, if_generation_match=if_generation_match)
    except PreconditionFailed:
        current = read(rt, name)
        if current is not None and current.metadata.get(WRITE_TOKEN) == token:  # landed; only its answer was lost
            current.won = True
            return current
        return None
    return _from_blob(blob, data, won=True)


def acquire(
    rt: Runtime,
    name: str,
    data: bytes,
    *,
    metadata: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Claim:
    """Create the claim if it does not exist. Returns it with `won=True` when this call created it, else the
    existing claim (`won=False`), so the caller decides: wait for a live lease, take over, or reuse its body."""
    for _ in range(5):
        claim = _write(rt, name, data, if_generation_match=0, metadata=metadata, content_type=content_type)
        if claim is not None:
            return claim
        existing = read(rt, name)
        if existing is not None:
            return existing
        # deleted between the create and the read (a released claim, lifecycle): try again
    raise ClaimConflict(f"claim {name} kept appearing and disappearing")


def swap(
    rt: Runtime,
    claim: Claim,
    data: bytes,
    *,
    metadata: dict[str, str] | None = None,
    content_type: str = "application/json",
) -> Claim:
    """Replace the claim's body if nobody wrote it since `claim` was seen; ClaimConflict otherwise."""
    new = _write(
        rt, claim.name, data, if_generation_match=claim.generation, metadata=metadata, content_type=content_type
    )
    if new is None:
        raise ClaimConflict(f"claim {claim.name} changed under this delivery: another delivery holds it")
    return new


def overwrite(rt: Runtime, name: str, data: bytes, *, content_type: str = "application/json") -> Claim:
    """Replace the claim whatever it holds (an operator's `force`); returns the new generation."""
    blob = _blob(rt, name)
    blob.upload_from_string(data, content_type=content_type)
    return _from_blob(blob, data, won=True)


def mark(rt: Runtime, name: str, metadata: dict[str, str]) -> None:
    """Merge a marker into the claim's custom metadata (a step is done; the body is unchanged)."""
    blob = _blob(rt, name)
    blob.metadata = metadata
    blob.patch()


def release(rt: Runtime, name: str) -> None:
    """Delete the claim (a failed run gives its work back at once; missing is fine)."""
    from shared.adapters.gcs import delete_object

    delete_object(rt, name)
