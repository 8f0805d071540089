"""Fixtures of the fault-injection suite: a replay server with the real recordings (read in place) for the
functions run under functions-framework, and the environment those functions get (fast HTTP retries)."""

from __future__ import annotations

import pytest

from tests.replay import Replay, add_recordings
from tests.scrapers.conftest import BDL_KEY, ODDS_KEY


@pytest.fixture(scope="module")
def replay_server(upstream_dir):
    """The real recordings at their real URLs; a module's tests may add routes (they win over the table)."""
    rp = Replay().start()
    add_recordings(rp, upstream_dir)
    yield rp
    rp.stop()


@pytest.fixture
def scraper_env(replay_server) -> dict[str, str]:
    """What a scrapers function process needs besides the runtime: upstream via replay, keys, fast retries."""
    return {
        "NBA_ORCH_UPSTREAM_OVERRIDE": replay_server.url,
        "NBA_ORCH_HTTP_BACKOFF_SCALE": "0.001",
        "NBA_ORCH_HTTP_TIMEOUT": "1",
        "NBA_ORCH_HTTP_ATTEMPTS": "3",
        "BALLDONTLIE_API_KEY": BDL_KEY,
        "ODDS_API_KEY": ODDS_KEY,
    }
