"""The locker runs the schedule scraper in-process (the real scrapers framework, its real HTTP code against the
replay server serving the real stats.nba.com recording) when no fresh schedule file exists."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.adapters.bigquery import query
from shared.errors import PermanentError
from shared.locker import service as locker
from shared.locker.service import LockRequest, lock_schedule
from tests.locker.conftest import AS_OF, seed_schedule, table_rows

pytestmark = pytest.mark.emulators
SCHEDULE = ("stats.nba.com", "/stats/scheduleleaguev2int")


def scraper_rows(rt):
    return query(rt, "SELECT scraper_name, status, source, workflow, gcs_path FROM {dataset}.scraper_execution_log")


def test_no_schedule_file_runs_the_scraper_first(rt, cfg, replay):
    result = lock_schedule(rt, cfg, LockRequest(AS_OF))
    assert result.status == "locked" and result.scraped
    assert result.schedule_source == "nba-com/schedule/2024-25/20250115_100000.json"  # stamped with as_of
    assert result.summary()["games_scheduled"] == 11 and len(table_rows(rt, "2025-01-15")) == 21
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
        assert [(r["status"], r["source"]) for r in rows] == [("failed", "LOCKER")]
