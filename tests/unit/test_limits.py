"""shared.limits: Google Cloud's documented limits, which the emulators do not enforce (pure)."""

from __future__ import annotations

import pytest

from shared import limits
from shared.limits import LimitExceeded


def test_attribute_values_up_to_1024_bytes_counted_in_utf8():
    limits.check_attributes({"workflow": "x" * 1024})
    with pytest.raises(LimitExceeded, match="1025 bytes"):
        limits.check_attributes({"workflow": "x" * 1025})
    with pytest.raises(LimitExceeded):
        limits.check_attributes({"workflow": "é" * 513})  # 1,026 bytes in 513 characters


def test_attribute_count_and_key_size():
    limits.check_attributes({f"k{i}": "v" for i in range(100)})
    with pytest.raises(LimitExceeded, match="101 attributes"):
        limits.check_attributes({f"k{i}": "v" for i in range(101)})
    with pytest.raises(LimitExceeded, match="key"):
        limits.check_attributes({"k" * 257: "v"})


def test_object_names():
    limits.check_object_name("a" * 1024)
    for bad in ("", "a" * 1025, "ä" * 513, "a\nb", "a\rb", ".", "..", ".well-known/acme-challenge/x"):
        with pytest.raises(LimitExceeded):
            limits.check_object_name(bad)


def test_metadata_total_is_8_kib_of_keys_and_values():
    limits.check_metadata({"k": "v" * (8 * 1024 - 1)})
    with pytest.raises(LimitExceeded, match="8192"):
        limits.check_metadata({"k": "v" * (8 * 1024)})


def test_clip_keeps_whole_characters():
    assert limits.clip("abc", 10) == "abc"
    assert limits.clip("é" * 10, 5) == "éé"  # 4 bytes: the third character would be split
    assert len(limits.clip("x" * 5000, 512).encode()) == 512
