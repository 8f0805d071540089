"""Shared test fixtures.

`stack` starts the local Google Cloud stack once per session (or reuses a running one) and stops only what it
started. `rt` gives each test its own dataset, bucket and topics on that stack, so tests never see each
other's data. `upstream_dir` is the folder of real recorded upstream answers, read in place.
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
UPSTREAM_DIR = REPO_ROOT.parent / "shared" / "fixtures" / "upstream"


def recording(rel: str) -> bytes:
    """The bytes of a real upstream recording, read in place (the test is skipped when the folder is absent)."""
    path = UPSTREAM_DIR / rel
    if not path.is_file():
        pytest.skip(f"upstream recording missing: {path}")
    return path.read_bytes()


@pytest.fixture(scope="session")
def upstream_dir() -> Path:
    if not UPSTREAM_DIR.is_dir():
        pytest.skip(f"recordings not found at {UPSTREAM_DIR}")
    return UPSTREAM_DIR


@pytest.fixture(scope="session")
def stack():
    from shared import clients
    from tooling.local import stack as local_stack

    state = local_stack.up()
    saved = {k: os.environ.get(k) for k in state["env"]}
    os.environ.update(state["env"])
    clients.reset()
    yield state
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v
    clients.reset()
    if state["started"] and os.environ.get("NBA_ORCH_KEEP_STACK") != "1":
        local_stack.down(only=state["started"])


@pytest.fixture
def rt(stack):
    """A Runtime with isolated, provisioned names on the shared stack."""
    from shared.runtime import Runtime
    from tooling.provision import ensure_all

    runtime = Runtime.from_env().with_suffix(uuid.uuid4().hex[:8])
    ensure_all(runtime, views=False)  # the views' tests create them (tests/unit/test_bq_views.py)
    yield runtime
    _drop_subscriptions(runtime)


def _drop_subscriptions(runtime) -> None:
    """Delete the test's subscriptions: a push subscription left behind keeps the emulator retrying a dead
    endpoint for the rest of the session (CPU that slows every later test)."""
    from google.api_core.exceptions import GoogleAPICallError

    from shared.clients import publisher, subscriber

    pub, sub = publisher(runtime.project), subscriber(runtime.project)
    for key in runtime.topics:
        if key == "gcs_events":  # shared by every test (the emulator's notification topic)
            continue
        try:
            for name in pub.list_topic_subscriptions(topic=runtime.topic_path(key)):
                sub.delete_subscription(subscription=name)
        except GoogleAPICallError:
            pass


def pull_all(rt, topic_key: str, subscription: str, *, expect: int = 1, timeout: float = 10.0):
    """Pull from `subscription` until `expect` messages arrived (or timeout); acks them; returns messages."""
    import time

    from shared.clients import subscriber

    client = subscriber(rt.project)
    got = []
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        resp = client.pull(subscription=subscription, max_messages=100, timeout=5)
        if resp.received_messages:
            client.acknowledge(subscription=subscription, ack_ids=[m.ack_id for m in resp.received_messages])
            got.extend(m.message for m in resp.received_messages)
        else:
            time.sleep(0.1)
    return got
