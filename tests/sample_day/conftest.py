"""Fixtures for the sample-day tests: the built day (once per session), a replay server serving it, and the
requests the master controller would send for it (shared.controller.params.resolve)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest

from shared.timeutil import et_at
from tooling.sample_day import DEFAULT_DATE, SampleDay, build, install

BDL_KEY = "sample-bdl-key-3c9e"
ODDS_KEY = "sample-odds-key-8d1f"


@pytest.fixture(scope="session")
def day() -> SampleDay:
    return build(DEFAULT_DATE)


@pytest.fixture(scope="session")
def world(day):
    return day.world


@contextmanager
def serving(day: SampleDay, monkeypatch) -> Iterator[Any]:
    """A replay server with `day` installed; upstream calls of this process go to it, fast retries."""
    from tests.replay import upstream_to
    from tooling.local.replay import Replay

    rp = Replay().start()
    install(rp, day)
    monkeypatch.delenv("BIGDATABALL_SERVICE_ACCOUNT_JSON", raising=False)
    monkeypatch.delenv("NBA_ORCH_DRIVE_TOKEN", raising=False)
    env = {"NBA_ORCH_HTTP_TIMEOUT": "5", "NBA_ORCH_HTTP_ATTEMPTS": "3"}
    try:
        with upstream_to(rp, monkeypatch, **env, BALLDONTLIE_API_KEY=BDL_KEY, ODDS_API_KEY=ODDS_KEY):
            yield rp
    finally:
        rp.stop()


@pytest.fixture
def sample_replay(day, monkeypatch):
    """The default sample day served by a replay server (see `serving`)."""
    with serving(day, monkeypatch) as rp:
        yield rp


def et(d: date, hh: int, mm: int = 0) -> datetime:
    return et_at(d, time(hh, mm))


def ticks(d: date = DEFAULT_DATE) -> dict[str, datetime]:
    """The controller tick at which each workflow of the day runs (its first RUN in a normal day)."""
    return {
        "morning_operations": et(d, 6),
        "betting_lines": et(d, 14),
        "post_game_window_3": et(d + timedelta(days=1), 4),
        "injury_discovery": et(d, 12),
        "referee_discovery": et(d, 8),
    }
