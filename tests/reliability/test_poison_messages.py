"""Poison messages through the real functions (functions-framework, push subscriptions with a 1 s retry
backoff and the deployed dead-letter policy of 5 attempts):

- a message that can never be understood (invalid JSON, schema version 2, > 256 KiB, a tick with a bad date)
  is logged as an ERROR once and acknowledged: it is never delivered again (we watch the log for several
  backoff periods);
- an unknown scraper is a valid message asking for something that does not exist: a `failed` row with
  error_type unknown_scraper, a failed completion, acknowledged;
- a message that always makes the function raise (an upstream answering 503 forever) is redelivered until
  max_delivery_attempts, then lands on the dead-letter topic and is not delivered again.
"""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from shared.adapters.pubsub import publish
from tests.functions_harness import FunctionProcess, LogTail, function_env, wait_for, wire
from tests.replay import Reply
from tests.scrapers.conftest import completions, data_objects, pull, request, rows

pytestmark = pytest.mark.emulators

QUIET_SECONDS = 4.0  # > 3 backoff periods of 1 s: a redelivery would have shown up in the log
MAX_ATTEMPTS = 5


def lines_by_message(tail: LogTail, seen: list[dict]) -> Counter:
    seen.extend(tail.read())
    return Counter(line["message_id"] for line in seen if line.get("message_id"))


def test_poison_scraper_requests_are_logged_once_and_acknowledged(rt, scraper_env, tmp_path):
    log_path = tmp_path / "scrapers.log"
    unknown = request("no_such_scraper", {"date": "2024-01-15"})
    huge = request("bdl_box_scores", {"date": "2024-01-15"}).to_json()
    huge["context"] = {"padding": "x" * (300 * 1024)}
    v2 = {**request("bdl_box_scores", {"date": "2024-01-15"}).to_json(), "v": 2}
    bodies = {
        "invalid_json": b'{"scraper_name": "bdl_box_scores", "params": ',
        "schema_v2": json.dumps(v2).encode(),
        "huge": json.dumps(huge).encode(),
        "unknown_scraper": json.dumps(unknown.to_json()).encode(),
    }
    with FunctionProcess("scrapers", env=function_env(rt, **scraper_env), log_path=log_path) as fn:
        wire(rt, fn, "scraper_requests", min_backoff=1, max_backoff=1, max_delivery_attempts=MAX_ATTEMPTS)
        ids = {k: publish(rt, "scraper_requests", body) for k, body in bodies.items()}
        tail, seen = LogTail(log_path), []
        wait_for(lambda: set(ids.values()) <= set(lines_by_message(tail, seen)), 30, "one log line per message")
        time.sleep(QUIET_SECONDS)
        counts = lines_by_message(tail, seen)
    assert {k: counts[i] for k, i in ids.items()} == dict.fromkeys(ids, 1), "a poison message was redelivered"
    by_id = {line["message_id"]: line for line in seen if line.get("message_id")}
    for kind in ("invalid_json", "schema_v2", "huge"):
        line = by_id[ids[kind]]
        assert line["severity"] == "ERROR" and "acknowledged without retry" in line["message"], line
        assert line["error_type"] == "MalformedMessage"
    assert "invalid JSON" in by_id[ids["invalid_json"]]["message"]
    assert "unsupported schema version 2" in by_id[ids["schema_v2"]]["message"]
    assert "exceeds 262144" in by_id[ids["huge"]]["message"]
    # The unknown scraper is a valid message: a failed row + failed completion, acknowledged (not an ERROR of
    # the edge: the outcome is recorded where the audit trail is).
    assert "done" in by_id[ids["unknown_scraper"]]["message"]
    (row,) = rows(rt)
    assert (row["scraper_name"], row["status"], row["error_type"]) == ("no_such_scraper", "failed", "unknown_scraper")
    (note,) = completions(rt, expect=2, timeout=1.0)
    assert note["body"]["status"] == "failed" and note["body"]["execution_id"] == row["execution_id"]
    assert data_objects(rt) == []
    dead = f"projects/{rt.project}/subscriptions/{rt.topic('dead_letter')}-pull"
    assert pull(rt, dead, expect=1, timeout=1.0) == []  # acknowledged, so never dead-lettered


