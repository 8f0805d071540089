"""The claim of a request: one small GCS object per request id, the atomic record of how far a run got.

Built on the one claim primitive (shared.claims: create-only, then compare-and-swap on the generation, a
lost answer recognised as one's own), so two deliveries can never both advance the same run. The object
lives under `_nba-orch/requests/` (shared.bucket_layout) in the data bucket; it holds no scraped data.

Stages: `claimed` (fetching) -> `writing` (output names recorded, files being written) -> `notified`
(completion published; the result and message id recorded) -> `done` (row logged, follow-ups published).
A lease (wall-clock `lease_until`, `leases.scraper_request_seconds` in settings.yaml) tells a concurrent
duplicate to back off; a crashed holder's lease expires, and the last delivery attempt takes over anyway.
Wall-clock time is right here: a lease is about real processes, not about the run's logical time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared import claims
from shared.bucket_layout import object_name, prefix
from shared.runtime import Runtime
from shared.scrapers.errors import InProgress, RequestIdConflict
from shared.timeutil import iso_utc, parse_instant

PREFIX = prefix("scraper_requests")
STAGES = ("claimed", "writing", "notified", "done")


def claim_name(request_id: str) -> str:
    if not request_id.isalnum():
        raise ValueError(f"request_id must be letters and digits, got {request_id!r}")
    return object_name("scraper_requests", request_id)


@dataclass
class Claim:
    rt: Runtime
    name: str
    generation: int
    state: dict[str, Any]
    owner: str
    lease_seconds: float
    resumed: bool = False  # the claim existed before this delivery
    previous_stage: str | None = None
    history: list[str] = field(default_factory=list)

    @property
    def stage(self) -> str:
        return self.state["stage"]

    def update(self, now: datetime, **changes: Any) -> None:
        """Advance the record (compare-and-swap); InProgress if another delivery took the claim meanwhile."""
        state = {**self.state, **changes, "lease_until": iso_utc(now + timedelta(seconds=self.lease_seconds))}
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


def _encode(state: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    data = json.dumps(state, separators=(",", ":"), default=str).encode()
    return data, {"kind": "scraper_claim", "request_id": state["request_id"], "scraper_name": state["scraper_name"]}


def _write(rt: Runtime, name: str, state: dict[str, Any], *, if_generation_match: int) -> int:
    """Create (generation 0) or compare-and-swap the claim; InProgress when another delivery wrote it. The
    state carries this delivery's unique owner id and stage, so a write whose answer was lost is recognised
    by its bytes (shared.claims) and counts as this delivery's."""
    data, meta = _encode(state)
    try:
        if if_generation_match == 0:
            claim = claims.acquire(rt, name, data, metadata=meta)
            if not claim.won:
                raise InProgress(f"claim {name} changed under this delivery: another delivery holds it")
        else:
            seen = claims.Claim(name=name, generation=if_generation_match, data=b"", won=True)
            claim = claims.swap(rt, seen, data, metadata=meta)
    except claims.ClaimConflict:
        raise InProgress(f"claim {name} changed under this delivery: another delivery holds it") from None
    return claim.generation


def read(rt: Runtime, request_id: str) -> tuple[dict[str, Any], int] | None:
    """The claim record and its generation, or None."""
    found = claims.read(rt, claim_name(request_id))
    return None if found is None else (found.json(), found.generation)


def acquire(
    rt: Runtime,
    *,
    request_id: str,
    scraper_name: str,
    execution_id: str,
    owner: str,
    now: datetime,
    lease_seconds: float,
    take_over: bool = False,
    request_digest: str | None = None,
) -> Claim:
    """Create the claim, or take over an existing one whose lease expired (or `take_over`: last attempt).

    A claim at stage `done` is returned as is (the caller reports a duplicate). A live lease held by
    another delivery raises InProgress. `request_digest` (of scraper and parameters) is recorded; an existing
    claim with another digest raises RequestIdConflict (a reused id), checked before anything else.
    """
    name = claim_name(request_id)
    lease_until = iso_utc(now + timedelta(seconds=lease_seconds))
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
    if request_digest:
        state["request_digest"] = request_digest
    try:
        generation = _write(rt, name, state, if_generation_match=0)
        return Claim(rt, name, generation, state, owner, lease_seconds, history=["claimed"])
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
            lease_seconds=lease_seconds,
            take_over=take_over,
            request_digest=request_digest,
        )
    existing, generation = found
    recorded = existing.get("request_digest")
    if request_digest and recorded and recorded != request_digest:
        raise RequestIdConflict(
            f"request id {request_id} is already used by another request ({existing.get('scraper_name')} with other "
            "parameters, or another scraper): refused"
        )
    claim = Claim(
        rt, name, generation, existing, owner, lease_seconds, resumed=True, previous_stage=existing.get("stage")
    )
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
