"""The claim of a request: one small GCS object per request id, the atomic record of how far a run got.

Why GCS and not BigQuery: a GCS create with `if_generation_match=0` is atomic (exactly one delivery of a
request creates it), and every later write is a compare-and-swap on the generation, so two deliveries
can never both advance the same run. BigQuery has neither. The object lives under `_nba-orch/requests/`
in the data bucket (cleanup must skip that prefix: it holds no scraped data).

Stages: `claimed` (fetching) -> `writing` (output names recorded, files being written) -> `notified`
(completion published; the result and message id recorded) -> `done` (row logged, follow-ups published).
A lease (wall-clock `lease_until`, default 240 s, NBA_ORCH_SCRAPER_LEASE_SECONDS) tells a concurrent
duplicate to back off; a crashed holder's lease expires, and the last delivery attempt takes over anyway.
Wall-clock time is right here: a lease is about real processes, not about the run's logical time.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.adapters.gcs import bucket
from shared.runtime import Runtime
from shared.scrapers.errors import InProgress
from shared.timeutil import iso_utc, parse_instant

PREFIX = "_nba-orch/requests/"
STAGES = ("claimed", "writing", "notified", "done")


def lease_seconds() -> float:
    return float(os.environ.get("NBA_ORCH_SCRAPER_LEASE_SECONDS", 240))


def claim_name(request_id: str) -> str:
    if not request_id.isalnum():
        raise ValueError(f"request_id must be letters and digits, got {request_id!r}")
    return f"{PREFIX}{request_id}.json"


@dataclass
class Claim:
    rt: Runtime
    name: str
    generation: int
    state: dict[str, Any]
    owner: str
    resumed: bool = False  # the claim existed before this delivery
    previous_stage: str | None = None
    history: list[str] = field(default_factory=list)

    @property
    def stage(self) -> str:
        return self.state["stage"]

    def update(self, now: datetime, **changes: Any) -> None:
        """Advance the record (compare-and-swap); InProgress if another delivery took the claim meanwhile."""
        state = {**self.state, **changes, "lease_until": iso_utc(now + timedelta(seconds=lease_seconds()))}
        self.generation = _write(self.rt, self.name, state, if_generation_match=self.generation)
        self.state = state
        self.history.append(state["stage"])

    def release(self) -> None:
        """Let the next delivery proceed at once (after a failure this delivery will not finish)."""
        if self.state.get("stage") == "done":
            return
        state = {**self.state, "lease_until": iso_utc(datetime(2000, 1, 1, tzinfo=UTC))}
        try:
            self.generation = _write(self.rt, self.name, state, if_generation_match=self.generation)
            self.state = state
        except InProgress:
            pass


def _write(rt: Runtime, name: str, state: dict[str, Any], *, if_generation_match: int) -> int:
    from google.api_core.exceptions import PreconditionFailed

    blob = bucket(rt).blob(name)
    blob.metadata = {"kind": "scraper_claim", "request_id": state["request_id"], "scraper_name": state["scraper_name"]}
    data = json.dumps(state, separators=(",", ":"), default=str).encode()
    try:
        blob.upload_from_string(data, content_type="application/json", if_generation_match=if_generation_match)
    except PreconditionFailed:
        # Either another delivery wrote the claim, or this very write landed and only its answer was lost (the
        # client library then retried it, and the retry failed the precondition). The stored bytes tell: the
        # state carries this delivery's unique owner id and stage, so equal bytes mean the write was ours.
        current = bucket(rt).get_blob(name)
        if current is not None and current.download_as_bytes() == data:
            return int(current.generation or 0)
        raise InProgress(f"claim {name} changed under this delivery: another delivery holds it") from None
    return int(blob.generation or 0)


def read(rt: Runtime, request_id: str) -> tuple[dict[str, Any], int] | None:
    """The claim record and its generation, or None."""
    from google.api_core.exceptions import NotFound, PreconditionFailed

    blob = bucket(rt).get_blob(claim_name(request_id))
    if blob is None:
        return None
    try:
        data = blob.download_as_bytes(if_generation_match=blob.generation)
    except (NotFound, PreconditionFailed):
        return read(rt, request_id)  # replaced between the two calls: read the newer one
    return json.loads(data), int(blob.generation)


def acquire(
    rt: Runtime,
    *,
    request_id: str,
    scraper_name: str,
    execution_id: str,
    owner: str,
    now: datetime,
    take_over: bool = False,
) -> Claim:
    """Create the claim, or take over an existing one whose lease expired (or `take_over`: last attempt).

    A claim at stage `done` is returned as is (the caller reports a duplicate). A live lease held by
    another delivery raises InProgress.
    """
    name = claim_name(request_id)
    lease_until = iso_utc(now + timedelta(seconds=lease_seconds()))
    state = {
        "v": 1,
        "request_id": request_id,
        "execution_id": execution_id,
        "scraper_name": scraper_name,
        "stage": "claimed",
        "owner": owner,
        "lease_until": lease_until,
        "deliveries": 1,
        "claimed_at": iso_utc(now),
    }
    try:
        generation = _write(rt, name, state, if_generation_match=0)
        return Claim(rt, name, generation, state, owner, history=["claimed"])
    except InProgress:
        pass
    found = read(rt, request_id)
    if found is None:  # deleted in between (lifecycle): start again
        return acquire(
            rt,
            request_id=request_id,
            scraper_name=scraper_name,
            execution_id=execution_id,
            owner=owner,
            now=now,
            take_over=take_over,
        )
    existing, generation = found
    claim = Claim(rt, name, generation, existing, owner, resumed=True, previous_stage=existing.get("stage"))
    if existing.get("stage") == "done":
        return claim
    live = parse_instant(existing["lease_until"]) > now
    if live and not take_over:
        raise InProgress(
            f"request {request_id} is being processed by another delivery (stage {existing.get('stage')}, "
            f"lease until {existing['lease_until']})"
        )
    deliveries = int(existing.get("deliveries", 1)) + 1
    taken = {**existing, "owner": owner, "lease_until": lease_until, "deliveries": deliveries}
    claim.generation = _write(rt, name, taken, if_generation_match=generation)
    claim.state = taken
    return claim
