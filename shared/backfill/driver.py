"""The backfill driver (the edge): skip what is done, publish the rest paced per source, follow progress.

Idempotent by deterministic keys end to end, so it can be killed at any point and run again:
- each request id is a function of (backfill id, scraper, params) (`plan.Item.request_id`); the scrapers
  claim each id in GCS, so a request published twice runs once (no second upstream call, file, row or
  completion), and its follow-ups are scoped by its id, so they are the same requests too;
- the planned items are kept in the backfill's manifest; a second run reads them back (`progress`);
- a batch's marker is written after its publish returned: a crash in between republishes the batch on resume,
  which the claims make a no-op;
- what finished is read from the run ledger by each request's deterministic execution id.

Pacing: each source is published at its catalogue rate (`min_interval_seconds` per upstream call, a
historical events request counting its follow-ups; `backfill.default_interval_seconds` for a source without
one), so the requests topic never holds much more than the scrapers can take at the sources' limits. The
scrapers' own HTTP layer enforces the limits on the calls themselves; this pacing only keeps the queue short.

Credit ceiling (`credits_max`): Odds API work is published in plan order while the credits of everything this
backfill published stay within the ceiling; the first request that would cross it stops all further Odds API
work (held, listed, never published); the other sources go on.

The wall clock is used for pacing and progress only (real processes, real rates); every request's logical
time is its planned tick (`as_of`).
"""

from __future__ import annotations

import json
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.backfill.gaps import Record, assess
from shared.backfill.plan import Item, source_interval
from shared.backfill.progress import Manifest, mark_published, open_manifest, read_published
from shared.config import Config
from shared.contracts import ScraperRequest
from shared.runtime import Runtime
from shared.timeutil import iso_utc


def request_of(item: Item, backfill_id: str) -> ScraperRequest:
    """The scraper request of one item: source BACKFILL, the workflow whose rules asked for it (a post-game
    window still expects its objects to exist), its tick as the logical time."""
    return ScraperRequest(
        scraper_name=item.scraper,
        params=dict(item.params),
        request_id=item.request_id(backfill_id),
        workflow=item.workflow,
        source="BACKFILL",
        triggered_by="backfill",
        decision_id=f"backfill:{backfill_id}",
        as_of=item.as_of,
        context={**item.context, "backfill_id": backfill_id, "day": item.day.isoformat(), "tick": iso_utc(item.as_of)},
    )


def execution_id(request_id: str) -> str:
    from shared.scrapers.core import execution_id as of  # the scrapers' own derivation, not a copy

    return of(request_id)


def read_records(rt: Runtime, days: Iterable[date]) -> list[Record]:
    """Every run record filed under `days` (one listing per day, concurrent); an unreadable record is left out
    (the controller reports those; here it can only look like a gap)."""
    from shared import run_ledger

    def one(d: date) -> list[Record]:
        out = []
        for name, meta in run_ledger.list_day(rt, d):
            try:
                out.append(Record.of(run_ledger.parse(name, meta)))
            except run_ledger.UnreadableRecord:
                continue
        return out

    days = sorted(set(days))
    with ThreadPoolExecutor(max_workers=8) as ex:
        return [r for rs in ex.map(one, days) for r in rs]


def record_days(items: Sequence[Item]) -> set[date]:
    """The operational days whose run ledger can hold the items' runs (filed by the day of their as_of)."""
    return {i.day for i in items} | {i.day + timedelta(days=1) for i in items}


# ---------------------------------------------------------------------------------------------------------
# Pacing


