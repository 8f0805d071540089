"""The rate limiter's pure parts: slot arithmetic, the pacer's sequencing against an in-memory store (the same
protocol GcsSlotStore implements; tests/scrapers/test_rate_limits.py runs the real store on the emulator), and
the window arithmetic the tests and the benchmark read limits with."""

from __future__ import annotations

import pytest

from shared.scrapers.ratelimit import (
    LATE_SHARE,
    Pacer,
    RateLimited,
    Slowdown,
    StoreUnavailable,
    first_slot,
    later_slowdown,
    next_hint,
    slot_name,
    slot_start,
    slot_width,
    slowdown_name,
)
from tests.rate_windows import check, max_in_window, min_gap, windows_over


class Clock:
    """A fake wall clock whose sleep advances it (what the pacer waited is what it slept)."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


class MemoryStore:
    """Create-only slots and a compare-and-swap slowdown record in memory, shared by several pacers."""

    def __init__(self) -> None:
        self.slots: set[tuple[str, int]] = set()
        self.slowdowns: dict[str, Slowdown] = {}
        self.down = False
        self.calls = 0

    def _check(self) -> None:
        self.calls += 1
        if self.down:
            raise StoreUnavailable("ConnectionError")

    def reserve(self, source: str, index: int) -> bool:
        self._check()
        if (source, index) in self.slots:
            return False
        self.slots.add((source, index))
        return True

    def read_slowdown(self, source: str) -> Slowdown | None:
        self._check()
        return self.slowdowns.get(source)

    def write_slowdown(self, source: str, until: float, retry_after: float, expected: Slowdown | None) -> bool:
        self._check()
        current = self.slowdowns.get(source)
        if (current.generation if current else 0) != (expected.generation if expected else 0):
            return False
        self.slowdowns[source] = Slowdown(until, retry_after, (current.generation if current else 0) + 1)
        return True


def pacer(store: MemoryStore, clock: Clock, **kw) -> Pacer:
    return Pacer(store, clock=clock, sleep=clock.sleep, **kw)


def test_the_first_slot_starts_at_or_after_now_never_the_current_one():
    assert first_slot(10.0, 0.5) == 20 and slot_start(20, 0.5) == 10.0  # on a boundary: that slot
    assert first_slot(10.01, 0.5) == 21  # inside slot 20: the next one (slot 20 may be in use since 10.0)
    assert first_slot(10.01, 0.5, hint=25) == 25  # this process saw 21..24 taken
    assert first_slot(10.01, 0.5, not_before=12.2) == 25  # a slowdown until 12.2: slot 25 starts at 12.5
    assert first_slot(0.3, 0.1) * 0.1 >= 0.3  # float rounding never yields a slot that started before now
    with pytest.raises(ValueError):
        first_slot(1.0, 0)


def test_object_names_are_per_source_and_slot():
    assert slot_name("nba_stats", 2931) == "_nba-orch/slots/nba_stats/2931.slot"
    assert slowdown_name("odds_api") == "_nba-orch/slowdown/odds_api.json"


def test_a_slowdown_only_ever_extends():
    assert later_slowdown(None, 5.0)
    assert later_slowdown(Slowdown(4.0), 5.0)
    assert not later_slowdown(Slowdown(6.0), 5.0)


def test_callers_sharing_a_store_take_distinct_slots_at_least_one_interval_apart():
    store, clock = MemoryStore(), Clock(1000.0)
    a, b = pacer(store, clock), pacer(store, clock)
    starts = []
    interval = 0.95 * 0.5  # slots of 0.5 s (slot_width)
    for p in (a, b, a, b, b, a):
        assert p.wait_turn("bdl", interval, max_wait=60)
        starts.append(clock.t)
    assert starts[:4] == pytest.approx([1000.0, 1000.5, 1001.0, 1001.5])
    assert all(later - earlier >= interval for earlier, later in zip(starts, starts[1:], strict=False))
    assert len(store.slots) == 6 and a.stats.won == b.stats.won == 3
    # b lost slot 2000 to a (its first probe), a lost 2001 to b: one failed create per lost slot
    assert a.stats.lost + b.stats.lost >= 1


def test_after_a_win_a_caller_skips_the_slots_its_rivals_take_meanwhile():
    """Its effect on concurrent callers (creates per call) is measured by bench_source_limits.py."""
    assert next_hint(10, False, [3]) == 11  # lost: the next slot
    assert next_hint(10, True, []) == 11 and next_hint(10, True, [0, 2, 1], interval=0.1) == 13
    assert next_hint(10, True, [7], interval=0.25) == 15  # at most a second of slots skipped
    assert next_hint(10, True, [7], interval=3.0) == 11  # a long interval: none


def test_without_a_shared_store_two_pacers_would_collide():
    """The control of the test above: separate stores (= per-process limits) give the same slot twice."""
    clock = Clock(1000.0)
    a, b = pacer(MemoryStore(), clock), pacer(MemoryStore(), clock)
    a.wait_turn("bdl", 0.5, max_wait=60)
    b.wait_turn("bdl", 0.5, max_wait=60)
    assert clock.slept == []  # both called at 1000.0: twice the limit


def test_a_turn_too_far_away_is_given_back():
    store, clock = MemoryStore(), Clock(1000.0)
    store.slots |= {("br", i) for i in range(334, 400)}  # 3 s slots (interval 2.85): taken up to 1200 s
    with pytest.raises(RateLimited) as exc:
        pacer(store, clock, max_probes=100).wait_turn("br", 2.85, max_wait=60)
    assert exc.value.error_type == "rate_limited" and exc.value.wait > 60
    with pytest.raises(RateLimited):  # more callers waiting than max_probes
        pacer(store, clock, max_probes=5).wait_turn("br", 2.85, max_wait=1000)


def test_a_429_slows_every_pacer_of_the_store_down():
    store, clock = MemoryStore(), Clock(1000.0)
    a, b = pacer(store, clock), pacer(store, clock, slowdown_cache_seconds=0)
    a.slow_down("odds", 30.0)
    assert store.slowdowns["odds"].until == 1030.0
    a.slow_down("odds", 5.0)  # a shorter Retry-After never shortens the record
    assert store.slowdowns["odds"].until == 1030.0 and a.stats.slowdown_writes == 1
    assert b.wait_turn("odds", 0.19, max_wait=60)
    assert clock.t == pytest.approx(1030.0)  # b's slot (0.2 s wide) is the first one after the slowdown
    assert b.wait_turn("cdn", 0, max_wait=60) and clock.t == pytest.approx(1030.0)  # another source: not slowed
    store.slowdowns["cdn"] = Slowdown(1040.0, 10.0, 1)
    assert b.wait_turn("cdn", 0, max_wait=60) and clock.t == 1040.0  # no interval: it still honours a slowdown
    with pytest.raises(RateLimited):  # a slowdown longer than the allowed wait: the work is given back
        a.slow_down("odds", 600.0)
        b.wait_turn("odds", 0.2, max_wait=60)


def test_the_slowdown_record_is_cached_between_reads():
    store, clock = MemoryStore(), Clock(1000.0)
    p = pacer(store, clock, slowdown_cache_seconds=2.0)
    for _ in range(5):
        p.wait_turn("cdn", 0, max_wait=60)
    assert p.stats.slowdown_reads == 1
    clock.t += 2.5
    p.wait_turn("cdn", 0, max_wait=60)
    assert p.stats.slowdown_reads == 2


def test_an_unreachable_store_falls_back_with_one_warning_and_is_retried_later(capsys):
    store, clock = MemoryStore(), Clock(1000.0)
    store.down = True
    p = pacer(store, clock, degraded_seconds=60)
    assert p.wait_turn("bdl", 0.1, max_wait=60) is False  # the caller throttles locally
    p.slow_down("bdl", 5.0)  # never raises
    assert p.wait_turn("bdl", 0.1, max_wait=60) is False
    calls = store.calls
    assert calls == 1  # skipped while degraded: no timeout paid per call
    warnings = [line for line in capsys.readouterr().out.splitlines() if "rate_limit_store_unavailable" in line]
    assert len(warnings) == 1 and '"severity":"WARNING"' in warnings[0] and "ConnectionError" in warnings[0]
    store.down = False
    clock.t += 61
    assert p.wait_turn("bdl", 0.1, max_wait=60) is True and store.calls > calls


def test_window_arithmetic():
    spaced = [0.0, 0.5, 1.0, 1.5, 2.0]
    assert min_gap(spaced) == 0.5 and max_in_window(spaced, 0.5) == 1 and max_in_window(spaced, 1.0) == 2
    assert windows_over(spaced, 0.5, 1) == 0
    crowded = [0.0, 0.1, 0.5, 0.55]
    assert windows_over(crowded, 0.5, 1) == 3 and windows_over(crowded, 0.5, 1, jitter=0.46) == 0
    v = check(spaced, 0.5, jitter=0.0, minute=1.0)
    assert v.held and v.calls == 5
    v = check(crowded, 0.5, jitter=0.0, minute=1.0)
    assert not v.held and v.minute_windows_over == 2  # [0, 1) holds 4 and [0.1, 1.1) 3: over 2


def test_a_caller_that_wakes_late_in_its_slot_takes_another():
    store, clock = MemoryStore(), Clock(1000.0)

    def oversleep(seconds: float) -> None:  # a busy instance: its first wake-up is 0.2 s late
        clock.sleep(seconds + (0.2 if not clock.slept else 0.0))

    p = Pacer(store, clock=clock, sleep=oversleep)
    clock.t = 1000.01
    assert p.wait_turn("bdl", 0.95, max_wait=60)  # slots of 1 s
    assert clock.t == pytest.approx(1002.0) and p.stats.late == 1 and p.stats.won == 2  # slot 1001 left unused


class SlowStore(MemoryStore):
    """Each create takes 0.3 s of the fake clock (a slow store round trip)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock

    def reserve(self, source: str, index: int) -> bool:
        self.clock.t += 0.3
        return super().reserve(source, index)


