"""Blocked and not published, told apart, on the real recordings through the replay server and the pipeline:
- official.nba.com's Akamai "Access Denied" page (HTTP 403 text/html, what a non-browser client gets) is
  error type `blocked`: a failure, logged at ERROR, never `no_data`, even for a scraper that counts an
  empty answer as success;
- cdn.nba.com's S3 `AccessDenied` XML (HTTP 403 application/xml, a liveData object not published yet) is
  `not_published`: `no_data` unless the request's workflow expects the object (a post-game window, the
  morning recovery).
Any other 403 stays `http_403` (see the per-scraper tests)."""

from __future__ import annotations

import json

import pytest

from shared.config import get_config
from shared.scrapers import core, service
from shared.scrapers.http import classify_denial
from tests.conftest import recording
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import CDN, OFFICIALS, check_run
from tests.scrapers.conftest import request

AKAMAI = "nba_officials/error_403_akamai_access_denied_blocked_ua.html"
S3_DENIED = "nbacom_cdn/playbyplay_0029999999_error_403_s3_AccessDenied.xml"
PBP_MISSING = "/static/json/liveData/playbyplay/playbyplay_0029999999.json"  # the recording's own URL
OFFICIALS_PATH = "/wp-json/api/v1/get-game-officials"


def logged(capsys) -> list[dict]:
    return [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]


def test_the_recordings_are_classified_and_other_denials_are_not():
    blocked = classify_denial(403, recording(AKAMAI))
    assert blocked is not None and blocked[0] == "blocked"
    assert "reference #18.117d2f17.1790410303.20f433e8" in blocked[1]  # Akamai's reference, for support
    assert classify_denial(403, recording(S3_DENIED)) == (
        "not_published",
        "the object is not published (object store AccessDenied)",
    )
    assert classify_denial(404, b"<Error><Code>NoSuchKey</Code></Error>")[0] == "not_published"
    # A plain 403 (a wrong key, a synthetic "Forbidden"), or the Akamai page with another status: not these.
    assert classify_denial(403, b"<html>Forbidden</html>") is None
    assert classify_denial(403, b'{"message": "Forbidden"}') is None
    assert classify_denial(500, recording(AKAMAI)) is None


@pytest.mark.emulators
def test_akamai_page_is_a_blocked_failure_logged_at_error(srt, rp, capsys):
    rp.add(
        OFFICIALS,
        OFFICIALS_PATH,
        query={"date": "2025-01-09"},
        replies=[Reply(403, body=recording(AKAMAI), content_type="text/html")],
    )
    req = request("nbac_referee_assignments", {"date": "2025-01-09"}, workflow="referee_discovery")
    capsys.readouterr()
    outcome = service.execute(srt, req)
    # treat_no_data_as_success does not apply: a block page is not an empty answer.
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", "blocked", None)
    assert "answered 403: blocked by the host's firewall" in outcome.error_message
    assert outcome.summary["http"]["status"] == 403 and outcome.follow_ups == []  # no fallback declared
    assert rp.hits(OFFICIALS, OFFICIALS_PATH) == 1  # never retried in-process
    check_run(srt, outcome, req)
    (entry,) = [e for e in logged(capsys) if e["message"].startswith("scrapers: nbac_referee_assignments")]
    assert (entry["severity"], entry["error_type"]) == ("ERROR", "blocked")


@pytest.mark.emulators
@pytest.mark.parametrize(
    ("workflow", "status"),
    [
        ("post_game_window_3", "failed"),
        ("morning_recovery", "failed"),
        ("injury_discovery", "no_data"),
        ("MANUAL", "no_data"),
    ],
    ids=["post_game_expects_it", "recovery_expects_it", "discovery", "manual"],
)
def test_s3_access_denied_is_not_published_judged_by_the_workflow(srt, rp, workflow, status, capsys):
    xml = Reply(403, body=recording(S3_DENIED), content_type="application/xml")
    rp.add(CDN, PBP_MISSING, replies=[xml])
    req = request("nbac_play_by_play", {"game_id": "0029999999", "date": "2025-01-15"}, workflow=workflow)
    capsys.readouterr()
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == (status, "not_published", None)
    assert "not published (object store AccessDenied)" in outcome.error_message
    assert outcome.summary["http"]["status"] == 403
    assert outcome.summary.get("not_published") is (True if status == "no_data" else None)
    check_run(srt, outcome, req)
    (entry,) = [e for e in logged(capsys) if e["message"].startswith("scrapers: nbac_play_by_play")]
    assert entry["severity"] == "INFO"  # missing is not blocked: nobody has to act


def test_where_not_published_fails_comes_from_the_workflow_decision_type():
    cfg = get_config()
    expect = {name: wf.decision_type in ("game_aware_yesterday", "recovery") for name, wf in cfg.workflows.items()}
    got = {name: core.expects_published(cfg, request("nbac_play_by_play", {}, workflow=name)) for name in expect}
    assert got == expect and got["morning_recovery"] and not all(got.values())
    for other in ("MANUAL", "schedule_locker", "no_such_workflow"):
        assert not core.expects_published(cfg, request("nbac_play_by_play", {}, workflow=other))