def paced(
    cfg: Config,
    items: Sequence[Item],
    *,
    scale: float = 1.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[list[Item]]:
    """Batches of items, each source released at its rate: an item of `calls` upstream calls takes
    calls x interval of its source's time. Sources proceed in parallel; plan order is kept within a source.
    Two items of a source are never closer than the first one's share (a source that fell behind after a slow
    publish does not catch up with a burst)."""
    queues: dict[str, deque[Item]] = {}
    for i in items:
        queues.setdefault(cfg.scrapers[i.scraper].source, deque()).append(i)
    interval = {s: source_interval(cfg, s) * scale for s in queues}
    start = clock()
    next_at = dict.fromkeys(queues, start)
    batch_max = cfg.backfill.batch_max
    while any(queues.values()):
        now = clock()
        batch: list[Item] = []
        for src, q in queues.items():
            while q and next_at[src] <= now and len(batch) < batch_max:
                item = q.popleft()
                batch.append(item)
                next_at[src] = max(next_at[src], now) + item.calls * interval[src]
        if batch:
            yield batch
            continue
        wait = min(next_at[s] for s, q in queues.items() if q) - now
        sleep(max(wait, 0.0))


# ---------------------------------------------------------------------------------------------------------
# The run


@dataclass
class Status:
    """Where a backfill stands (what progress lines and the final document show)."""

    backfill_id: str
    total: int
    done_before: int = 0  # already done by any run (the live system, another backfill): skipped
    published_before: int = 0  # published by an earlier run of this backfill
    published_now: int = 0
    finished: int = 0  # this backfill's requests that ran (any status)
    failed: int = 0
    held: list[Item] = field(default_factory=list)  # Odds API work held back by the credit ceiling
    credits_published: int = 0
    credits_max: int | None = None
    started: float = 0.0
    finished_at_start: int = 0
    pace: dict[str, dict[str, float]] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return self.done_before + self.finished

    def to_json(self, now: float) -> dict[str, Any]:
        elapsed = max(now - self.started, 1e-9)
        rate = (self.finished - self.finished_at_start) / elapsed
        left = self.total - self.done - len(self.held)
        return {
            "backfill_id": self.backfill_id,
            "done": self.done,
            "total": self.total,
            "done_before": self.done_before,
            "finished": self.finished,
            "failed": self.failed,
            "published_before": self.published_before,
            "published_now": self.published_now,
            "held_for_credits": len(self.held),
            "credits_published": self.credits_published,
            "credits_max": self.credits_max,
            "rate_per_second": round(rate, 2),
            "eta_seconds": round(left / rate, 1) if rate > 0 and left > 0 else (0.0 if left <= 0 else None),
            "elapsed_seconds": round(elapsed, 1),
        }


def run(
    rt: Runtime,
    cfg: Config,
    fresh: Manifest,
    *,
    credits_max: int | None = None,
    wait: bool = True,
    timeout: float = 3600.0,
    scale: float = 1.0,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    progress_every: float = 2.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Status:
    """Run (or resume) the backfill of `fresh` (see the module docstring); returns where it stands."""
    manifest, _created = open_manifest(rt, fresh)
    items = list(manifest.items)
    bid = manifest.backfill_id
    ids = {i.request_id(bid): i for i in items}
    own = {execution_id(rid): rid for rid in ids}
    st = Status(bid, len(items), credits_max=credits_max, started=clock())
    records = read_records(rt, record_days(items))
    finished = _finished(records, own)
    verdicts = assess(cfg, items, [r for r in records if r.execution_id not in own])
    published = read_published(rt, bid)
    st.published_before = len(published.request_ids & ids.keys())
    st.credits_published = published.credits
    todo: list[Item] = []
    for item, v in zip(items, verdicts, strict=True):
        rid = item.request_id(bid)
        if rid in finished:
            continue
        if v.state == "done":
            st.done_before += 1
        elif rid not in published.request_ids:
            todo.append(item)
    _count(st, finished, ids)
    st.finished_at_start = st.finished
    go = _within_credits(st, todo)
    say = on_progress or (lambda doc: None)
    last = clock()
    sent: dict[str, list[float]] = {}
    for batch in paced(cfg, go, scale=scale, clock=clock, sleep=sleep):
        at = clock()  # the batch's release time (what the pacing decided), not when its publish returned
        _publish(rt, bid, batch)
        now = clock()
        for item in batch:
            s = sent.setdefault(cfg.scrapers[item.scraper].source, [at, at, 0.0, 0.0])
            s[1], s[2], s[3] = at, s[2] + item.calls, item.calls
        st.published_now += len(batch)
        st.credits_published += sum(i.credits for i in batch)
        if now - last >= progress_every:
            last = now
            say({"event": "progress", **st.to_json(now)})
    # Achieved pace: the calls published before the source's last item, over the time from its first publish
    # to its last (n items are n - 1 intervals apart).
    st.pace = {
        src: {
            "calls": calls,
            "seconds": round(t1 - t0, 3),
            "calls_per_second": round((calls - last) / (t1 - t0), 2) if t1 > t0 else None,
            "limit_per_second": round(1 / (source_interval(cfg, src) * scale), 2),
        }
        for src, (t0, t1, calls, last) in sorted(sent.items())
    }
    if not wait:
        return st
    held = {i.request_id(bid) for i in st.held}
    skipped = {i.request_id(bid) for i, v in zip(items, verdicts, strict=True) if v.state == "done"}
    expected = ids.keys() - held - skipped
    deadline = clock() + timeout
    while True:
        records = read_records(rt, record_days(items))
        finished = _finished(records, own)
        _count(st, finished, ids)
        say({"event": "progress", **st.to_json(clock())})
        if expected <= finished.keys() or clock() >= deadline:
            return st
        sleep(progress_every)


def unfinished(rt: Runtime, cfg: Config, manifest: Manifest) -> list[Item]:
    """The manifest's items that neither ran under its id nor are done by another run (what a resume of it
    would still wait for; items held by a credit ceiling count: a resume may publish them)."""
    items = list(manifest.items)
    bid = manifest.backfill_id
    own = {execution_id(i.request_id(bid)): i.request_id(bid) for i in items}
    records = read_records(rt, record_days(items))
    finished = _finished(records, own)
    verdicts = assess(cfg, items, [r for r in records if r.execution_id not in own])
    return [i for i, v in zip(items, verdicts, strict=True) if i.request_id(bid) not in finished and v.state != "done"]


def _finished(records: Iterable[Record], own: dict[str, str]) -> dict[str, Record]:
    """This backfill's requests that have a run record: request id -> its record."""
    return {own[r.execution_id]: r for r in records if r.execution_id in own}


def _count(st: Status, finished: dict[str, Record], ids: dict[str, Item]) -> None:
    st.finished = sum(1 for rid in finished if rid in ids)
    st.failed = sum(1 for r in finished.values() if r.status == "failed")


def _within_credits(st: Status, todo: Sequence[Item]) -> list[Item]:
    """The items to publish under the credit ceiling; the rest of the Odds API work is held (see above)."""
    if st.credits_max is None:
        return list(todo)
    go, spent, stopped = [], st.credits_published, False
    for item in todo:
        if item.credits and (stopped or spent + item.credits > st.credits_max):
            stopped = True
            st.held.append(item)
            continue
        spent += item.credits
        go.append(item)
    return go


def _publish(rt: Runtime, bid: str, batch: Sequence[Item]) -> None:
    from shared.adapters.pubsub import publish_many

    reqs = [request_of(i, bid) for i in batch]
    publish_many(
        rt,
        "scraper_requests",
        [(json.dumps(r.to_json(), separators=(",", ":")).encode(), r.attributes()) for r in reqs],
    )
    mark_published(rt, bid, [r.request_id for r in reqs], sum(i.credits for i in batch), datetime.now(UTC))
