"""The progress ledger of a backfill: its own objects under `_nba-orch/backfill/<backfill id>/`.

- `manifest.json` (create-only): the arguments and the planned items. A second run of the same id reads the
  items from here instead of planning again, so a resumed backfill asks for exactly what the first run
  planned (even if the schedule changed meanwhile), and a run with other arguments under the same id is
  refused rather than mixed in.
- `published/<digest>.json` (create-only), one per published batch, written after the batch's publish
  returned: the batch's request ids and Odds API credits in its metadata, so one listing gives everything
  already published. A crash between the publish and the marker republishes that batch on resume: the same
  request ids, which the scrapers' own claims make duplicates (no second upstream call). The marker only
  saves the work of publishing again; correctness never depends on it.
- What finished is read from the run ledger (`shared.run_ledger`): each request's execution id is
  deterministic (`shared.scrapers.core.execution_id`), so its record says it ran.

Why GCS: the claims and the ledgers of every role already live there, create-only writes are atomic, and a
listing with metadata is one round trip.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from shared.backfill.plan import Item
from shared.bucket_layout import object_name, prefix
from shared.runtime import Runtime
from shared.timeutil import iso_utc, parse_instant

BACKFILL_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
MANIFEST_VERSION = 1


class ManifestMismatch(ValueError):
    """The backfill id was started with other arguments."""


def check_id(backfill_id: str) -> str:
    if not BACKFILL_ID.fullmatch(backfill_id):
        raise ValueError(f"backfill id {backfill_id!r}: 1-63 lower-case letters, digits and dashes")
    return backfill_id


def manifest_name(backfill_id: str) -> str:
    return object_name("backfill", check_id(backfill_id), "manifest")


def published_prefix(backfill_id: str) -> str:
    return f"{prefix('backfill')}{check_id(backfill_id)}/published/"


def item_from_json(d: Mapping[str, Any]) -> Item:
    return Item(
        day=date.fromisoformat(d["day"]),
        workflow=str(d["workflow"]),
        scraper=str(d["scraper"]),
        params={str(k): str(v) for k, v in d["params"].items()},
        as_of=parse_instant(d["as_of"]),
        context=dict(d.get("context") or {}),
        games=tuple(d.get("games") or ()),
        final_at=parse_instant(d["final_at"]) if d.get("final_at") else None,
        calls=int(d.get("calls", 1)),
        credits=int(d.get("credits", 0)),
    )


def _item_json(i: Item) -> dict[str, Any]:
    out = i.to_json()
    if i.final_at is not None:
        out["final_at"] = iso_utc(i.final_at)
    return out


@dataclass(frozen=True)
class Manifest:
    backfill_id: str
    arguments: Mapping[str, Any]
    items: tuple[Item, ...]

    def to_bytes(self) -> bytes:
        doc = {
            "v": MANIFEST_VERSION,
            "backfill_id": self.backfill_id,
            "arguments": dict(self.arguments),
            "items": [_item_json(i) for i in self.items],
        }
        return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Manifest:
        doc = json.loads(data)
        if doc.get("v") != MANIFEST_VERSION:
            raise ValueError(f"backfill manifest version {doc.get('v')!r}, this code reads {MANIFEST_VERSION}")
        return cls(str(doc["backfill_id"]), doc["arguments"], tuple(item_from_json(i) for i in doc["items"]))


def open_manifest(rt: Runtime, fresh: Manifest) -> tuple[Manifest, bool]:
    """The backfill's manifest: `fresh` created (True), or the one already there (False) when its arguments
    are the same; ManifestMismatch when they differ."""
    from shared.adapters.gcs import AlreadyExists, create_object, read_object

    name = manifest_name(fresh.backfill_id)
    try:
        create_object(rt, name, fresh.to_bytes(), metadata={"items": str(len(fresh.items))})
        return fresh, True
    except AlreadyExists:
        pass
    data = read_object(rt, name)
    if data is None:  # deleted between the create and the read: start again
        return open_manifest(rt, fresh)
    found = Manifest.from_bytes(data)
    if dict(found.arguments) != dict(fresh.arguments):
        diff = sorted(
            k for k in set(found.arguments) | set(fresh.arguments) if found.arguments.get(k) != fresh.arguments.get(k)
        )
        raise ManifestMismatch(
            f"backfill id {fresh.backfill_id} was started with other arguments ({', '.join(diff)} differ); "
            "run the same command to resume it, or pass another --id"
        )
    return found, False


def read_manifest(rt: Runtime, backfill_id: str) -> Manifest | None:
    from shared.adapters.gcs import read_object

    data = read_object(rt, manifest_name(backfill_id))
    return Manifest.from_bytes(data) if data is not None else None


@dataclass(frozen=True)
class Published:
    request_ids: frozenset[str]
    credits: int
    batches: int


def read_published(rt: Runtime, backfill_id: str) -> Published:
    """Every request id this backfill published (one listing of its markers, metadata included)."""
    from shared.adapters.gcs import iter_objects

    ids: set[str] = set()
    credits = batches = 0
    for _name, _created, meta in iter_objects(rt, published_prefix(backfill_id)):
        batches += 1
        ids.update(x for x in (meta.get("ids") or "").split(",") if x)
        credits += int(meta.get("credits") or 0)
    return Published(frozenset(ids), credits, batches)


def mark_published(rt: Runtime, backfill_id: str, request_ids: Sequence[str], credits: int, at: datetime) -> str:
    """Record one published batch (create-only; the name is the batch's digest, so writing the same batch
    twice changes nothing)."""
    from shared.adapters.gcs import AlreadyExists, create_object

    digest = hashlib.sha256(",".join(sorted(request_ids)).encode()).hexdigest()[:24]
    name = f"{published_prefix(backfill_id)}{digest}.json"
    body = json.dumps({"request_ids": list(request_ids), "credits": credits, "published_at": iso_utc(at)}).encode()
    try:
        create_object(rt, name, body, metadata={"ids": ",".join(request_ids), "credits": str(credits)})
    except AlreadyExists:
        pass
    return name


HEAL_ROUND = re.compile(r"-r([1-9][0-9]{0,3})")


def round_id(base: str, n: int) -> str:
    """The id of heal round `n` of `base`: `base` itself for the first, `base-r<n>` after it."""
    return base if n == 1 else f"{base}-r{n}"


def heal_rounds(base: str, backfill_ids: Iterable[str]) -> dict[int, str]:
    """Round number -> id of the heal rounds of `base` among the backfill ids (pure)."""
    out: dict[int, str] = {}
    for bid in backfill_ids:
        if bid == base:
            out[1] = bid
        elif bid.startswith(base) and (m := HEAL_ROUND.fullmatch(bid[len(base) :])) and int(m.group(1)) > 1:
            out[int(m.group(1))] = bid
    return out


def list_backfills(rt: Runtime) -> Iterable[str]:
    from shared.adapters.gcs import list_folders

    return [f.rstrip("/").rsplit("/", 1)[-1] for f in list_folders(rt, prefix("backfill"))]
