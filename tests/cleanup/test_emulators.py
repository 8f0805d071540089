"""Cleanup against the emulators: real files in fake-gcs-server, real rows in the BigQuery emulator, real
notifications on the Pub/Sub emulator. Each fault of the issue has its outcome here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.cleanup.reconcile import REASON_NOT_NOTIFIED, REASON_NOT_PROCESSED
from shared.cleanup.service import run_cleanup
from shared.config import get_config
from shared.contracts import Tick
from shared.runtime import Runtime
from tests.cleanup.conftest import (
    box_name,
    completions,
    config_with,
    log_row,
    no_completion,
    ops_rows,
    put,
    recovery_rows,
    scraper_meta,
)

pytestmark = pytest.mark.emulators
M = timedelta(minutes=1)


def datetime_now() -> datetime:
    """Test setup only: file names are made for the machine's clock, which stamps the objects."""
    return datetime.now(UTC).replace(microsecond=0)


def run(rt, as_of, cfg=None, **tick):
    return run_cleanup(rt, cfg or get_config(), Tick(as_of=as_of, **tick))


# ---- a scraper crash between the GCS write and the notification ------------------------------------------


@pytest.fixture
def replay(upstream_dir, monkeypatch):
    """The real scrapers framework's HTTP routed to the replay server of the real recordings."""
    from tests.replay import Replay, add_recordings, upstream_to

    rp = Replay().start()
    add_recordings(rp, upstream_dir)
    with upstream_to(rp, monkeypatch, BALLDONTLIE_API_KEY="bdl-test-key-cleanup-1"):
        yield rp
    rp.stop()


class Crash(RuntimeError):
    pass


def test_a_scraper_crash_after_the_gcs_write_is_republished_on_the_next_run_once(rt, replay, monkeypatch):
    from shared.adapters import gcs
    from shared.contracts import ScraperRequest
    from shared.scrapers import service

    def crash(*args, **kwargs):
        raise Crash("scraper process killed before publishing its completion")

    as_of = datetime_now()
    req = ScraperRequest.create(
        "bdl_active_players", {}, scope="cleanup-test", as_of=as_of, workflow="morning_operations", source="CONTROLLER"
    )
    monkeypatch.setattr(service.pubsub, "publish", crash)
    with pytest.raises(Crash):
        service.execute(rt, req)
    monkeypatch.undo()
    (name,) = [n for n, _, _ in gcs.list_objects(rt, "ball-dont-lie/")]
    meta = gcs.get_metadata(rt, name)
    created = as_of  # the file belongs to its run's logical time (metadata triggered_at)
    assert recovery_rows(rt) == [] and no_completion(rt, 0.3)

    first = run(rt, created + 31 * M)
    assert (first["missing_files_found"], first["republished_count"], first["files_checked"]) == (1, 1, 1)
    (note,) = completions(rt)
    body = note["body"]
    assert body["gcs_path"] == f"gs://{rt.bucket}/{name}" and body["scraper_name"] == "bdl_active_players"
    assert body["recovery"] is True and body["recovery_reason"] == REASON_NOT_NOTIFIED
    assert body["original_execution_id"] == meta["execution_id"]
    assert body["original_triggered_at"] == as_of.isoformat().replace("+00:00", "Z")
    assert body["workflow"] == "morning_operations" and note["attributes"]["recovery"] == "true"
    (row,) = recovery_rows(rt)
    assert row["gcs_path"] == body["gcs_path"] and row["recovery"] is True
    assert row["execution_id"] == body["execution_id"] != meta["execution_id"]
    assert row["notification_message_id"]
    (op,) = ops_rows(rt)
    assert (op["files_checked"], op["missing_files_found"], op["republished_count"]) == (1, 1, 1)
    assert op["missing_files"][0]["republished"] is True and op["missing_files"][0]["age_minutes"] == 31
    assert op["errors"] == [] and op["dry_run"] is False

    # The next runs (the file is still in their windows) see the RECOVERY row: nothing is republished again.
    for minutes in (46, 59):
        again = run(rt, created + minutes * M)
        assert (again["files_checked"], again["missing_files_found"], again["republished_count"]) == (1, 0, 0)
    assert no_completion(rt) and len(recovery_rows(rt)) == 1

    # A redelivered tick is the same run: nothing is done twice.
    dup = run(rt, created + 31 * M)
    assert dup["status"] == "duplicate" and no_completion(rt, 0.3) and len(ops_rows(rt)) == 3


