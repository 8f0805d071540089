"""Each fault has a defined outcome, through the real pipeline (replay server + emulators):
bad requests and permanent upstream failures are `failed` rows (acknowledged), transient ones raise for
redelivery until the last attempt, duplicates and crashes never produce a second file, row or notification,
and no secret reaches any output."""

from __future__ import annotations

import json
import threading

import pytest

from shared import run_ledger
from shared.adapters import gcs
from shared.config import get_config
from shared.scrapers import claims, core, service
from shared.scrapers.errors import InProgress, TransientFailure
from tests.replay import Reply
from tests.scrapers.conftest import (
    BDL_KEY,
    ODDS_KEY,
    completions,
    data_objects,
    follow_up_messages,
    request,
    rows,
    run_records,
)

pytestmark = pytest.mark.emulators
API = "api.balldontlie.io"
BOX = request("bdl_box_scores", {"date": "2024-01-15"})
BOX_FILE = "ball-dont-lie/boxscores/2024-01-15/20240125_040000.json"


def only_row(rt) -> dict:
    found = rows(rt)
    assert len(found) == 1, found
    return found[0]


def no_more_completions(rt) -> bool:
    return completions(rt, expect=1, timeout=0.7) == []


# ---- bad requests ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "error_type"),
    [
        ("oddsa_game_lines", {"event_id": "../../etc", "date": "2024-01-24"}, "unsafe_parameter"),
        ("bdl_box_scores", {}, "missing_parameter"),
        ("bdl_box_scores", {"date": "15/01/2024"}, "unsafe_parameter"),
        ("bdl_standings", {"season": "twenty"}, "invalid_parameter"),
        ("no_such_scraper", {"date": "2024-01-15"}, "unknown_scraper"),
    ],
)
def test_bad_request_is_a_failed_row_and_acknowledged(srt, replay, name, params, error_type):
    outcome = service.execute(srt, request(name, params))  # returns: the message is acknowledged
    assert (outcome.status, outcome.error_type) == ("failed", error_type)
    assert replay.seen == [] and data_objects(srt) == []  # nothing fetched, nothing written
    row = only_row(srt)
    assert (row["status"], row["error_type"], row["scraper_name"]) == ("failed", error_type, name)
    assert row["error_message"] and len(row["error_message"]) <= 1000
    (note,) = completions(srt)
    assert note["body"]["status"] == "failed" and note["body"]["gcs_path"] is None


# ---- permanent upstream failures -------------------------------------------------------------------------


def test_404_is_failed_and_not_retried(srt, replay):
    replay.add(API, "/v1/standings", query={"season": "2023"}, status=404, body='{"error":"Not Found"}')
    outcome = service.execute(srt, request("bdl_standings", {"season": "2023"}))
    assert (outcome.status, outcome.error_type) == ("failed", "http_404")
    assert replay.hits(API, "/v1/standings") == 1 and data_objects(srt) == []
    row = only_row(srt)
    assert row["error_type"] == "http_404" and "404" in row["error_message"]


def test_truncated_json_is_a_parse_error_and_nothing_is_stored(srt, replay, upstream_dir):
    rec = upstream_dir / "balldontlie/box_scores_2024-01-15.json"
    replay.add(API, "/v1/box_scores", query={"date": "2024-01-15"}, file=rec, truncate=20_000)
    outcome = service.execute(srt, BOX)
    assert (outcome.status, outcome.error_type) == ("failed", "parse_error")
    assert "truncated" in outcome.error_message and data_objects(srt) == []
    assert only_row(srt)["error_type"] == "parse_error"


def test_a_recording_with_a_missing_key_fails_naming_it(srt, replay, upstream_dir):
    def drop_visitor(raw: bytes) -> bytes:
        doc = json.loads(raw)
        del doc["data"][0]["visitor_team"]
        return json.dumps(doc).encode()

    rec = upstream_dir / "balldontlie/box_scores_2024-01-15.json"
    replay.add(API, "/v1/box_scores", query={"date": "2024-01-15"}, file=rec, transform=drop_visitor)
    outcome = service.execute(srt, BOX)
    assert (outcome.status, outcome.error_type) == ("failed", "parse_error")
    assert "visitor_team" in outcome.error_message
    assert only_row(srt)["status"] == "failed"


# ---- transient upstream failures -------------------------------------------------------------------------


