"""Heal rounds (pure): which backfill ids are rounds of one heal, and the next round's id."""

from __future__ import annotations

from shared.backfill.progress import BACKFILL_ID, heal_rounds, round_id

BASE = "heal-20250115-20250117-0123abcd"


def test_round_one_is_the_base_id_and_later_rounds_are_numbered():
    assert round_id(BASE, 1) == BASE
    assert round_id(BASE, 2) == f"{BASE}-r2"
    assert BACKFILL_ID.fullmatch(round_id(BASE, 9999))  # still a valid backfill id (63 characters at most)


def test_only_the_rounds_of_this_base_are_counted():
    ids = [
        BASE,
        f"{BASE}-r2",
        f"{BASE}-r10",
        f"{BASE}-r1",  # round 1 is the base itself: not a round
        f"{BASE}-r02",  # not a number this code writes
        f"{BASE}-rx",
        f"{BASE}0-r3",  # another base that starts with this one
        "heal-20250115-20250117-ffffffff-r4",  # another filter set
        "bf-20250115-20250117-0123abcd",
    ]
    assert heal_rounds(BASE, ids) == {1: BASE, 2: f"{BASE}-r2", 10: f"{BASE}-r10"}
    assert heal_rounds(BASE, []) == {}
    assert heal_rounds(BASE, [f"{BASE}-r3"]) == {3: f"{BASE}-r3"}  # round 1 deleted by hand: the count goes on
