"""The locker runs the schedule scraper in-process (the real scrapers framework, its real HTTP code against the
replay server serving the real stats.nba.com recording) when no fresh schedule file exists; when the stats API
is blocked (the real Akamai page), it locks the day from the scraper's fallback, the CDN schedule."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta

import pytest

from shared.adapters.bigquery import query
from shared.config import GAME_TYPES, GamesSettings
from shared.errors import PermanentError
from shared.locker import service as locker
from shared.locker.plan import plan
from shared.locker.service import LockRequest, lock_schedule
from shared.nba.schedule import parse_schedule
from tests.conftest import recording
from tests.locker.conftest import AS_OF, seed_schedule, table_rows
from tests.replay import Reply

pytestmark = pytest.mark.emulators
SCHEDULE = ("stats.nba.com", "/stats/scheduleleaguev2int")
CDN_SCHEDULE = ("cdn.nba.com", "/static/json/staticData/scheduleLeagueV2_1.json")
AKAMAI = "nba_officials/error_403_akamai_access_denied_blocked_ua.html"
CDN_RECORDING = "nbacom_cdn/scheduleLeagueV2_1_2025-26_as_of_2025-07-17.json"


def scraper_rows(rt):
    return query(rt, "SELECT scraper_name, status, source, workflow, gcs_path FROM {dataset}.scraper_execution_log")


def test_no_schedule_file_runs_the_scraper_first(rt, cfg, replay):
    result = lock_schedule(rt, cfg, LockRequest(AS_OF))
    assert result.status == "locked" and result.scraped
    assert result.schedule_source == "nba-com/schedule/2024-25/20250115_100000.json"  # stamped with as_of
    assert result.summary()["games_scheduled"] == 11 and len(table_rows(rt, "2025-01-15")) == 46
    assert replay.hits(*SCHEDULE) == 1
    (row,) = scraper_rows(rt)
    assert (row["scraper_name"], row["status"], row["source"]) == ("nbac_schedule_api", "success", "LOCKER")
    assert row["gcs_path"].endswith(result.schedule_source)
    # A redelivered tick finds the day locked: no second upstream call, no second run.
    again = lock_schedule(rt, cfg, LockRequest(AS_OF))
    assert again.status == "already_locked" and replay.hits(*SCHEDULE) == 1 and len(scraper_rows(rt)) == 1


def test_stale_schedule_is_refreshed_and_fresh_one_is_used(rt, cfg, replay, schedule_gz):
    seed_schedule(rt, schedule_gz, stamp="20250114_095959")  # 24 h and 1 s before as_of: stale
    result = lock_schedule(rt, cfg, LockRequest(AS_OF))
    assert result.scraped and replay.hits(*SCHEDULE) == 1
    # The next day, the file just scraped is 24 h old: still fresh, no scrape.
    nxt = lock_schedule(rt, cfg, LockRequest(AS_OF + timedelta(days=1)))
    assert nxt.status == "locked" and not nxt.scraped and nxt.date == date(2025, 1, 16)
    assert nxt.schedule_source == result.schedule_source and replay.hits(*SCHEDULE) == 1


@pytest.mark.parametrize(("delivery_attempt", "final"), [(1, False), (None, False), (5, False), (None, True)])
def test_upstream_down_raises_and_writes_nothing(rt, cfg, replay, delivery_attempt, final):
    from tests.replay import Reply

    replay.add(*SCHEDULE, query={"LeagueID": "00", "Season": "2024-25"}, replies=[Reply(503)])
    with pytest.raises(Exception) as info:
        lock_schedule(rt, cfg, LockRequest(AS_OF, delivery_attempt=delivery_attempt, final_attempt=final))
    assert not isinstance(info.value, PermanentError)  # Pub/Sub redelivers
    assert locker.read_lock(rt, date(2025, 1, 15)) is None and table_rows(rt, "2025-01-15") == []
    rows = scraper_rows(rt)
    if not final and delivery_attempt != 5:  # more deliveries may come: the outage is not recorded yet
        assert type(info.value).__name__ == "TransientFailure" and rows == []
    else:  # the last delivery (max_delivery_attempts 5), or the CLI: the scraper run is logged as failed
        assert isinstance(info.value, locker.ScheduleUnavailable)
        # ... and releases its fallback, run in-process (nbac_schedule_cdn); but the CDN holds the current
        # season only (2025-26 in the recording), which cannot lock a 2024-25 day.
        got = sorted((r["scraper_name"], r["status"], r["source"]) for r in rows)
        assert got == [("nbac_schedule_api", "failed", "LOCKER"), ("nbac_schedule_cdn", "success", "FOLLOW_UP")]
        assert "not a schedule of 2025-01-15's season" in str(info.value)


def test_blocked_stats_api_locks_the_day_from_the_cdn_schedule(rt, cfg, replay, capsys):
    # 2025-10-03 05:00 ET: the 2025-26 CDN recording (captured 2025-07-17) lists two preseason games that day;
    # preseason is scheduled here so the rows depend on the CDN document's games.
    cfg = dataclasses.replace(cfg, games=GamesSettings(include_types=GAME_TYPES))
    as_of = datetime(2025, 10, 3, 9, 0, tzinfo=UTC)
    akamai = Reply(403, body=recording(AKAMAI), content_type="text/html")
    replay.add(*SCHEDULE, query={"LeagueID": "00", "Season": "2025-26"}, replies=[akamai])
    capsys.readouterr()
    result = lock_schedule(rt, cfg, LockRequest(as_of))
    assert (result.status, result.scraped) == ("locked", True)
    assert result.schedule_source == "nba-com/schedule/2025-26/20251003_090000.json"
    games = parse_schedule(json.loads(recording(CDN_RECORDING)))
    expected = plan(
        cfg,
        date(2025, 10, 3),
        games,
        locked_at=as_of,
        schedule_source=result.schedule_source,
        generated_by="schedule_locker",
        environment=rt.environment,
    )
    assert result.games_scheduled == expected.games_scheduled == 2
    assert result.schedule_version == expected.schedule_version
    assert len(table_rows(rt, "2025-10-03")) == len(expected.rows)
    assert replay.hits(*SCHEDULE) == 1 and replay.hits(*CDN_SCHEDULE) == 1
    got = sorted((r["scraper_name"], r["status"], r["source"]) for r in scraper_rows(rt))
    assert got == [("nbac_schedule_api", "failed", "LOCKER"), ("nbac_schedule_cdn", "success", "FOLLOW_UP")]
    logs = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [(e["severity"], e["error_type"]) for e in logs if e.get("scraper_name") == "nbac_schedule_api"] == [
        ("ERROR", "blocked")
    ]
    (note,) = [e for e in logs if e.get("served_by")]
    assert note["severity"] == "WARNING" and note["served_by"] == "nbac_schedule_cdn"
    # A redelivered tick finds the day locked: neither source is called again.
    assert lock_schedule(rt, cfg, LockRequest(as_of)).status == "already_locked"
    assert replay.hits(*SCHEDULE) == 1 and replay.hits(*CDN_SCHEDULE) == 1
