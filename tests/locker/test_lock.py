"""Lock semantics against the emulators (BigQuery, GCS): first run writes, a second run changes nothing, force
replaces atomically, concurrent duplicates end with one set of rows, an interrupted lock is finished, and
each fault has its outcome (bad input: PermanentError; a missing dependency: any other exception)."""

from __future__ import annotations

import dataclasses
import gzip
import json
import threading
from datetime import date, timedelta

import pytest

from shared.errors import PermanentError
from shared.locker import service as locker
from shared.locker.service import LockRequest, lock_schedule
from tests.locker.conftest import AS_OF, STAMP, seed_schedule, table_rows

pytestmark = pytest.mark.emulators
D = date(2025, 1, 15)


def no_scrape(*args):
    raise AssertionError("the scraper must not run here")


def lock(rt, cfg, as_of=AS_OF, **kw):
    kw.setdefault("scrape", no_scrape)
    scrape = kw.pop("scrape")
    return lock_schedule(rt, cfg, LockRequest(as_of, **kw), scrape=scrape)


def without_betting_lines(cfg):
    wf = dataclasses.replace(cfg.workflows["betting_lines"], enabled=False)
    return dataclasses.replace(cfg, workflows={**cfg.workflows, "betting_lines": wf})


def by_time(rows):
    return sorted(rows, key=lambda r: (r["expected_run_time"], r["workflow_name"]))


def comparable(rows):
    """Table rows in the plan's JSON form, ordered by (time, workflow) like `by_time`."""
    out = []
    for r in rows:
        r = dict(r)
        r["date"] = r["date"].isoformat()
        for k in ("locked_at", "expected_run_time"):
            r[k] = r[k].isoformat().replace("+00:00", "Z")
        out.append(r)
    return out


def test_first_lock_writes_the_rows_and_the_claim(rt, cfg, schedule_gz):
    seed_schedule(rt, schedule_gz)
    result = lock(rt, cfg)
    s = result.summary()
    assert s | {"schedule_version": None} == {
        "status": "locked",
        "date": "2025-01-15",
        "games_scheduled": 11,
        "workflows_evaluated": 8,
        "expected_runs": 46,
        "locked_at": "2025-01-15T10:00:00Z",
        "schedule_version": None,
        "schedule_source": f"nba-com/schedule/2024-25/{STAMP}.json",
        "scraped": False,
    }
    rows = table_rows(rt, "2025-01-15")
    assert comparable(rows) == by_time(result.rows) and len(rows) == 46
    assert {r["schedule_version"] for r in rows} == {s["schedule_version"]}
    claim, _ = locker.read_lock(rt, D)
    assert claim["rows"] == result.rows and claim["locked_at"] == "2025-01-15T10:00:00Z"


def test_second_run_changes_nothing_and_returns_the_existing_lock(rt, cfg, schedule_gz):
    name = seed_schedule(rt, schedule_gz)
    first = lock(rt, cfg)
    # The schedule file is gone and the scraper would fail: a locked day needs neither.
    from shared.adapters.gcs import delete_object

    delete_object(rt, name)
    again = lock(rt, cfg, AS_OF + timedelta(minutes=7))
    assert again.status == "already_locked"
    assert again.summary() | {"status": "locked"} == first.summary()
    assert again.rows == first.rows
    assert comparable(table_rows(rt, "2025-01-15")) == by_time(first.rows)


def test_force_replaces_the_day(rt, cfg, schedule_gz):
    seed_schedule(rt, schedule_gz)
    first = lock(rt, cfg)
    no_betting = without_betting_lines(cfg)
    later = AS_OF + timedelta(hours=2)
    forced = lock(rt, no_betting, later, force=True)
    assert forced.status == "replaced" and forced.summary()["expected_runs"] == 27
    rows = table_rows(rt, "2025-01-15")
    assert comparable(rows) == by_time(forced.rows)
    assert {r["locked_at"].isoformat() for r in rows} == {"2025-01-15T12:00:00+00:00"}
    assert "betting_lines" not in {r["workflow_name"] for r in rows}
    assert forced.schedule_version != first.schedule_version
    # The claim follows, so a later plain run returns the forced lock.
    assert lock(rt, cfg, later + timedelta(hours=1)).summary() | {"status": "replaced"} == forced.summary()


