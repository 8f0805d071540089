"""shared.log: the JSON line's shape (labels, trace), scrubbing of field values before serialising, and stdlib
records in the same format through one handler; shared.edge binds a delivery's context to every line."""

from __future__ import annotations

import base64
import json
import logging

import pytest
from cloudevents.http import CloudEvent

from shared import edge, log, secrets

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
TRACEPARENT = f"00-{TRACE_ID}-00f067aa0ba902b7-01"


def lines(capsys: pytest.CaptureFixture[str]) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_label_fields_become_cloud_logging_labels_and_stay_in_the_payload(capsys):
    log.info("x", function="scrapers", scraper_name="bdl_box_scores", request_id="r1", count=3, workflow=None)
    (line,) = lines(capsys)
    assert line["severity"] == "INFO" and line["message"] == "x"
    assert line[log.LABELS] == {"function": "scrapers", "scraper_name": "bdl_box_scores", "request_id": "r1"}
    assert line["scraper_name"] == "bdl_box_scores" and line["count"] == 3


def test_trace_fields_from_a_traceparent():
    assert log.trace_fields(TRACEPARENT, "p1") == {
        log.TRACE: f"projects/p1/traces/{TRACE_ID}",
        log.SPAN: "00f067aa0ba902b7",
        log.SAMPLED: True,
    }
    for bad in (None, "", "garbage", f"00-{'0' * 32}-00f067aa0ba902b7-01", f"00-{TRACE_ID}-xyz-01"):
        assert log.trace_fields(bad, "p1") == {}, bad
    assert log.trace_fields(TRACEPARENT, None) == {}


def test_bound_fields_are_on_every_line_inside_the_block_only(capsys):
    with log.bound(function="cleanup", request_id=None, decision_id="d1"):
        log.warning("inside")
        with log.bound(workflow="morning"):
            log.error("nested", decision_id="d2")
    log.info("outside")
    inside, nested, outside = lines(capsys)
    assert inside[log.LABELS] == {"function": "cleanup", "decision_id": "d1"}
    assert nested[log.LABELS] == {"function": "cleanup", "workflow": "morning", "decision_id": "d2"}
    assert log.LABELS not in outside and "function" not in outside


def test_critical_is_logged_at_critical(capsys):
    log.critical("abort", alert_event="opened")
    (line,) = lines(capsys)
    assert line["severity"] == "CRITICAL"


SA_KEY = json.dumps(
    {
        "type": "service_account",
        "private_key_id": "0123456789abcdef",
        "private_key": "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n",
        "client_email": 'someone@p1.iam.gserviceaccount.com "quoted"',
    },
    indent=2,
)


def test_a_secret_with_quotes_and_newlines_is_scrubbed_from_field_values(capsys, monkeypatch):
    monkeypatch.setenv("NBA_ORCH_TEST_SA_KEY", SA_KEY)
    assert secrets.get_secret("NBA_ORCH_TEST_SA_KEY") == SA_KEY.strip()
    private = json.loads(SA_KEY)["private_key"].strip()
    log.error(
        f"failed with {SA_KEY}",
        detail={"key": SA_KEY, "nested": [f"prefix {private} suffix"]},
        error=ValueError(SA_KEY),
        quoted=json.dumps(SA_KEY),  # the key already JSON-escaped once, inside a value
    )
    out = capsys.readouterr().out
    for needle in ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "0123456789abcdef", "BEGIN PRIVATE KEY"):
        assert needle not in out
    line = json.loads(out)
    assert line["detail"] == {"key": "***", "nested": ["prefix *** suffix"]}
    assert line["message"] == "failed with ***" and line["error"] == "***"


def test_credential_looking_query_parameters_are_scrubbed(capsys):
    log.info("fetch", url="https://api.example.com/v1?apiKey=abc123&date=2025-01-01")
    assert lines(capsys)[0]["url"] == "https://api.example.com/v1?apiKey=***&date=2025-01-01"


