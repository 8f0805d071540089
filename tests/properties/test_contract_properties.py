"""Property-based tests of the message contracts."""

from __future__ import annotations

import hashlib
import json

from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts import make_request_id


# Request ids are deterministic across versions: a redelivery handled by a newer deployment must find the claim
# an older one made. The id is the sha256 of the compact JSON of [scope, scraper, sorted params]: pinned here
# against the plain json.dumps form, whatever the values.
@settings(max_examples=300, deadline=None)
@given(
    scope=st.text(max_size=40),
    scraper=st.text(max_size=30),
    params=st.dictionaries(st.text(max_size=15), st.text(max_size=40), max_size=6),
)
def test_request_ids_are_the_sha256_of_the_documented_canonical_json(scope, scraper, params):
    canon = json.dumps([scope, scraper, sorted(params.items())], separators=(",", ":"))
    assert make_request_id(scraper, params, scope) == hashlib.sha256(canon.encode()).hexdigest()[:32]
