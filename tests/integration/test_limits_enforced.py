"""Google's limits are enforced by our adapters before anything reaches the emulators, which accept what real
Pub/Sub and Cloud Storage reject (an object name over 1,024 bytes, metadata over 8 KiB, attribute values over
1,024 bytes)."""

from __future__ import annotations

import pytest

from shared import claims
from shared.adapters import gcs, pubsub
from shared.limits import LimitExceeded


def test_an_object_name_google_rejects_is_refused_before_the_write(rt):
    with pytest.raises(LimitExceeded):
        gcs.create_object(rt, "x/" + "a" * 1024, b"{}")
    with pytest.raises(LimitExceeded):
        claims.acquire(rt, "_nba-orch/test/line\nbreak.json", b"{}")
    assert list(gcs.list_objects(rt, "x/")) == [] and list(gcs.list_objects(rt, "_nba-orch/test/")) == []


def test_metadata_over_8_kib_is_refused_before_the_write(rt):
    with pytest.raises(LimitExceeded):
        gcs.create_object(rt, "x/meta.json", b"{}", metadata={"etag": "e" * 9000})
    assert gcs.read_object(rt, "x/meta.json") is None


def test_a_batch_with_one_oversized_attribute_publishes_nothing(rt):
    from tests.conftest import pull_all
    from tooling.provision import ensure_pull_subscription

    sub = ensure_pull_subscription(rt, "scraper_complete")
    with pytest.raises(LimitExceeded):
        pubsub.publish_many(rt, "scraper_complete", [(b"a", {"workflow": "ok"}), (b"b", {"workflow": "w" * 1025})])
    assert pull_all(rt, "scraper_complete", sub, expect=1, timeout=2.0) == []
    results = pubsub.publish_each(rt, "scraper_complete", [(b"a", {"workflow": "ok"}), (b"b", {"w": "w" * 1025})])
    assert isinstance(results[1], LimitExceeded) and isinstance(results[0], str)