def test_stdlib_records_come_out_in_the_same_format_through_one_handler(capsys, monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [h for h in root.handlers if not isinstance(h, log.JsonHandler)])
    first, second = log.install(), log.install()
    assert first is second and sum(isinstance(h, log.JsonHandler) for h in root.handlers) == 1
    monkeypatch.setenv("NBA_ORCH_TEST_TOKEN", "tok-SECRET-42")
    secrets.get_secret("NBA_ORCH_TEST_TOKEN")
    with log.bound(function="scrapers"):
        logging.getLogger("nba_orch_test.library").warning("retrying with %s", "tok-SECRET-42")
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            logging.getLogger("nba_orch_test.other").exception("upload failed")
    warn, exc = lines(capsys)
    assert warn["severity"] == "WARNING" and warn["message"] == "retrying with ***"
    assert warn["logger"] == "nba_orch_test.library" and warn[log.LABELS] == {"function": "scrapers"}
    assert warn["logging.googleapis.com/sourceLocation"]["line"].isdigit()
    assert exc["severity"] == "ERROR" and "RuntimeError: boom" in exc["traceback"]


def _event(attributes: dict[str, str], **extensions: str) -> CloudEvent:
    """The CloudEvent functions-framework hands a function (Eventarc's Pub/Sub event type)."""
    data = {
        "message": {
            "data": base64.b64encode(b"{}").decode(),
            "messageId": "m-1",
            "publishTime": "2025-01-15T12:00:00Z",
            "attributes": attributes,
        }
    }
    attrs = {
        "id": "e-1",
        "type": "google.cloud.pubsub.topic.v1.messagePublished",
        "source": "//pubsub.googleapis.com/projects/p1/topics/t",
        **extensions,
    }
    return CloudEvent(attrs, data)


def test_the_edge_binds_function_message_labels_and_trace(capsys, monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p1")

    def work(msg):
        log.info("working")
        return {"ok": True}

    attrs = {"scraper_name": "odds_api_events", "workflow": "betting_lines", "request_id": "r9", "other": "x"}
    edge.run(_event(attrs, traceparent=TRACEPARENT), "scrapers", work)
    edge.run(_event({"googclient_traceparent": TRACEPARENT}), "cleanup", work)
    working, done, working2, _ = lines(capsys)
    want = {"function": "scrapers", "scraper_name": "odds_api_events", "workflow": "betting_lines", "request_id": "r9"}
    assert working[log.LABELS] == done[log.LABELS] == want
    assert done["message_id"] == "m-1" and working[log.TRACE] == f"projects/p1/traces/{TRACE_ID}"
    assert working2[log.LABELS] == {"function": "cleanup"} and working2[log.TRACE].endswith(TRACE_ID)


def test_a_malformed_event_is_logged_with_the_function_label(capsys):
    bad = CloudEvent({"id": "e-2", "type": "t", "source": "//s"}, {"nope": 1})
    edge.run(bad, "master_controller", lambda m: None)
    (line,) = lines(capsys)
    assert line["severity"] == "ERROR" and line["error_type"] == "malformed_message"
    assert line[log.LABELS] == {"function": "master_controller"} and line["event_id"] == "e-2"


def test_the_edge_and_the_log_import_no_client_library_at_cold_start():
    """Cold start stays cheap: the edge (and the log it imports) loads no Google or HTTP library (stdlib
    `logging` it does: functions-framework has loaded it before main.py anyway)."""
    import subprocess
    import sys

    heavy = ("google.cloud.pubsub_v1", "google.api_core", "google.auth", "requests", "urllib3", "yaml")
    code = f"import shared.edge, sys; print(sorted(m for m in {heavy!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_critical_decision_is_logged_at_critical_and_a_warning_at_warning(capsys):
    from types import SimpleNamespace

    from shared.controller import service

    def decision(level: str, did: str) -> SimpleNamespace:
        return SimpleNamespace(alert_level=level, decision_id=did, workflow="w", action="ABORT", reason="r")

    decisions = [
        decision("CRITICAL", "d1"),
        decision("WARNING", "d2"),
        decision("NONE", "d3"),
        decision("CRITICAL", "d4"),
    ]
    service._log(SimpleNamespace(decisions=decisions, reused={"d4"}))  # d4 was logged by an earlier delivery
    got = [(line["severity"], line["decision_id"], line[log.LABELS]["decision_id"]) for line in lines(capsys)]
    assert got == [("CRITICAL", "d1", "d1"), ("WARNING", "d2", "d2")]
