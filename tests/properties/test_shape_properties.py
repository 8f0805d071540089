"""Property-based tests of the answer-shape fingerprint (shared.scrapers.shape): it depends on key paths and
value types only, never on key order, list lengths or values; it is bounded; and the drift rules never
warn about an answer the baseline already covers, while a renamed key always warns."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from shared.scrapers import shape

KEYS = st.text(alphabet="abcde", min_size=1, max_size=3)  # plain names (value-like keys collapse to "*")
LEAVES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**9), max_value=10**9),
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    st.text(max_size=5),
)
DOCS = st.recursive(
    LEAVES,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(KEYS, children, max_size=4),
    max_leaves=25,
)


def reorder(value: Any) -> Any:
    """The same document with every object's keys in reverse order."""
    if isinstance(value, dict):
        return {k: reorder(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [reorder(v) for v in value]
    return value


def relength(value: Any, copies: int) -> Any:
    """Every non-empty list with its elements repeated `copies` times, in reverse order."""
    if isinstance(value, dict):
        return {k: relength(v, copies) for k, v in value.items()}
    if isinstance(value, list):
        return [relength(v, copies) for v in reversed(value)] * copies
    return value


def revalue(value: Any) -> Any:
    """Every leaf replaced by another value of the same type."""
    if isinstance(value, dict):
        return {k: revalue(v) for k, v in value.items()}
    if isinstance(value, list):
        return [revalue(v) for v in value]
    if isinstance(value, bool):
        return not value
    if isinstance(value, int | float):
        return value + 1
    if isinstance(value, str):
        return value + "x"
    return value


def rename_first_key(value: Any) -> Any | None:
    """The document with the first key found (depth first) renamed to a name no document has; None if none."""
    if isinstance(value, dict):
        if value:
            first = next(iter(value))
            return {("zz" if k == first else k): v for k, v in value.items()}
        return None
    if isinstance(value, list):
        for i, v in enumerate(value):
            renamed = rename_first_key(v)
            if renamed is not None:
                return [*value[:i], renamed, *value[i + 1 :]]
    return None


@given(DOCS)
def test_key_order_does_not_change_the_fingerprint(doc):
    assert shape.of_json(reorder(doc)).fingerprint == shape.of_json(doc).fingerprint


@given(DOCS, st.integers(min_value=1, max_value=4))
def test_list_lengths_and_element_order_do_not_change_the_fingerprint(doc, copies):
    assert shape.of_json(relength(doc, copies)).fingerprint == shape.of_json(doc).fingerprint


@given(DOCS)
def test_values_do_not_change_the_fingerprint(doc):
    assert shape.of_json(revalue(doc)).fingerprint == shape.of_json(doc).fingerprint


@given(DOCS)
def test_the_encoding_does_not_change_the_fingerprint(doc):
    # the same answer pretty-printed or compact (what a recorder or upstream may do)
    compact = shape.of_answer(json.dumps(doc, separators=(",", ":")).encode(), "application/json")
    pretty = shape.of_answer(json.dumps(doc, indent=2).encode(), "application/json")
    assert compact is not None and pretty is not None and compact.fingerprint == pretty.fingerprint


@given(DOCS)
def test_a_renamed_key_changes_the_fingerprint_and_is_drift(doc):
    renamed = rename_first_key(doc)
    assume(renamed is not None)
    base, now = shape.of_json(doc), shape.of_json(renamed)
    assert now.fingerprint != base.fingerprint
    drift = shape.compare(base, now)
    assert drift.drifted and any(p.endswith(".zz") for p in drift.added)


@given(DOCS, DOCS)
def test_an_answer_the_baseline_covers_never_drifts(a, b):
    sa, sb = shape.of_json(a), shape.of_json(b)
    assert not shape.compare(sa, sa).drifted
    merged = shape.merge(sa, sb)
    assert not shape.compare(merged, sa).drifted and not shape.compare(merged, sb).drifted


@settings(max_examples=30)
@given(st.dictionaries(st.text(min_size=1, max_size=12), DOCS, min_size=0, max_size=60), st.integers(1, 30))
def test_the_shape_is_bounded(doc, width):
    wide = {f"{k}{i}": v for i in range(width) for k, v in doc.items()}
    s = shape.of_json(wide)
    assert len(s.paths) <= shape.MAX_PATHS
    assert len(json.dumps(s.summary())) < 120  # what each run's summary carries
