"""Message contracts: the one CloudEvent decoder, ticks, requests and completions, valid and malformed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import pytest
from cloudevents.http import CloudEvent

from shared.contracts import (
    MAX_PAYLOAD_BYTES,
    MalformedMessage,
    ScraperCompletion,
    ScraperRequest,
    decode_completion,
    decode_event,
    decode_scraper_request,
    decode_tick,
)

PUBLISHED = "2025-01-15T18:00:03.123Z"


def event(data: bytes | None, attributes=None, publish_time=PUBLISHED, raw_data=None) -> CloudEvent:
    msg = {"messageId": "m-1", "publishTime": publish_time, "attributes": attributes or {}}
    if data is not None:
        msg["data"] = base64.b64encode(data).decode()
    if raw_data is not None:
        msg["data"] = raw_data
    return CloudEvent(
        {
            "type": "google.cloud.pubsub.topic.v1.messagePublished",
            "source": "//pubsub.googleapis.com/projects/p/topics/t",
        },
        {"message": msg, "subscription": "projects/p/subscriptions/s"},
    )


def test_tick_defaults_to_publish_time():
    tick = decode_tick(decode_event(event(b"")))
    assert tick.as_of == datetime(2025, 1, 15, 18, 0, 3, 123000, tzinfo=UTC)
    assert (tick.date, tick.force, tick.dry_run, tick.message_id) == (None, False, False, "m-1")


def test_tick_with_every_field():
    body = {"v": 1, "as_of": "2025-01-15T10:00:00Z", "date": "2025-01-14", "force": True, "dry_run": True}
    tick = decode_tick(decode_event(event(json.dumps(body).encode())))
    assert tick.as_of == datetime(2025, 1, 15, 10, tzinfo=UTC) and tick.date == date(2025, 1, 14)
    assert tick.force and tick.dry_run
    assert decode_tick(decode_event(event(json.dumps(tick.to_json()).encode()))) == tick


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (b"{not json", "invalid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"date": "2025-13-01"}', "bad date"),
        (b'{"date": "tomorrow"}', "bad date"),
        (b'{"as_of": "2025-01-15T10:00:00"}', "needs a UTC offset"),
        (b'{"force": "yes"}', "force must be true or false"),
        (b'{"v": 2}', "unsupported schema version 2"),
        (b'{"colour": "red"}', "unknown field 'colour'"),
        (b"\xff\xfe", "invalid JSON"),
        (b'{"x": "' + b"a" * MAX_PAYLOAD_BYTES + b'"}', "exceeds"),
    ],
)
def test_malformed_ticks(body, problem):
    with pytest.raises(MalformedMessage, match=problem):
        decode_tick(decode_event(event(body)))


@pytest.mark.parametrize(
    ("ev", "problem"),
    [
        (CloudEvent({"type": "t", "source": "s"}, {"nothing": 1}), "no Pub/Sub 'message'"),
        (event(None, raw_data="%%% not base64"), "not valid base64"),
        (event(b"{}", publish_time="yesterday"), "bad timestamp"),
    ],
)
def test_malformed_envelopes(ev, problem):
    with pytest.raises(MalformedMessage, match=problem):
        decode_event(ev)


def test_scraper_request_round_trip_and_deterministic_id():
    a = ScraperRequest.create(
        "bdl_box_scores",
        {"date": "2025-01-15"},
        scope="d1",
        workflow="post_game_window_1",
        source="CONTROLLER",
        as_of=datetime(2025, 1, 16, 3, tzinfo=UTC),
    )
    b = ScraperRequest.create("bdl_box_scores", {"date": "2025-01-15"}, scope="d1")
    c = ScraperRequest.create("bdl_box_scores", {"date": "2025-01-16"}, scope="d1")
    assert a.request_id == b.request_id != c.request_id
    decoded = decode_scraper_request(decode_event(event(json.dumps(a.to_json()).encode())))
    assert decoded == a


def test_manual_request_without_id_is_keyed_by_content_and_hour():
    body = json.dumps({"scraper_name": "bdl_standings", "params": {"season": 2024}}).encode()
    one = decode_scraper_request(decode_event(event(body)))
    two = decode_scraper_request(decode_event(event(body, publish_time="2025-01-15T18:59:00Z")))
    later = decode_scraper_request(decode_event(event(body, publish_time="2025-01-15T19:00:00Z")))
    assert one.params == {"season": "2024"}
    assert one.request_id == two.request_id != later.request_id


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"params": {}}, "scraper_name is required"),
        ({"scraper_name": "x", "params": ["a"]}, "params must be an object"),
        ({"scraper_name": "x", "params": {"a": {"b": 1}}}, "params must be an object"),
        ({"scraper_name": "x", "source": "SPACE"}, "unknown source"),
        ({"scraper_name": "x", "request_id": "../../etc"}, "request_id must be"),
    ],
)
def test_malformed_requests(body, problem):
    with pytest.raises(MalformedMessage, match=problem):
        decode_scraper_request(decode_event(event(json.dumps(body).encode())))


def test_completion_body_and_attributes():
    c = ScraperCompletion(
        scraper_name="bdl_box_scores",
        execution_id="e1",
        status="success",
        gcs_path="gs://b/ball-dont-lie/boxscores/2025-01-15/x.json",
        record_count=11,
        duration_seconds=1.235,
        timestamp=datetime(2025, 1, 16, 3, tzinfo=UTC),
        workflow="post_game_window_1",
    )
    body = c.to_json()
    assert {
        "name",
        "scraper_name",
        "execution_id",
        "status",
        "gcs_path",
        "record_count",
        "duration_seconds",
        "timestamp",
        "workflow",
        "error_message",
        "metadata",
    } <= set(body)
    assert body["timestamp"] == "2025-01-16T03:00:00Z" and "recovery" not in body
    assert c.attributes() == {
        "scraper_name": "bdl_box_scores",
        "status": "success",
        "execution_id": "e1",
        "workflow": "post_game_window_1",
    }
    assert decode_completion(decode_event(event(c.data()))) == c
    with pytest.raises(MalformedMessage, match="unknown status"):
        decode_completion(decode_event(event(json.dumps({**body, "status": "meh"}).encode())))
    with pytest.raises(MalformedMessage, match="missing field 'execution_id'"):
        decode_completion(decode_event(event(json.dumps({"status": "success", "scraper_name": "x"}).encode())))
