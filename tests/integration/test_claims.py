"""shared.claims on the GCS emulator: the one create-only claim every role uses (locker day, controller slot,
cleanup run, scraper request)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from shared import claims


def test_identical_bodies_from_two_deliveries_have_one_winner(rt):
    """The controller's decisions are deterministic and cleanup's run claim is empty: two deliveries write the
    same bytes, and still exactly one of them may win."""
    results: list[claims.Claim] = []
    lock = threading.Lock()

    def go() -> None:
        c = claims.acquire(rt, "_nba-orch/test/same.json", b"{}")
        with lock:
            results.append(c)

    threads = [threading.Thread(target=go) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(c.won for c in results) == [False] * 5 + [True]
    assert len({c.generation for c in results}) == 1  # every loser sees the winner's object


def test_a_loser_sees_the_winners_body_and_metadata(rt):
    first = claims.acquire(rt, "_nba-orch/test/a.json", b'{"who": 1}', metadata={"tick": "t1"})
    second = claims.acquire(rt, "_nba-orch/test/a.json", b'{"who": 2}', metadata={"tick": "t2"})
    assert first.won and not second.won
    assert second.json() == {"who": 1} and second.metadata["tick"] == "t1"


def test_swap_is_compare_and_swap(rt):
    c = claims.acquire(rt, "_nba-orch/test/b.json", b"1")
    newer = claims.swap(rt, c, b"2")
    assert newer.generation != c.generation and claims.read(rt, c.name).data == b"2"
    with pytest.raises(claims.ClaimConflict):
        claims.swap(rt, c, b"3")  # `c` is stale: someone (here: us) wrote since
    assert claims.read(rt, c.name).data == b"2"


def test_lease_counts_from_creation_and_release_gives_the_work_back(rt):
    c = claims.acquire(rt, "_nba-orch/test/c.json", b"{}")
    now = datetime.now(UTC)
    assert c.live(300, now) and not c.live(300, now + timedelta(seconds=301))
    claims.release(rt, c.name)
    claims.release(rt, c.name)  # releasing twice is fine
    assert claims.read(rt, c.name) is None
    assert claims.acquire(rt, c.name, b"{}").won


def test_mark_adds_a_marker_and_keeps_the_body(rt):
    c = claims.acquire(rt, "_nba-orch/test/d.json", b'{"x": 1}', metadata={"tick": "t"})
    claims.mark(rt, c.name, {"written": "1"})
    again = claims.read(rt, c.name)
    assert again.data == b'{"x": 1}' and again.metadata["written"] == "1" and again.metadata["tick"] == "t"