def test_429_with_retry_after_then_success(srt, replay, upstream_dir):
    rec = upstream_dir / "balldontlie/box_scores_2024-01-15.json"
    replies = [Reply(429, body='{"error":"rate"}', headers={"Retry-After": "3"}), Reply(file=rec)]
    replay.add(API, "/v1/box_scores", query={"date": "2024-01-15"}, replies=replies)
    outcome = service.execute(srt, BOX)
    assert (outcome.status, outcome.record_count, outcome.retry_count) == ("success", 11, 1)
    row = only_row(srt)
    assert row["retry_count"] == 1 and row["data_summary"]["http"]["retry_waits"] == [3.0]
    assert gcs.read_object(srt, BOX_FILE) == rec.read_bytes()


def test_500_three_times_raises_for_redelivery_then_the_last_attempt_records_it(srt, replay):
    replay.add(API, "/v1/box_scores", query={"date": "2024-01-15"}, status=500, body="boom")
    with pytest.raises(TransientFailure) as exc:
        service.execute(srt, BOX, delivery_attempt=1)
    assert exc.value.error_type == "http_500" and replay.hits(API, "/v1/box_scores") == 3
    assert rows(srt) == [] and data_objects(srt) == [] and no_more_completions(srt)
    # The claim was released: the redelivery runs at once; being the last attempt, it records the failure.
    outcome = service.execute(srt, BOX, final_attempt=True, delivery_attempt=5)
    assert (outcome.status, outcome.error_type, outcome.retry_count) == ("failed", "http_500", 2)
    assert replay.hits(API, "/v1/box_scores") == 6
    row = only_row(srt)
    assert row["error_type"] == "http_500" and row["opts"]["delivery_attempt"] == 5
    assert "last delivery attempt" in row["error_message"]
    (note,) = completions(srt)
    assert note["body"]["status"] == "failed"


def test_a_timeout_on_the_last_attempt_is_recorded(srt, replay, monkeypatch):
    monkeypatch.setenv("NBA_ORCH_HTTP_TIMEOUT", "0.2")
    replay.add(API, "/v1/box_scores", query={"date": "2024-01-15"}, delay=1.0, body='{"data":[]}')
    with pytest.raises(TransientFailure):
        service.execute(srt, BOX)
    outcome = service.execute(srt, BOX, final_attempt=True)
    assert (outcome.status, outcome.error_type) == ("failed", "timeout")
    assert only_row(srt)["error_type"] == "timeout"


# ---- duplicates ------------------------------------------------------------------------------------------


def test_duplicate_delivery_does_nothing_twice(srt, replay):
    first = service.execute(srt, BOX)
    again = service.execute(srt, BOX)
    assert (first.duplicate, again.duplicate) == (False, True)
    assert again.to_json() | {"duplicate": False} == first.to_json()
    assert replay.hits(API) == 1 and data_objects(srt) == [BOX_FILE]
    (row,) = rows(srt)
    assert len(completions(srt, expect=2, timeout=0.7)) == 1
    # one run record, the same run as the row (what the controller reads instead of the log)
    (record,) = run_records(srt)
    assert record == {**run_ledger.record_of(row), "triggered_at": row["triggered_at"]}
    assert record["execution_id"] == first.execution_id and record["data_summary"]["record_count"] == 11


def test_a_crash_while_filing_the_run_is_resumed_without_a_second_notification(srt, replay, monkeypatch):
    crash_once(monkeypatch, service.run_ledger, "write")
    with pytest.raises(Crash):
        service.execute(srt, BOX)
    assert run_records(srt) == [] and rows(srt) == []  # the row is written after the record
    outcome = service.execute(srt, BOX)
    assert outcome.status == "success" and replay.hits(API) == 1
    assert [r["execution_id"] for r in run_records(srt)] == [outcome.execution_id] and len(rows(srt)) == 1
    assert len(completions(srt, expect=2, timeout=0.7)) == 1


def test_concurrent_duplicates_one_runs_the_other_backs_off(srt, replay, upstream_dir):
    rec = upstream_dir / "balldontlie/box_scores_2024-01-15.json"
    replay.add(API, "/v1/box_scores", query={"date": "2024-01-15"}, file=rec, delay=0.5)
    results: list = []

    def deliver() -> None:
        try:
            results.append(service.execute(srt, BOX))
        except InProgress as exc:
            results.append(exc)

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(type(r).__name__ for r in results) == ["InProgress", "Outcome"]
    assert replay.hits(API) == 1 and data_objects(srt) == [BOX_FILE] and len(rows(srt)) == 1
    assert service.execute(srt, BOX).duplicate  # the redelivery after it finished