def test_force_never_shows_half_a_day(rt, cfg, schedule_gz):
    """A reader polling while the day is replaced again and again only ever sees one whole set of rows."""
    seed_schedule(rt, schedule_gz)
    lock(rt, cfg)
    no_betting = without_betting_lines(cfg)
    seen: list[dict] = []
    stop = threading.Event()

    def reader():
        while not stop.is_set():
            seen.append(locker.table_state(rt, D))

    t = threading.Thread(target=reader)
    t.start()
    try:
        for i in range(6):
            lock(rt, no_betting if i % 2 == 0 else cfg, AS_OF + timedelta(minutes=i + 1), force=True)
    finally:
        stop.set()
        t.join()
    assert len(seen) >= 6
    for state in seen:
        assert len(state) == 1 and list(state.values())[0] in (27, 46), state
    assert len({tuple(s) for s in seen}) > 1  # the reader did see replacements happen


def test_concurrent_duplicates_produce_one_set_of_rows(rt, cfg, schedule_gz):
    seed_schedule(rt, schedule_gz)
    results, errors = [], []

    def run(i):
        try:
            results.append(lock(rt, cfg, AS_OF + timedelta(seconds=i)))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert [r.status for r in results].count("locked") == 1
    assert len({(r.locked_at, r.schedule_version) for r in results}) == 1  # everyone reports the winner's lock
    state = locker.table_state(rt, D)
    assert state == {(results[0].schedule_version, results[0].locked_at): 46}


def test_an_interrupted_lock_is_finished_with_the_claimed_rows(rt, cfg, games):
    # A locker claimed the day and crashed before writing: the next run writes exactly the claimed rows.
    p = locker.plan(
        cfg, D, games, locked_at=AS_OF, schedule_source="x/20250115_095500.json", generated_by="t", environment="local"
    )
    locker.write_claim(rt, D, locker._claim_body(p, AS_OF, "t"), create_only=True)
    assert table_rows(rt, "2025-01-15") == []
    result = lock(rt, cfg, AS_OF + timedelta(minutes=10))  # no schedule in GCS, and it is not needed
    assert result.status == "completed" and result.rows == p.rows
    assert comparable(table_rows(rt, "2025-01-15")) == by_time(p.rows)


def test_rows_without_a_claim_are_left_alone(rt, cfg, games):
    p = locker.plan(cfg, D, games, locked_at=AS_OF, schedule_source="legacy", generated_by="t", environment="local")
    locker.replace_day(rt, D, p.rows)
    result = lock(rt, cfg, AS_OF + timedelta(hours=1))
    assert result.status == "already_locked" and result.locked_at == "2025-01-15T10:00:00Z"
    assert result.rows == p.rows and locker.read_lock(rt, D) is None


def test_days_are_independent_and_dst_times_are_utc(rt, cfg, schedule_gz):
    seed_schedule(rt, schedule_gz, stamp="20250309_095500")
    as_of = AS_OF.replace(month=3, day=9, hour=9)  # 05:00 EDT
    assert lock(rt, cfg, as_of).status == "locked"
    assert lock(rt, cfg, as_of, date=date(2025, 3, 8)).status == "locked"
    rows = {r["workflow_name"]: r["expected_run_time"].isoformat() for r in table_rows(rt, "2025-03-09")}
    assert rows["morning_operations"] == "2025-03-09T10:00:00+00:00"
    before = {r["workflow_name"]: r["expected_run_time"].isoformat() for r in table_rows(rt, "2025-03-08")}
    assert before["post_game_window_2"] == "2025-03-09T06:00:00+00:00"
    assert before["post_game_window_3"] == "2025-03-09T08:00:00+00:00"


def test_a_day_with_no_expected_runs(rt, cfg, schedule_gz):
    seed_schedule(rt, schedule_gz)
    only_games = dataclasses.replace(
        cfg,
        workflows={
            k: dataclasses.replace(w, enabled=w.decision_type != "self_aware") for k, w in cfg.workflows.items()
        },
    )
    # the All-Star break: no games on the 15th, none the night before either (no recovery)
    result = lock(rt, only_games, date=date(2025, 2, 15))
    assert result.status == "locked" and result.rows == [] and result.summary()["expected_runs"] == 0
    assert lock(rt, only_games, date=date(2025, 2, 15)).status == "already_locked"


