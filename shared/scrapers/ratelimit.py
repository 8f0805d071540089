"""Per-source rate limits that hold for the sum of every caller, not per process (docs/limits.md).

Why: `min_interval_seconds` (scrapers.yaml `sources:`) was kept between two calls of one process only, so N
function instances, the controller's fan-out, a backfill and the locker's in-process fallbacks together
called a source N times as fast as its limit. Now every upstream call of a source with a minimum interval I
first reserves a time slot of that source shared by all instances: the create-only GCS object
`_nba-orch/slots/<source>/<slot index>.slot` (if_generation_match=0: exactly one caller gets each slot),
where slot i starts at i * W seconds of the epoch, W = I / 0.95 (`slot_width`). A caller takes the first free
slot starting after its create can have answered (now plus the recent creates' answer time), skipping after
a win the slots its rivals will take meanwhile, and sleeps until it starts (a caller that wakes over 5% of W
late leaves its slot unused and takes another), so calls of a source start in [i * W, i * W + W / 20] of
distinct slots whoever makes them: at least I apart, and at most T / I of them in any window of T seconds
(a window of exactly one minute never holds one more than 60 / I), at up to 0.95 of the limit. A 429
with Retry-After writes the source's slowdown record (`_nba-orch/slowdown/<source>.json`, compare-and-swap
on its generation, the later `until` wins) that every instance reads (cached `slowdown_cache_seconds`) before
taking a slot: one instance's 429 slows the source down for everyone.

Parts: the slot arithmetic (`first_slot`, `slot_start`, `too_late`, `next_hint`, `later_slowdown`) is pure;
`Pacer` sequences it against a `SlotStore` (injectable: `GcsSlotStore` in the functions, an in-memory store
in unit tests) with an injected clock and sleep. Wall clock on purpose: a limit is about real requests, never
the run's logical time; instances share it through NTP (a clock skew of s between two instances shortens
their spacing by s).

Degrades safely: when the store cannot be reached (a timeout, a refused connection, a permission error), the
call falls back to the per-process throttle and a WARNING is logged once per process; the store is tried
again `degraded_seconds` later. A run is never lost to the limiter. A turn further away than the caller may
wait (the HTTP layer's max Retry-After) raises `RateLimited`, a transient failure: Pub/Sub redelivers later,
which is cheaper than an instance sleeping.

Cost: one GCS object create per call of a limited source (plus one failed create per slot lost to another
caller), one read of the slowdown record per source and instance every `slowdown_cache_seconds` while calls
go on; sources without a minimum interval take no slot (they only honour a slowdown). Slots are deleted by the
bucket's lifecycle rule on the prefix (deploy; `rate_limits.slots_delete_after_days`).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared import log
from shared.bucket_layout import object_name
from shared.scrapers.errors import TransientFailure

RATE_LIMITED = "rate_limited"
# How late in its slot a call may still start, as a share of the slot (too_late). Slots are wider than the
# interval by as much (slot_width), so two calls in different slots are always at least one interval apart.
LATE_SHARE = 0.05
# Intervals shorter than this cannot be kept through a store round trip (milliseconds even on the emulator):
# they exist only in scaled-down test configurations, and are kept by the per-process throttle.
MIN_SHARED_INTERVAL = 0.005
# Slot creates whose answer times set the lead (a slot is chosen that starts after the create has answered).
LEAD_SAMPLES = 8
# After a win, at most this many seconds of slots are skipped for the other callers (next_hint).
SKIP_SECONDS = 1.0
# Timings kept for the stats (bounded: an instance may live for days).
STATS_SAMPLES = 4096


class RateLimited(TransientFailure):
    """The source's next turn is further away than this caller may wait: give the work back (redelivery)."""

    def __init__(self, source: str, wait: float, why: str = "over the allowed wait") -> None:
        super().__init__(RATE_LIMITED, f"{source}: the next turn is {wait:.1f} s away or more ({why})")
        self.wait = wait


class StoreUnavailable(Exception):
    """The slot store could not answer (timeout, connection, permission): fall back to the local throttle."""