def test_the_last_attempt_takes_over_a_claim_left_by_a_crashed_delivery(srt, replay):
    from datetime import UTC, datetime

    claims.acquire(
        srt,
        request_id=BOX.request_id,
        scraper_name=BOX.scraper_name,
        execution_id=core.execution_id(BOX.request_id),
        owner="crashed",
        now=datetime.now(UTC),
        lease_seconds=get_config().leases.scraper_request_seconds,
    )
    with pytest.raises(InProgress):
        service.execute(srt, BOX)
    outcome = service.execute(srt, BOX, final_attempt=True)
    assert outcome.status == "success" and len(rows(srt)) == 1
    state, _ = claims.read(srt, BOX.request_id)
    assert state["stage"] == "done" and state["deliveries"] == 2


# ---- crash points: the redelivery completes what is left, without refetching or duplicating -------------


class Crash(RuntimeError):
    pass


def crash_once(monkeypatch, target, attr, when=lambda *args, **kwargs: True):
    """Make `target.attr` raise the first time it is called with arguments matching `when`."""
    real = getattr(target, attr)
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        if when(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] == 1:
                raise Crash(f"{attr} crashed")
        return real(*args, **kwargs)

    monkeypatch.setattr(target, attr, flaky)


def test_crash_after_the_gcs_write_resumes_from_the_stored_file(srt, replay, monkeypatch):
    crash_once(monkeypatch, service.pubsub, "publish")  # the completion publish fails once
    with pytest.raises(Crash):
        service.execute(srt, BOX)
    assert data_objects(srt) == [BOX_FILE] and rows(srt) == []
    outcome = service.execute(srt, BOX)
    assert outcome.status == "success" and outcome.record_count == 11
    assert replay.hits(API) == 1  # not fetched again: the answer was rebuilt from the file
    assert data_objects(srt) == [BOX_FILE] and len(rows(srt)) == 1
    assert len(completions(srt, expect=2, timeout=0.7)) == 1


def test_crash_after_the_notification_inserts_the_row_only(srt, replay, monkeypatch):
    crash_once(monkeypatch, service.bq, "insert_rows")
    with pytest.raises(Crash):
        service.execute(srt, BOX)
    (note,) = completions(srt)
    outcome = service.execute(srt, BOX)
    row = only_row(srt)
    assert row["notification_message_id"] == note["message_id"] == outcome.notification_message_id
    assert replay.hits(API) == 1 and no_more_completions(srt)


def test_crash_while_publishing_follow_ups_resumes_without_a_second_notification(srt, replay, monkeypatch):
    # The follow-ups publish fails once (the completion goes through the same function, to another topic).
    crash_once(monkeypatch, service.pubsub, "publish_many", lambda rt, topic, msgs: topic == "scraper_requests")
    req = request("oddsa_events", {"date": "2024-01-24"})
    with pytest.raises(Crash):
        service.execute(srt, req)
    assert rows(srt) == []  # follow-ups go out before the (audit) row
    outcome = service.execute(srt, req)  # claim at `notified`: row inserted, follow-ups republished
    assert outcome.status == "success" and len(rows(srt)) == 1
    assert len(completions(srt, expect=2, timeout=0.7)) == 1
    assert sorted(m["request_id"] for m in follow_up_messages(srt, expect=6)) == sorted(
        f.request_id for f in outcome.follow_ups
    )
    assert replay.hits("api.the-odds-api.com") == 1


def test_crash_after_the_row_republishes_follow_ups_only(srt, replay, monkeypatch):
    crash_once(monkeypatch, service.bq, "insert_rows")
    req = request("oddsa_events", {"date": "2024-01-24"})
    with pytest.raises(Crash):
        service.execute(srt, req)
    first = follow_up_messages(srt, expect=6)
    outcome = service.execute(srt, req)
    assert outcome.status == "success" and len(rows(srt)) == 1
    assert len(completions(srt, expect=2, timeout=0.7)) == 1
    again = follow_up_messages(srt, expect=6)  # same ids: the scrapers treat them as duplicates
    assert sorted(m["request_id"] for m in first) == sorted(m["request_id"] for m in again)