def test_a_notified_file_is_left_alone_whatever_form_its_ledger_path_takes(rt):
    now = datetime_now()
    a, b, c = (box_name(now + timedelta(seconds=i)) for i in range(3))
    t = min(put(rt, n, scraper_meta("bdl_box_scores", f"e{i}", now)) for i, n in enumerate((a, b, c)))
    log_row(rt, a, "e0", t, notified=True)  # gs://bucket/name, as the scrapers framework writes it
    log_row(rt, b, "e1", t, notified=True, uri=False)  # a plain object name
    log_row(rt, c, "e2", t, notified=False)  # logged, but the notification was never published
    result = run(rt, t + 31 * M)
    assert result["files_checked"] == 3
    assert [m["gcs_path"] for m in result["missing_files"]] == [c]


# ---- age, window, downtime -------------------------------------------------------------------------------


def test_a_file_younger_than_the_minimum_age_is_left_alone(rt):
    name = box_name(datetime_now())
    created = put(rt, name, scraper_meta("bdl_box_scores", "e1", datetime_now()))
    result = run(rt, created + 29 * M)
    assert result["too_young"] == 1 and result["files_checked"] == 0 and result["missing_files_found"] == 0
    assert no_completion(rt) and recovery_rows(rt) == []
    later = run(rt, created + 31 * M)  # once old enough, the next run takes it
    assert later["missing_files_found"] == 1 and later["missing_files"][0]["gcs_path"] == name
    assert len(completions(rt)) == 1


def test_a_six_hour_downtime_is_caught_up(rt):
    names = [box_name(datetime_now()), box_name(datetime_now() + timedelta(seconds=2))]
    created = [put(rt, n, scraper_meta("bdl_box_scores", f"e{i}", datetime_now())) for i, n in enumerate(names)]
    t0 = min(created)
    # The last successful run before the outage ended its window 5 minutes before the files were written.
    from shared.adapters import bigquery as bq

    bq.insert_rows(
        rt,
        "cleanup_operations",
        [
            {
                "cleanup_id": "before-outage",
                "cleanup_time": t0 + 25 * M,
                "window_start": t0 - 65 * M,
                "window_end": t0 - 5 * M,
                "errors": [],
                "dry_run": False,
                "missing_files": [],
            }
        ],
    )
    now = t0 + timedelta(hours=6)
    result = run(rt, now)
    assert result["window"]["basis"] == "last_success"
    assert result["window"]["start"] == (t0 - 5 * M).isoformat().replace("+00:00", "Z")
    assert result["missing_files_found"] == 2 and result["republished_count"] == 2
    assert sorted(m["gcs_path"] for m in result["missing_files"]) == sorted(names)
    assert all(m["age_minutes"] > 355 for m in result["missing_files"])
    assert len(completions(rt, expect=2)) == 2


# ---- repeated runs and the cool-down ---------------------------------------------------------------------


@pytest.fixture
def processed_table(rt):
    """A raw table of a downstream processor: one row per processed file (`source_file_path`)."""
    from google.cloud import bigquery

    from shared.clients import bigquery_client

    table = bigquery.Table(
        rt.table("raw_box_scores"), schema=[bigquery.SchemaField("source_file_path", "STRING", mode="REQUIRED")]
    )
    bigquery_client(rt.project).create_table(table)
    return "SELECT source_file_path AS gcs_path FROM {dataset}.raw_box_scores"


