"""Fixtures of the backfill tests: the configuration and the real 2024-25 schedule recording (read in place)."""

from __future__ import annotations

import gzip
import json

import pytest

from shared.config import load_config

RECORDING = "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz"


@pytest.fixture(scope="session")
def cfg():
    return load_config()


@pytest.fixture(scope="session")
def games(upstream_dir):
    from shared.nba.schedule import parse_schedule

    return tuple(parse_schedule(json.loads(gzip.decompress((upstream_dir / RECORDING).read_bytes()))))
