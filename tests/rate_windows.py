"""Reading a source's limit off the replay server's arrival times (the rate-limit tests and the benchmark).

A source with minimum interval I allows W / I calls in any window of W seconds. Calls are checked in sliding
half-open windows [t, t + W) starting at every arrival, shortened by `jitter` seconds: the limiter spaces the
calls' departures at the client, the server sees arrivals, and two arrivals can be closer than their
departures by the difference of their latencies (thread wake-up, the loopback). The jitter allowed is stated
by each caller and printed by the benchmark, never hidden.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass


def windows_over(times: Sequence[float], width: float, limit: float, jitter: float = 0.0) -> int:
    """How many windows [t, t + width - jitter), one starting at each arrival t, hold more than `limit` calls."""
    ts = sorted(times)
    span = max(width - jitter, 0.0)
    return sum(1 for i, t in enumerate(ts) if bisect_left(ts, t + span) - i > limit + 1e-9)


def max_in_window(times: Sequence[float], width: float, jitter: float = 0.0) -> int:
    """The most calls in any window [t, t + width - jitter)."""
    ts = sorted(times)
    span = max(width - jitter, 0.0)
    return max((bisect_left(ts, t + span) - i for i, t in enumerate(ts)), default=0)


def min_gap(times: Sequence[float]) -> float:
    """The shortest time between two consecutive arrivals (inf for fewer than two)."""
    ts = sorted(times)
    return min((b - a for a, b in zip(ts, ts[1:], strict=False)), default=float("inf"))


@dataclass(frozen=True)
class Verdict:
    calls: int
    min_gap: float
    interval_windows_over: int  # windows of one interval holding more than one call
    minute_windows_over: int  # windows of `minute` seconds holding more than minute / interval calls

    @property
    def held(self) -> bool:
        return self.interval_windows_over == 0 and self.minute_windows_over == 0


def check(times: Iterable[float], interval: float, *, jitter: float, minute: float = 60.0) -> Verdict:
    """The limit of a source with minimum interval `interval`, read off its arrival times."""
    ts = sorted(times)
    return Verdict(
        calls=len(ts),
        min_gap=min_gap(ts),
        interval_windows_over=windows_over(ts, interval, 1, jitter),
        minute_windows_over=windows_over(ts, minute, minute / interval, jitter),
    )