def test_a_notified_but_unprocessed_file_is_republished_at_most_once_per_cooldown(rt, processed_table):
    from shared.clients import bigquery_client

    done, stuck = box_name(datetime_now()), box_name(datetime_now() + timedelta(seconds=3))
    t = min(put(rt, n, scraper_meta("bdl_box_scores", f"e{i}", datetime_now())) for i, n in enumerate((done, stuck)))
    log_row(rt, done, "e0", t, notified=True)
    log_row(rt, stuck, "e1", t, notified=True)
    raw = bigquery_client(rt.project).insert_rows_json(
        rt.table("raw_box_scores"), [{"source_file_path": f"gs://{rt.bucket}/{done}"}]
    )
    assert raw == []
    cfg = config_with(processed_files_query=processed_table, republish_cooldown_minutes=20)

    first = run(rt, t + 31 * M, cfg)
    assert first["processed_check"] is True and first["files_checked"] == 2
    assert [(m["gcs_path"], m["reason"], m["republished"]) for m in first["missing_files"]] == [
        (stuck, REASON_NOT_PROCESSED, True)
    ]
    assert completions(rt)[0]["body"]["recovery_reason"] == REASON_NOT_PROCESSED

    second = run(rt, t + 41 * M, cfg)  # 10 minutes later: within the cool-down
    (m,) = second["missing_files"]
    assert (m["republished"], m["skip_reason"], second["cooldown_skipped"]) == (False, "cooldown", 1)
    assert no_completion(rt)

    third = run(rt, t + 52 * M, cfg)  # 21 minutes after the republish: the cool-down has passed
    assert third["republished_count"] == 1 and len(completions(rt)) == 1
    assert len(recovery_rows(rt)) == 2


# ---- foreign files, files without metadata, companions ----------------------------------------------------


def test_a_foreign_file_is_counted_and_left_alone_and_the_bucket_is_never_listed_whole(rt):
    now = datetime_now()
    day = box_name(now).rsplit("/", 1)[0]
    t = put(rt, f"{day}/notes.txt")  # under a listed prefix, matches no template
    put(rt, "exports/manual/2099-01-01.json")  # under no catalogue prefix: never listed
    put(rt, f"_nba-orch/requests/{'a' * 32}.json")  # the scrapers' claims
    result = run(rt, t + 31 * M)
    assert (result["files_listed"], result["foreign_files"], result["missing_files_found"]) == (1, 1, 0)
    assert result["foreign_samples"] == [f"{day}/notes.txt"]
    assert no_completion(rt) and recovery_rows(rt) == []


def test_a_file_without_metadata_takes_its_original_execution_from_the_log(rt):
    name = box_name(datetime_now())
    t = put(rt, name)  # written by hand: no metadata
    log_row(rt, name, "orig-exec-1", t - 2 * M, notified=False)  # the run logged, but never notified
    result = run(rt, t + 31 * M)
    (m,) = result["missing_files"]
    assert m["scraper_name"] == "bdl_box_scores" and m["original_execution_id"] == "orig-exec-1"
    body = completions(rt)[0]["body"]
    assert body["original_execution_id"] == "orig-exec-1" and body["workflow"] == "post_game_window_1"


def test_a_pdf_and_its_parsed_json_are_one_notification(rt):
    from shared.timeutil import et_date, utc_stamp

    now = datetime_now()
    stem = f"{et_date(now).isoformat()}/17/{utc_stamp(now)}"
    pdf, data = f"nba-com/injury-report-pdf/{stem}.pdf", f"nba-com/injury-report-data/{stem}.json"
    meta = scraper_meta("nbac_injury_report", "e9", now)
    t = put(rt, pdf, meta)
    put(rt, data, {**meta, "role": "data"})
    result = run(rt, t + 31 * M)
    assert (result["files_checked"], result["companion_files"], result["missing_files_found"]) == (1, 1, 1)
    body = completions(rt)[0]["body"]
    assert body["gcs_path"] == f"gs://{rt.bucket}/{pdf}"
    assert body["metadata"]["extra_paths"] == [f"gs://{rt.bucket}/{data}"]


# ---- bad input and faults ---------------------------------------------------------------------------------


