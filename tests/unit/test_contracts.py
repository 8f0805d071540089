"""Message contracts: the one CloudEvent decoder, ticks, requests and completions, valid and malformed."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from cloudevents.http import CloudEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contracts import (
    MAX_AS_OF_AHEAD,
    MAX_PAYLOAD_BYTES,
    MalformedMessage,
    PubSubMessage,
    ScraperCompletion,
    ScraperRequest,
    decode_completion,
    decode_event,
    decode_scraper_request,
    decode_tick,
    inherit_context,
)
from shared.limits import MAX_CONTEXT_BYTES

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


# ---- hostile messages (issue 17): each is MalformedMessage, never another exception --------------------

_PUBLISHED = datetime(2025, 1, 15, 18, 0, tzinfo=UTC)


def _msg(body: bytes | dict) -> PubSubMessage:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return PubSubMessage(data=data, attributes={}, message_id="m1", publish_time=_PUBLISHED)


def _event(message: dict) -> dict:
    return {"message": {"data": base64.b64encode(b"{}").decode(), "messageId": "1", **message}}


@pytest.mark.parametrize("decode", [decode_tick, decode_scraper_request])
def test_deeply_nested_json_is_malformed(decode):
    with pytest.raises(MalformedMessage, match="nested too deeply"):
        decode(_msg(b"[" * 100_000 + b"]" * 100_000))


def test_deeply_nested_event_data_is_malformed():
    with pytest.raises(MalformedMessage):
        decode_event({"data": b"[" * 100_000})


@pytest.mark.parametrize(
    "as_of", ["0001-01-01T00:30:00+01:00", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-01:00", "1960-01-01T00:00Z"]
)
def test_instants_out_of_range_are_malformed(as_of):
    with pytest.raises(MalformedMessage, match="out of range|outside the years"):
        decode_tick(_msg({"as_of": as_of}))


def test_publish_time_out_of_range_is_malformed_before_anything_else():
    with pytest.raises(MalformedMessage, match="publishTime"):
        decode_event(_event({"publishTime": "0001-01-01T00:30:00+01:00"}))


def test_a_tick_cannot_act_for_the_future_unless_forced():
    ahead = _PUBLISHED + MAX_AS_OF_AHEAD + timedelta(minutes=1)
    with pytest.raises(MalformedMessage, match="cannot act for the future"):
        decode_tick(_msg({"as_of": ahead.isoformat()}))
    assert decode_tick(_msg({"as_of": ahead.isoformat(), "force": True})).as_of == ahead
    assert decode_tick(_msg({"as_of": (_PUBLISHED + MAX_AS_OF_AHEAD).isoformat()})).as_of  # clock skew: fine
    assert decode_tick(_msg({"as_of": "2020-01-01T00:00:00Z"})).as_of.year == 2020  # the past: replays


def _request(**fields) -> dict:
    return {"scraper_name": "bdl_box_scores", "params": {"date": "2024-01-15"}, **fields}


@pytest.mark.parametrize(
    "fields",
    [
        {"scraper_name": "x" * 65},
        {"scraper_name": "Bad-Name"},
        {"workflow": "w" * 201},
        {"workflow": "line\nbreak"},
        {"triggered_by": "t\x00"},
        {"decision_id": 7},
        {"context": {"padding": "x" * MAX_CONTEXT_BYTES}},
    ],
)
def test_unbounded_free_text_is_malformed(fields):
    with pytest.raises(MalformedMessage):
        decode_scraper_request(_msg(_request(**fields)))


def test_event_attributes_over_pubsub_limits_are_malformed():
    with pytest.raises(MalformedMessage, match="attributes"):
        decode_event(_event({"publishTime": "2025-01-15T18:00:00Z", "attributes": {"a": "x" * 1025}}))


def test_a_follow_up_never_inherits_a_context_over_the_cap():
    parent = {"decision_id": "d", "big": "x" * (MAX_CONTEXT_BYTES - 100), "other": "y" * 50}
    child = inherit_context(parent, parent_request_id="r" * 32, parent_scraper="oddsa_events")
    assert len(json.dumps(child, separators=(",", ":")).encode()) <= MAX_CONTEXT_BYTES
    assert child["context_dropped"] == ["big"] and child["decision_id"] == "d" and child["parent_request_id"]
    small = inherit_context({"decision_id": "d"}, parent_request_id="r")
    assert small == {"decision_id": "d", "parent_request_id": "r"}


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)
_fields = st.sampled_from(
    [
        "as_of",
        "date",
        "force",
        "dry_run",
        "since",
        "scraper_name",
        "params",
        "request_id",
        "workflow",
        "source",
        "triggered_by",
        "decision_id",
        "context",
        "v",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(_fields, _json_values, max_size=6))
def test_decoders_answer_any_json_with_a_value_or_malformed_message(obj):
    for decode in (decode_tick, decode_scraper_request):
        try:
            decode(_msg(json.dumps(obj).encode()))
        except MalformedMessage:
            pass
