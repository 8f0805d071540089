"""Fixtures for the schedule locker tests: the real 2024-25 schedule recording (read in place), a helper that
stores it in the emulator's GCS under a chosen name, and the replay server for the in-process scraper path."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.config import load_config

RECORDING = "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz"
AS_OF = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)  # 05:00 ET on 2025-01-15: the locker's tick
STAMP = "20250115_095500"  # a schedule file scraped five minutes before


@pytest.fixture(scope="session")
def cfg():
    return load_config()


@pytest.fixture(scope="session")
def recording(upstream_dir) -> Path:
    return upstream_dir / RECORDING


@pytest.fixture(scope="session")
def schedule_gz(recording) -> bytes:
    """The recording as stored (gzip); the locker reads gzip-compressed or plain JSON files alike."""
    return recording.read_bytes()


@pytest.fixture(scope="session")
def games(schedule_gz):
    from shared.nba.schedule import parse_schedule

    return parse_schedule(json.loads(gzip.decompress(schedule_gz)))


def seed_schedule(rt, data: bytes, stamp: str = STAMP, season: str = "2024-25") -> str:
    """Store a schedule file where the schedule scrapers write theirs; returns the object name."""
    from shared.adapters.gcs import bucket

    name = f"nba-com/schedule/{season}/{stamp}.json"
    bucket(rt).blob(name).upload_from_string(data, content_type="application/json")
    return name


def table_rows(rt, d: str) -> list[dict]:
    from shared.adapters.bigquery import query

    return query(
        rt,
        "SELECT * FROM {dataset}.daily_expected_schedule WHERE date = @d ORDER BY expected_run_time, workflow_name",
        {"d": datetime.fromisoformat(d).date()},
    )


@pytest.fixture
def replay(upstream_dir, monkeypatch):
    """The replay server with every recording routed (stats.nba.com answers the real 2024-25 schedule)."""
    from tests.replay import Replay, add_recordings, upstream_to

    rp = Replay().start()
    add_recordings(rp, upstream_dir)
    with upstream_to(rp, monkeypatch, NBA_ORCH_HTTP_TIMEOUT="5"):
        yield rp
    rp.stop()