def test_a_dry_run_reports_without_publishing(rt):
    name = box_name(datetime_now())
    t = put(rt, name, scraper_meta("bdl_box_scores", "e1", datetime_now()))
    dry = run(rt, t + 31 * M, dry_run=True)
    assert dry["dry_run"] is True and dry["missing_files_found"] == 1 and dry["republished_count"] == 0
    assert dry["missing_files"][0]["skip_reason"] == "dry_run"
    assert no_completion(rt) and recovery_rows(rt) == []
    (op,) = ops_rows(rt)
    assert op["dry_run"] is True and op["republished_count"] == 0
    live = run(rt, t + 31 * M)  # same as_of, not a dry run: a different run, which republishes
    assert live["status"] == "ok" and live["republished_count"] == 1 and len(completions(rt)) == 1


def test_a_gcs_failure_raises_and_records_nothing(rt):
    broken = Runtime(project=rt.project, dataset=rt.dataset, bucket=rt.bucket + "-missing", topics=rt.topics)
    from google.api_core.exceptions import NotFound

    with pytest.raises(NotFound):
        run(broken, datetime_now() + 31 * M)
    assert ops_rows(rt) == []


def test_a_bigquery_failure_raises(rt):
    broken = Runtime(project=rt.project, dataset=rt.dataset + "_missing", bucket=rt.bucket, topics=rt.topics)
    from google.api_core.exceptions import NotFound

    name = box_name(datetime_now())
    t = put(rt, name, scraper_meta("bdl_box_scores", "e1", datetime_now()))
    with pytest.raises(NotFound, match="Dataset"):
        run(broken, t + 31 * M)
    assert no_completion(rt)


def test_a_failing_processed_files_query_is_logged_and_the_run_goes_on(rt, capsys):
    name = box_name(datetime_now())
    t = put(rt, name, scraper_meta("bdl_box_scores", "e1", datetime_now()))
    cfg = config_with(processed_files_query="SELECT gcs_path FROM")  # broken SQL
    result = run(rt, t + 31 * M, cfg)
    assert result["processed_check"] is False and result["republished_count"] == 1
    assert len(result["errors"]) == 1 and "processed_files_query" in result["errors"][0]
    assert len(completions(rt)) == 1
    assert "processed_files_query failed" in capsys.readouterr().out
    (op,) = ops_rows(rt)
    assert op["errors"] and op["republished_count"] == 1


def test_a_publish_failure_for_one_file_is_recorded_and_the_others_continue(rt):
    from shared.adapters import pubsub

    names = [box_name(datetime_now()), box_name(datetime_now() + timedelta(seconds=5))]
    t = min(put(rt, n, scraper_meta("bdl_box_scores", f"e{i}", datetime_now())) for i, n in enumerate(names))

    def publish_failing_first(rt_, topic_key, messages):
        """The real publish for every message but the first file's, which fails as a lost future would."""
        results = pubsub.publish_each(rt_, topic_key, messages[1:])
        return [RuntimeError("publish future failed: DEADLINE_EXCEEDED"), *results]

    result = run_cleanup(rt, get_config(), Tick(as_of=t + 31 * M), publish=publish_failing_first)
    assert result["missing_files_found"] == 2 and result["republished_count"] == 1
    failed, ok = result["missing_files"]
    assert failed["republished"] is False and "DEADLINE_EXCEEDED" in failed["error"]
    assert ok["republished"] is True and ok["message_id"]
    assert len(result["errors"]) == 1 and failed["gcs_path"] in result["errors"][0]
    assert [n["body"]["gcs_path"] for n in completions(rt)] == [f"gs://{rt.bucket}/{ok['gcs_path']}"]
    assert [r["gcs_path"] for r in recovery_rows(rt)] == [f"gs://{rt.bucket}/{ok['gcs_path']}"]
    # The run had errors, so it is not a success: the next run covers the window again and retries the file.
    retry = run(rt, t + 46 * M)
    assert [m["gcs_path"] for m in retry["missing_files"]] == [failed["gcs_path"]]
    assert retry["republished_count"] == 1 and len(completions(rt)) == 1


def test_five_missing_files_raise_a_warning(rt, capsys):
    now = datetime_now()
    t = min(put(rt, box_name(now + timedelta(seconds=i)), None) for i in range(5))
    result = run(rt, t + 31 * M, dry_run=True)
    assert result["missing_files_found"] == 5
    out = capsys.readouterr().out
    assert '"severity":"WARNING"' in out and "5 files were missing" in out