@dataclass(frozen=True)
class Slowdown:
    """A source's slowdown record: no call before `until` (epoch seconds), set from a 429's Retry-After."""

    until: float
    retry_after: float = 0.0
    generation: int = 0


# ---------------------------------------------------------------------------------------------------------
# Pure slot arithmetic


def slot_width(interval: float, share: float = LATE_SHARE) -> float:
    """The width W of a source's slots: I / (1 - share). A call starts within `share` x W of its slot's start,
    so calls k >= 1 slots apart are at least k x W - share x W >= I apart, and any window of T seconds holds at
    most T / I calls (with slots exactly I wide, the late start of one slot and the prompt start of the slot
    T / I later put one call too many into some windows). The cost: at most 1 - share of the limit."""
    return interval / (1.0 - share)


def slot_start(index: int, interval: float) -> float:
    """Epoch second at which slot `index` of a source with minimum interval `interval` starts."""
    return index * interval


def first_slot(now: float, interval: float, *, hint: int = 0, not_before: float = 0.0) -> int:
    """The first slot that starts at or after max(now, not_before), and not before `hint` (the slot after the
    last one this process saw taken). Never the current slot once it has started: a call late in slot i and
    the next caller's at the start of slot i+1 would be closer than `interval`."""
    if interval <= 0:
        raise ValueError("slots exist only for a positive interval")
    t = max(now, not_before)
    index = math.ceil(t / interval)
    if slot_start(index, interval) < t:  # float rounding of t / interval
        index += 1
    return max(index, hint)


def too_late(now: float, start: float, interval: float, share: float = LATE_SHARE) -> bool:
    """Whether a caller that woke at `now` for the slot starting at `start` is too late to use it: a call
    `share` of an interval late is that much closer to the next slot's call, so the slot is left unused and
    another taken (a wake-up delayed by a busy instance must not shorten the spacing)."""
    return now - start > share * interval


def next_hint(index: int, won: bool, recent_losses: Iterable[int] = (), interval: float = 1.0) -> int:
    """The first slot this caller's next probe may try. After a lost create: the next slot. After a win: past
    the slots the other active callers will take meanwhile, estimated as the most slots lost before one of
    this caller's recent wins (with K callers taking turns, the next free slot is about K ahead; probing each
    of them would cost a failed create per other caller and call), skipping at most SKIP_SECONDS of slots: a
    skipped slot nobody takes is lost, and when the rivals have gone the caller would wait for nothing."""
    if not won:
        return index + 1
    return index + 1 + min(max(recent_losses, default=0), int(SKIP_SECONDS / interval))


def later_slowdown(current: Slowdown | None, until: float) -> bool:
    """Whether a new slowdown until `until` extends the stored one (a shorter Retry-After never shortens it)."""
    return current is None or until > current.until


# ---------------------------------------------------------------------------------------------------------
# The store


class SlotStore(Protocol):
    def reserve(self, source: str, index: int) -> bool:
        """Create the slot; True when this call created it, False when it was taken. StoreUnavailable else."""
        ...

    def read_slowdown(self, source: str) -> Slowdown | None: ...

    def write_slowdown(self, source: str, until: float, retry_after: float, expected: Slowdown | None) -> bool:
        """Store `until` if the record is still `expected` (None: absent); False when another writer won."""
        ...


def slot_name(source: str, index: int) -> str:
    return object_name("slots", source, str(index), ext="slot")


def slowdown_name(source: str) -> str:
    return object_name("slowdown", source)


