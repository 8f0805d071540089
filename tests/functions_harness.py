"""Run a function under functions-framework wired by a push subscription (for end-to-end tests).

The implementation is the product's own (tooling/local/functions.py, also used by `nba-orch simulate`):

    from tests.functions_harness import FunctionProcess, wire, LogTail, function_env
    with FunctionProcess("schedule_locker", env=function_env(rt)) as fn:
        wire(rt, fn, "locker_tick", min_backoff=1, max_backoff=2)
        publish(rt, "locker_tick", b'{"date": "2025-01-15"}')
        ... poll BigQuery / GCS until the effect appears ...
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from typing import TypeVar

from shared.runtime import Runtime
from tooling.local.functions import FUNCTIONS, FunctionProcess, LogTail, free_port, wire

__all__ = ["FUNCTIONS", "FunctionProcess", "LogTail", "free_port", "function_env", "wait_for", "wire"]

T = TypeVar("T")

_PASSED = ("PUBSUB_EMULATOR_HOST", "STORAGE_EMULATOR_HOST", "BIGQUERY_EMULATOR_HOST", "NBA_ORCH_UPSTREAM_OVERRIDE")


def function_env(rt: Runtime, **extra: str) -> dict[str, str]:
    """The environment a function process needs to act on `rt` through the local emulators."""
    env = {k: os.environ[k] for k in _PASSED if k in os.environ}
    return {**env, **rt.env(), **extra}


def wait_for(check: Callable[[], T], timeout: float = 30.0, what: str = "condition") -> T:
    """Poll `check` until it returns something truthy (returned) or fail after `timeout` seconds: the effect
    of a message happens in another process, at an unknown moment."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")