# ---------------------------------------------------------------------------------------------------------
# Dry run and bad input: nothing written


def test_dry_run_writes_nothing(rt, cfg, schedule_gz):
    seed_schedule(rt, schedule_gz)
    result = lock(rt, cfg, dry_run=True)
    assert result.status == "dry_run" and len(result.rows) == 46
    assert locker.read_lock(rt, D) is None and table_rows(rt, "2025-01-15") == []


def test_dry_run_uses_a_stale_schedule_instead_of_scraping(rt, cfg, schedule_gz):
    seed_schedule(rt, schedule_gz, stamp="20250110_000000")
    result = lock(rt, cfg, dry_run=True)
    assert result.status == "dry_run" and result.notes and "stale" in result.notes[0]


def test_dry_run_without_any_schedule_is_refused(rt, cfg):
    with pytest.raises(PermanentError, match="a dry run does not scrape"):
        lock(rt, cfg, dry_run=True)


def test_unparseable_schedule_file_is_permanent_and_nothing_is_written(rt, cfg, schedule_gz):
    seed_schedule(rt, b'{"resultSets": []}')
    with pytest.raises(PermanentError, match="not a league schedule|leagueSchedule"):
        lock(rt, cfg)
    seed_schedule(rt, gzip.compress(b"{truncated"), stamp="20250115_095900")
    with pytest.raises(PermanentError, match="20250115_095900.json is not a readable league schedule"):
        lock(rt, cfg)
    assert locker.read_lock(rt, D) is None and table_rows(rt, "2025-01-15") == []


def test_date_too_far_is_permanent(rt, cfg):
    with pytest.raises(PermanentError, match="more than 400 days ahead"):
        lock(rt, cfg, date=date(2027, 1, 1))


@pytest.fixture
def bigquery_not_found(monkeypatch):
    """BigQuery answering every call as real BigQuery answers for a missing dataset (404 notFound).

    The emulator cannot show this fault: it answers queries on missing tables with no rows.
    """
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from shared import clients

    body = json.dumps(
        {
            "error": {
                "code": 404,
                "message": "Not found: Dataset nba-props-local:gone",
                "status": "NOT_FOUND",
                "errors": [{"reason": "notFound", "message": "Not found: Dataset nba-props-local:gone"}],
            }
        }
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self):
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _answer  # noqa: N815

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    monkeypatch.setenv("BIGQUERY_EMULATOR_HOST", f"http://127.0.0.1:{server.server_address[1]}")
    clients.reset()
    yield
    server.shutdown()
    server.server_close()
    monkeypatch.undo()
    clients.reset()


def test_failing_bigquery_raises_for_retry(rt, cfg, schedule_gz, bigquery_not_found):
    from google.api_core.exceptions import NotFound

    seed_schedule(rt, schedule_gz)
    with pytest.raises(NotFound) as info:
        lock(rt, cfg)
    assert not isinstance(info.value, PermanentError)


def test_missing_bucket_raises_for_retry(rt, cfg):
    broken = dataclasses.replace(rt, bucket=rt.bucket + "-missing")
    with pytest.raises(Exception) as info:
        lock(broken, cfg)
    assert not isinstance(info.value, PermanentError)


def test_stored_plain_json_schedule(rt, cfg, schedule_gz):
    seed_schedule(rt, gzip.decompress(schedule_gz))
    result = lock(rt, cfg, dry_run=True)
    assert result.summary()["games_scheduled"] == 11
    assert json.loads(json.dumps(result.summary()))  # JSON-safe summary (it is logged)


def test_publish_time_with_fractional_seconds_round_trips(rt, cfg, schedule_gz):
    """`as_of` usually comes from a publish time with microseconds: the lock must still be recognised."""
    seed_schedule(rt, schedule_gz)
    as_of = AS_OF.replace(second=1, microsecond=123456)
    first = lock(rt, cfg, as_of)
    assert first.locked_at == "2025-01-15T10:00:01.123456Z"
    again = lock(rt, cfg, as_of + timedelta(seconds=30))
    assert again.status == "already_locked" and again.locked_at == first.locked_at