class GcsSlotStore:
    """Slots and slowdown records in the data bucket. Short timeouts and no client retries: a slot is worth
    less than the run, so an unreachable GCS degrades to the local throttle instead of waiting out the client
    library's two-minute retry deadline."""

    def __init__(self, bucket: Callable[[], Any], timeout: float = 5.0) -> None:
        self._bucket = bucket
        self._timeout = timeout

    def reserve(self, source: str, index: int) -> bool:
        from google.api_core.exceptions import PreconditionFailed

        blob = self._bucket().blob(slot_name(source, index))
        try:
            blob.upload_from_string(
                b"", content_type="application/octet-stream", if_generation_match=0, timeout=self._timeout, retry=None
            )
        except PreconditionFailed:
            return False
        except Exception as exc:
            raise StoreUnavailable(type(exc).__name__) from None
        return True

    def read_slowdown(self, source: str) -> Slowdown | None:
        from google.api_core.exceptions import NotFound, PreconditionFailed

        try:
            for _ in range(3):
                blob = self._bucket().get_blob(slowdown_name(source), timeout=self._timeout, retry=None)
                if blob is None:
                    return None
                try:
                    data = blob.download_as_bytes(
                        if_generation_match=blob.generation, timeout=self._timeout, retry=None
                    )
                except (NotFound, PreconditionFailed):
                    continue  # replaced between the two calls
                doc = json.loads(data)
                return Slowdown(float(doc["until"]), float(doc.get("retry_after", 0)), int(blob.generation or 0))
        except (ValueError, KeyError, TypeError):
            return None  # an unreadable record slows nobody down; the next 429 rewrites it
        except Exception as exc:
            raise StoreUnavailable(type(exc).__name__) from None
        return None

    def write_slowdown(self, source: str, until: float, retry_after: float, expected: Slowdown | None) -> bool:
        from google.api_core.exceptions import PreconditionFailed

        body = json.dumps({"source": source, "until": until, "retry_after": retry_after}).encode()
        blob = self._bucket().blob(slowdown_name(source))
        try:
            blob.upload_from_string(
                body,
                content_type="application/json",
                if_generation_match=expected.generation if expected else 0,
                timeout=self._timeout,
                retry=None,
            )
        except PreconditionFailed:
            return False
        except Exception as exc:
            raise StoreUnavailable(type(exc).__name__) from None
        return True


# ---------------------------------------------------------------------------------------------------------
# The pacer: one per HTTP client (process); thread-safe


@dataclass
class PacerStats:
    """What the limiter cost (the benchmark and docs/limits.md read it): slot creates won and lost, slowdown
    reads and writes, local fallbacks, and the store's answer times."""

    won: int = 0
    lost: int = 0
    slowdown_reads: int = 0
    slowdown_writes: int = 0
    fallbacks: int = 0
    late: int = 0  # slots won but left unused: the caller woke too late in them (too_late)
    # the last STATS_SAMPLES answer times of the store, and how late after its slot's start each caller woke
    store_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=STATS_SAMPLES))
    wake_seconds: deque[float] = field(default_factory=lambda: deque(maxlen=STATS_SAMPLES))