def test_crash_during_the_write_refetches_but_stores_one_file(srt, replay, monkeypatch):
    crash_once(monkeypatch, service.gcs, "create_object")
    with pytest.raises(Crash):
        service.execute(srt, BOX)
    assert data_objects(srt) == []
    outcome = service.execute(srt, BOX)
    assert outcome.status == "success" and replay.hits(API) == 2  # nothing was stored: fetched again
    assert data_objects(srt) == [BOX_FILE] and len(rows(srt)) == 1


def test_a_file_written_by_another_request_is_never_overwritten(srt, replay):
    other = request("bdl_box_scores", {"date": "2024-01-15"}, scope="another-decision")
    assert service.execute(srt, other).status == "success"
    outcome = service.execute(srt, BOX)  # same logical time and parameters, different request
    assert (outcome.status, outcome.error_type) == ("failed", "path_conflict")
    assert gcs.get_metadata(srt, BOX_FILE)["request_id"] == other.request_id


# ---- secrets ---------------------------------------------------------------------------------------------


def test_no_secret_in_any_file_row_message_path_or_log(srt, replay, capsys, monkeypatch):
    from shared.adapters.gcs import bucket

    replay.add("api.the-odds-api.com", "/v4/sports/basketball_nba/events/deadbeef0000/odds", status=404, body="gone")
    replay.add(API, "/v1/standings", query={"season": "2023"}, status=503, body="down")
    service.execute(srt, request("oddsa_events", {"date": "2024-01-24"}))
    service.execute(srt, request("oddsa_game_lines", {"event_id": "deadbeef0000", "date": "2024-01-24"}))
    service.execute(srt, BOX)
    service.execute(srt, request("bdl_standings", {"season": "2023"}), final_attempt=True)
    with pytest.raises(TransientFailure) as exc:
        service.execute(srt, request("bdl_standings", {"season": "2023"}, scope="again"))
    assert replay.seen[0].query["apiKey"] == ODDS_KEY  # the key was used...

    everything = [str(exc.value), capsys.readouterr().out]
    for blob in bucket(srt).client.list_blobs(srt.bucket):
        everything += [blob.name, json.dumps(blob.metadata or {}), blob.download_as_bytes().decode(errors="replace")]
    everything.append(json.dumps(rows(srt), default=str))
    everything += [json.dumps(n) for n in completions(srt, expect=4)]
    everything += [json.dumps(m) for m in follow_up_messages(srt, expect=6)]
    assert len(rows(srt)) == 4
    text = "\n".join(everything)
    assert ODDS_KEY not in text and BDL_KEY not in text  # ...and is nowhere in what the runs left


def test_a_reused_request_id_asking_for_something_else_is_refused(srt, replay, capsys):
    """The claim records a digest of (scraper, parameters): a different request with a used id is refused as
    request_id_conflict (logged, acknowledged by the edge), and the first request's outcome is never returned
    for it. Its own redelivery is still a duplicate."""
    import dataclasses

    from shared.errors import PermanentError
    from shared.scrapers.errors import RequestIdConflict

    first = service.execute(srt, BOX)
    other = dataclasses.replace(BOX, params={**BOX.params, "date": "2024-01-16"})  # same request_id
    assert other.request_id == BOX.request_id
    with pytest.raises(RequestIdConflict) as info:
        service.execute(srt, other)
    assert isinstance(info.value, PermanentError) and "already used by another request" in str(info.value)
    assert service.execute(srt, BOX).duplicate and len(rows(srt)) == 1
    assert replay.hits(API) == 1 and first.status == "success"


def test_without_a_delivery_attempt_the_claims_count_finds_the_last_delivery(srt, replay):
    """An envelope without `deliveryAttempt` (not in Google's published schema): the claim counts the deliveries
    that reached it, and the configured last one records the failure instead of raising again."""
    replay.add(API, "/v1/box_scores", query={"date": "2024-01-15"}, status=503, body="down")
    attempts = get_config().pubsub.max_delivery_attempts
    for _ in range(attempts - 1):
        with pytest.raises(TransientFailure):
            service.execute(srt, BOX)
    assert rows(srt) == []
    outcome = service.execute(srt, BOX)
    assert (outcome.status, outcome.error_type) == ("failed", "http_503")
    assert only_row(srt)["error_type"] == "http_503"
    state, _ = claims.read(srt, BOX.request_id)
    assert state["deliveries"] == attempts
