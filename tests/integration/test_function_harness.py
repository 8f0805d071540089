"""A function under functions-framework receives a Pub/Sub push from the emulator, and a malformed message is
acknowledged (not redelivered) while the next good one is processed."""

from __future__ import annotations

import time

import pytest

from shared.adapters.pubsub import publish
from tests.functions_harness import FunctionProcess, LogTail, function_env, wire

pytestmark = pytest.mark.emulators


def _wait_for(tail: LogTail, predicate, timeout: float = 20.0) -> list[dict]:
    seen: list[dict] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        seen += tail.read()
        if predicate(seen):
            return seen
        time.sleep(0.1)
    raise AssertionError(f"timed out; log lines: {seen[-5:]}")


def test_push_delivery_and_malformed_message_is_acked(rt, tmp_path):
    with FunctionProcess("cleanup", env=function_env(rt), log_path=tmp_path / "cleanup.log") as fn:
        wire(rt, fn, "cleanup_tick", min_backoff=1, max_backoff=2)
        tail = LogTail(fn.log_path)
        publish(rt, "cleanup_tick", b"{not json")
        publish(rt, "cleanup_tick", b'{"dry_run": true, "as_of": "2025-01-15T18:00:00Z"}')
        seen = _wait_for(tail, lambda s: any("done" in line["message"] for line in s))
        rejected = [line for line in seen if "acknowledged without retry" in line["message"]]
        assert len(rejected) == 1 and "invalid JSON" in rejected[0]["message"]
        time.sleep(2.5)  # longer than the retry backoff: an unacknowledged message would come back
        again = tail.read()
        assert not any("acknowledged without retry" in line["message"] for line in again)