def test_slots_are_chosen_far_enough_ahead_for_the_create_to_answer_in_time():
    clock = Clock(1000.0)
    p = pacer(SlowStore(clock), clock)
    assert p.wait_turn("bdl", 0.95, max_wait=60)  # 1 s slots; first: slot 1000 (no lead known), won at 1000.3: late
    assert p.stats.late == 1 and clock.t == pytest.approx(1001.0) and p.lead() == pytest.approx(0.3)
    assert p.wait_turn("bdl", 0.95, max_wait=60)  # now + lead (1001.3): slot 1002, won at 1001.6, in time
    assert p.stats.late == 1 and clock.t == pytest.approx(1002.0)


def test_intervals_too_short_for_a_store_round_trip_are_left_to_the_local_throttle():
    store, clock = MemoryStore(), Clock(1000.0)
    p = pacer(store, clock)
    assert p.wait_turn("bdl", 0.001, max_wait=60) is False  # the caller throttles itself
    assert not store.slots and p.stats.slowdown_reads == 1  # a slowdown is still honoured


@pytest.mark.parametrize("interval", [0.1, 0.2, 0.6, 3.0])
def test_calls_in_distinct_slots_never_crowd_any_window_even_at_their_latest_start(interval: float) -> None:
    """The worst case of the slot rule: every seventh slot's call starts as late as it may (LATE_SHARE of the
    slot), the others at once. No window of one interval holds two calls, no window of exactly one minute
    more than 60 / interval; with slots exactly one interval wide the same starts put one call too many in
    some minutes (the control), which is why slots are wider."""

    def starts(width: float) -> list[float]:
        n = int(180 / interval)
        late = LATE_SHARE * width * 0.999
        return [slot_start(i, width) + (late if i % 7 == 0 else 0.0) for i in range(1000, 1000 + n)]

    verdict = check(starts(slot_width(interval)), interval, jitter=0.0)
    assert verdict.held, verdict
    assert verdict.min_gap >= interval - 1e-9
    assert check(starts(interval), interval, jitter=0.0).minute_windows_over > 0
    assert slot_width(interval) == pytest.approx(interval / (1 - LATE_SHARE))