class Pacer:
    """Takes turns for upstream calls (see the module docstring). `wait_turn` returns False when the store is
    unavailable or the interval too short to share: the caller then applies its per-process throttle."""

    def __init__(
        self,
        store: SlotStore,
        *,
        slowdown_cache_seconds: float = 2.0,
        max_probes: int = 32,
        degraded_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.store = store
        self.cache_seconds = slowdown_cache_seconds
        self.max_probes = max_probes
        self.degraded_seconds = degraded_seconds
        self.clock = clock
        self.sleep = sleep
        self.stats = PacerStats()
        self._lock = threading.Lock()
        self._hint: dict[str, int] = {}
        self._slowdown: dict[str, tuple[float, Slowdown | None]] = {}  # source -> (read at, record)
        self._degraded_until = 0.0
        self._warned = False
        self._reserve_seconds: deque[float] = deque(maxlen=LEAD_SAMPLES)
        self._losses: dict[str, deque[int]] = {}  # source -> slots lost before each of the last wins

    def _timed(self, call: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return call()
        finally:
            self.stats.store_seconds.append(time.perf_counter() - started)

    def _degrade(self, what: str, exc: StoreUnavailable) -> None:
        with self._lock:
            self._degraded_until = self.clock() + self.degraded_seconds
            self.stats.fallbacks += 1
            warn, self._warned = not self._warned, True
        if warn:
            log.warning(
                f"rate limits: the slot store is unavailable ({exc}) while {what}; this process falls back to its "
                f"own per-source throttle and retries the store every {self.degraded_seconds:g} s",
                warning="rate_limit_store_unavailable",
            )

    def _available(self) -> bool:
        return self.clock() >= self._degraded_until

    def slowdown(self, source: str) -> Slowdown | None:
        """The source's slowdown record, read at most every `cache_seconds` (StoreUnavailable propagates)."""
        now = self.clock()
        cached = self._slowdown.get(source)
        if cached is not None and now - cached[0] < self.cache_seconds:
            return cached[1]
        record = self._timed(lambda: self.store.read_slowdown(source))
        self.stats.slowdown_reads += 1
        self._slowdown[source] = (now, record)
        return record

    def lead(self) -> float:
        """How far ahead a slot must start for its create to have answered by then: the slowest of the last
        LEAD_SAMPLES creates (a slot that started while its create was in flight would be taken late)."""
        with self._lock:  # the threads of one instance share the pacer
            return max(self._reserve_seconds, default=0.0)

    def wait_turn(self, source: str, interval: float, *, max_wait: float) -> bool:
        """Sleep until this call's turn: after the source's slowdown, in a slot of its own when `interval` is
        positive. False when the caller must keep the interval itself (the store is unavailable, or the
        interval is below MIN_SHARED_INTERVAL); RateLimited when the turn is over `max_wait` away."""
        if not self._available():
            return False
        try:
            record = self.slowdown(source)
            not_before = record.until if record is not None else 0.0
            if interval < MIN_SHARED_INTERVAL:
                self._sleep_until(source, not_before, max_wait)
                return interval <= 0
            width = slot_width(interval)
            losses = 0
            for _ in range(self.max_probes):
                now = self.clock()
                hint = self._hint.get(source, 0)
                index = first_slot(now + self.lead(), width, hint=hint, not_before=not_before)
                start = slot_start(index, width)
                if start - now > max_wait:
                    raise RateLimited(source, start - now)
                won = self._reserve(source, index)
                with self._lock:
                    recent = self._losses.setdefault(source, deque(maxlen=LEAD_SAMPLES))
                    if won:
                        recent.append(losses)
                    self._hint[source] = max(self._hint.get(source, 0), next_hint(index, won, recent, width))
                    if won:
                        self.stats.won += 1
                    else:
                        self.stats.lost += 1
                        losses += 1
                if won:
                    self._sleep_until(source, start, max_wait)
                    woke = self.clock()
                    self.stats.wake_seconds.append(woke - start)
                    if not too_late(woke, start, width):
                        return True
                    with self._lock:
                        self.stats.late += 1
            raise RateLimited(source, self.max_probes * width, f"{self.max_probes} slots ahead were taken")
        except StoreUnavailable as exc:
            self._degrade(f"taking a turn of {source}", exc)
            return False

    def _reserve(self, source: str, index: int) -> bool:
        started = self.clock()
        won = self._timed(lambda: self.store.reserve(source, index))
        with self._lock:
            self._reserve_seconds.append(max(0.0, self.clock() - started))
        return won

    def _sleep_until(self, source: str, when: float, max_wait: float) -> None:
        wait = when - self.clock()
        if wait > max_wait:
            raise RateLimited(source, wait)
        if wait > 0:
            self.sleep(wait)

    def slow_down(self, source: str, retry_after: float) -> None:
        """Record that `source` asked every caller to wait `retry_after` seconds from now (a 429's Retry-After).
        Never raises: a slowdown that cannot be stored still slows this process (its cache), and the HTTP
        layer's own retry waits the Retry-After anyway."""
        until = self.clock() + retry_after
        with self._lock:
            cached = self._slowdown.get(source)
            if cached is None or cached[1] is None or until > cached[1].until:
                self._slowdown[source] = (self.clock(), Slowdown(until, retry_after))
        if not self._available():
            return
        try:
            for _ in range(3):
                current = self._timed(lambda: self.store.read_slowdown(source))
                if not later_slowdown(current, until):
                    break
                if self._timed(lambda c=current: self.store.write_slowdown(source, until, retry_after, c)):
                    self.stats.slowdown_writes += 1
                    break
        except StoreUnavailable as exc:
            self._degrade(f"recording a slowdown of {source}", exc)