def test_bad_ticks_are_logged_once_and_acknowledged_by_each_tick_function(rt, tmp_path):
    bad = {
        ("schedule_locker", "locker_tick"): {"date": "2025-02-30"},
        ("master_controller", "controller_tick"): {"as_of": "yesterday at noon"},
        ("cleanup", "cleanup_tick"): {"since": "2025-13-01T00:00:00Z"},
    }
    procs = []
    try:
        for target, key in bad:
            fn = FunctionProcess(target, env=function_env(rt), log_path=tmp_path / f"{target}.log").start()
            procs.append(fn)
            wire(rt, fn, key, min_backoff=1, max_backoff=1, max_delivery_attempts=MAX_ATTEMPTS)
        ids = {target: publish(rt, key, json.dumps(body).encode()) for (target, key), body in bad.items()}
        tails = {t: (LogTail(tmp_path / f"{t}.log"), []) for t in ids}

        def all_logged() -> bool:
            return all(lines_by_message(*tails[t])[ids[t]] for t in ids)

        wait_for(all_logged, 30, "one log line per bad tick")
        time.sleep(QUIET_SECONDS)
        counts = {t: lines_by_message(*tails[t])[ids[t]] for t in ids}
    finally:
        for fn in procs:
            fn.stop()
    assert counts == dict.fromkeys(ids, 1), counts
    for target, (_, seen) in tails.items():
        (line,) = [entry for entry in seen if entry.get("message_id") == ids[target]]
        assert line["severity"] == "ERROR" and "acknowledged without retry" in line["message"], line
    # Nothing was decided or locked on a tick that could not be read.
    from shared.adapters.bigquery import query

    for table in ("daily_expected_schedule", "workflow_decisions", "cleanup_operations"):
        assert query(rt, f"SELECT COUNT(*) AS n FROM {{dataset}}.{table}")[0]["n"] == 0, table


def test_a_request_that_always_fails_upstream_is_recorded_by_its_last_delivery(
    rt, scraper_env, replay_server, tmp_path
):
    """An upstream that answers 503 forever: each delivery exhausts its HTTP retries and raises, until the last
    one. The emulator's push body carries no deliveryAttempt (asserted, so a change is noticed), so the
    scraper claim's own delivery count tells the function which delivery is the last: it records one `failed`
    row and completion and acknowledges, so nothing reaches the dead-letter topic."""
    replay_server.add(
        "api.balldontlie.io", "/v1/box_scores", query={"date": "2024-02-02"}, replies=[Reply(503, body="down")]
    )
    log_path = tmp_path / "scrapers.log"
    req = request("bdl_box_scores", {"date": "2024-02-02"})
    dead = f"projects/{rt.project}/subscriptions/{rt.topic('dead_letter')}-pull"
    with FunctionProcess("scrapers", env=function_env(rt, **scraper_env), log_path=log_path) as fn:
        wire(rt, fn, "scraper_requests", min_backoff=1, max_backoff=1, max_delivery_attempts=MAX_ATTEMPTS)
        message_id = publish(rt, "scraper_requests", json.dumps(req.to_json()).encode(), req.attributes())
        (row,) = wait_for(lambda: rows(rt), 90, "the failed row of the last delivery")
        tail, seen = LogTail(log_path), []
        time.sleep(QUIET_SECONDS)
        lines_by_message(tail, seen)
        hits = replay_server.hits("api.balldontlie.io", "/v1/box_scores")
        dead_letters = pull(rt, dead, expect=1, timeout=2.0)
    mine = [e for e in seen if e.get("message_id") == message_id]
    retried = [e for e in mine if "will be retried" in e["message"]]
    assert len(retried) == MAX_ATTEMPTS - 1 and {e.get("delivery_attempt") for e in mine} == {None}
    assert (row["status"], row["error_type"]) == ("failed", "http_503")
    assert hits == MAX_ATTEMPTS * 3  # 3 HTTP attempts per delivery (NBA_ORCH_HTTP_ATTEMPTS)
    assert dead_letters == [] and data_objects(rt) == []
    (note,) = completions(rt, expect=2, timeout=1.0)
    assert note["body"]["status"] == "failed"


def test_a_request_that_always_makes_the_function_raise_is_dead_lettered(rt, scraper_env, tmp_path):
    """Storage unusable (the bucket does not exist): no claim can be taken, every delivery raises, and after
    max_delivery_attempts the message lands on the dead-letter topic with its attributes, then no more."""
    log_path = tmp_path / "scrapers.log"
    req = request("bdl_box_scores", {"date": "2024-02-02"})
    body = json.dumps(req.to_json()).encode()
    dead = f"projects/{rt.project}/subscriptions/{rt.topic('dead_letter')}-pull"
    env = function_env(rt, **scraper_env, NBA_ORCH_BUCKET=rt.bucket + "-gone")
    with FunctionProcess("scrapers", env=env, log_path=log_path) as fn:
        wire(rt, fn, "scraper_requests", min_backoff=1, max_backoff=1, max_delivery_attempts=MAX_ATTEMPTS)
        message_id = publish(rt, "scraper_requests", body, req.attributes())
        (dead_msg,) = pull(rt, dead, expect=1, timeout=60.0)
        tail, seen = LogTail(log_path), []
        at_dead_letter = lines_by_message(tail, seen)[message_id]
        time.sleep(QUIET_SECONDS)
        after = lines_by_message(tail, seen)[message_id]
    assert dead_msg.data == body
    attrs = dict(dead_msg.attributes)
    assert req.attributes().items() <= attrs.items()  # the original attributes, plus the dead-letter ones:
    assert attrs["CloudPubSubDeadLetterSourceDeliveryCount"] == str(MAX_ATTEMPTS)
    failed = [e for e in seen if e.get("message_id") == message_id]
    assert at_dead_letter == after == MAX_ATTEMPTS, failed
    assert all(e["severity"] == "ERROR" and "will be retried" in e["message"] for e in failed)
    assert rows(rt) == [] and completions(rt, expect=1, timeout=0.5) == []
