"""Fallbacks declared in the catalogue (`nbac_schedule_api` -> `nbac_schedule_cdn`), through the replay server
and the emulators: a run that fails as `blocked` (the real Akamai page), or on the last delivery of a
transient failure, releases its fallback as a follow-up, exactly once per failed run (deterministic ids: a
redelivery, even one resuming after a crash, never makes a second run); a transient failure that later
succeeds, or any other failure, releases nothing."""

from __future__ import annotations

import json

import pytest

from shared.adapters.pubsub import publish
from shared.contracts import PubSubMessage, decode_scraper_request
from shared.scrapers import service
from shared.scrapers.errors import TransientFailure
from tests.conftest import recording
from tests.functions_harness import FunctionProcess, function_env, wait_for, wire
from tests.replay import Reply
from tests.scrapers.conftest import AS_OF, follow_up_messages, rows

AKAMAI = "nba_officials/error_403_akamai_access_denied_blocked_ua.html"
STATS = ("stats.nba.com", "/stats/scheduleleaguev2int")
CDN = ("cdn.nba.com", "/static/json/staticData/scheduleLeagueV2_1.json")
SEASON = {"LeagueID": "00", "Season": "2024-25"}


def schedule_request(scope: str = "test"):
    from tests.scrapers.conftest import request

    return request("nbac_schedule_api", {"season": "2024-25"}, scope=scope, workflow="morning_operations")


def answers(rp, *replies: Reply) -> None:
    rp.add(*STATS, query=SEASON, replies=list(replies))


def as_message(data: dict) -> PubSubMessage:
    return PubSubMessage(data=json.dumps(data).encode(), attributes={}, message_id="m", publish_time=AS_OF)


@pytest.mark.emulators
def test_a_blocked_run_releases_its_fallback_once(srt, rp):
    answers(rp, Reply(403, body=recording(AKAMAI), content_type="text/html"))
    req = schedule_request()
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type) == ("failed", "blocked")
    assert outcome.summary["fallback"] == ["nbac_schedule_cdn"]
    (fb,) = outcome.follow_ups
    assert (fb.scraper_name, fb.params, fb.workflow, fb.source) == (
        "nbac_schedule_cdn",
        {"season": "2024-25"},
        "morning_operations",
        "FOLLOW_UP",
    )
    assert fb.triggered_by == "fallback:nbac_schedule_api" and fb.as_of == req.as_of
    assert fb.context["fallback_for"] == "nbac_schedule_api" and fb.context["fallback_error_type"] == "blocked"
    (released,) = follow_up_messages(srt, expect=1)
    assert released["request_id"] == fb.request_id
    (row,) = rows(srt)
    assert row["data_summary"]["fallback"] == ["nbac_schedule_cdn"]

    # A redelivery of the blocked request is a duplicate: nothing fetched, nothing released again.
    again = service.execute(srt, req)
    assert again.duplicate and [f.request_id for f in again.follow_ups] == [fb.request_id]
    assert follow_up_messages(srt, expect=1, timeout=1.0) == [] and rp.hits(*STATS) == 1

    # The released request runs like any other: the CDN serves the schedule.
    served = service.execute(srt, decode_scraper_request(as_message(released)))
    assert (served.status, served.scraper_name) == ("success", "nbac_schedule_cdn")
    assert served.object_name.startswith("nba-com/schedule/2025-26/")  # the CDN holds the current season
    assert rp.hits(*CDN) == 1


@pytest.mark.emulators
def test_a_redelivery_resuming_after_a_crash_releases_the_same_request(srt, rp):
    answers(rp, Reply(403, body=recording(AKAMAI), content_type="text/html"))
    req = schedule_request("crash")

    def crash_after_row(point: str, scraper: str, request_id: str) -> None:
        if point == "after_row" and request_id == req.request_id:
            raise RuntimeError("injected crash after the row")

    service.STEP_HOOKS.append(crash_after_row)
    try:
        with pytest.raises(RuntimeError, match="injected crash"):
            service.execute(srt, req)
    finally:
        service.STEP_HOOKS.remove(crash_after_row)
    resumed = service.execute(srt, req)  # resumes at `notified`: republishes the follow-ups, same ids
    assert not resumed.duplicate and resumed.error_type == "blocked"
    msgs = follow_up_messages(srt, expect=2)
    assert len({m["request_id"] for m in msgs}) == 1
    outcomes = [service.execute(srt, decode_scraper_request(as_message(m))) for m in msgs]
    assert [o.duplicate for o in outcomes] == [False, True]  # one run of the fallback, whatever the copies
    assert rp.hits(*CDN) == 1 and [r["scraper_name"] for r in rows(srt)].count("nbac_schedule_cdn") == 1


@pytest.mark.emulators
def test_a_transient_failure_that_later_succeeds_releases_nothing(srt, rp, upstream_dir):
    full = upstream_dir / "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz"
    answers(rp, *[Reply(503, body="busy")] * 3, Reply(file=full))  # the first delivery's 3 attempts fail
    req = schedule_request("transient")
    with pytest.raises(TransientFailure):
        service.execute(srt, req)  # not the last delivery: Pub/Sub redelivers, nothing is recorded
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.follow_ups) == ("success", [])
    assert "fallback" not in outcome.summary
    assert follow_up_messages(srt, expect=1, timeout=1.0) == [] and rp.hits(*CDN) == 0


@pytest.mark.emulators
def test_the_last_attempt_of_a_transient_failure_releases_the_fallback(srt, rp):
    answers(rp, Reply(503, body="busy"))
    outcome = service.execute(srt, schedule_request("last"), final_attempt=True)
    assert (outcome.status, outcome.error_type) == ("failed", "http_503")
    assert [f.scraper_name for f in outcome.follow_ups] == ["nbac_schedule_cdn"]
    (released,) = follow_up_messages(srt, expect=1)
    assert released["context"]["fallback_error_type"] == "http_503"


@pytest.mark.emulators
@pytest.mark.parametrize(
    "reply",
    [Reply(403, body="<html>Forbidden</html>"), Reply(body=b'{"resultSets": tru')],
    ids=["plain_403", "parse_error"],
)
def test_other_failures_release_nothing(srt, rp, reply):
    answers(rp, reply)
    outcome = service.execute(srt, schedule_request("other"))
    assert outcome.status == "failed" and outcome.error_type in ("http_403", "parse_error")
    assert outcome.follow_ups == [] and "fallback" not in outcome.summary


@pytest.mark.emulators
def test_the_scrapers_function_runs_the_fallback_of_a_blocked_request_once(srt, rp, tmp_path):
    answers(rp, Reply(403, body=recording(AKAMAI), content_type="text/html"))
    req = schedule_request("function")
    env = function_env(srt, NBA_ORCH_HTTP_BACKOFF_SCALE="0.001")
    log = tmp_path / "scrapers.log"
    with FunctionProcess("scrapers", env=env, log_path=log) as fn:
        wire(srt, fn, "scraper_requests", min_backoff=1, max_backoff=2)
        data = json.dumps(req.to_json()).encode()
        publish(srt, "scraper_requests", data, req.attributes())
        found = wait_for(lambda: (r := rows(srt)) and len(r) >= 2 and r, what="the blocked run and its fallback")
        publish(srt, "scraper_requests", data, req.attributes())  # a second copy of the blocked request
        copy = f"duplicate delivery of request {req.request_id}"
        wait_for(lambda: copy in log.read_text(errors="replace"), what="the copy handled")
    got = sorted((r["scraper_name"], r["status"], r["error_type"], r["source"]) for r in rows(srt))
    assert got == [
        ("nbac_schedule_api", "failed", "blocked", "CONTROLLER"),
        ("nbac_schedule_cdn", "success", None, "FOLLOW_UP"),
    ]
    assert len(found) == 2 and rp.hits(*STATS) == 1 and rp.hits(*CDN) == 1


def test_fallback_requests_are_narrowed_deterministic_and_only_for_blocked_or_exhausted():
    """Pure: the box score line the coordinator will add (`fallback: [nbac_cdn_boxscore]`), on a copy of
    the catalogue with a stand-in entry for the CDN box score that takes `game_id` only."""
    import dataclasses

    from shared.config import ScraperSpec, get_config
    from shared.scrapers import core
    from shared.scrapers.errors import ScraperFailure
    from tests.scrapers.conftest import request

    cfg = get_config()
    cdn = ScraperSpec(
        name="nbac_cdn_boxscore",
        source="nba_cdn",
        url="https://cdn.nba.com/static/json/liveData/boxscore/boxscore_{game_id}.json",
        gcs_path="nba-com/cdn-boxscore/{game_id}/{timestamp}.json",
        required=("game_id",),
    )
    team = dataclasses.replace(cfg.scrapers["nbac_team_boxscore"], fallback=("nbac_cdn_boxscore",))
    cfg = dataclasses.replace(cfg, scrapers={**cfg.scrapers, team.name: team, cdn.name: cdn})
    req = request(
        "nbac_team_boxscore", {"game_id": "0022500560", "game_date": "2026-01-12"}, workflow="post_game_window_2"
    )
    (fb,) = core.fallback_requests(cfg, req, "blocked")
    assert (fb.scraper_name, fb.params, fb.workflow) == ("nbac_cdn_boxscore", {"game_id": "0022500560"}, req.workflow)
    assert core.fallback_requests(cfg, req, "blocked")[0].request_id == fb.request_id  # same on every redelivery
    blocked = core.fetch_failure(cfg, req, ScraperFailure("blocked", "Akamai", status=403))
    exhausted = core.fetch_failure(cfg, req, TransientFailure("timeout", "timed out", retries=2))
    plain = core.fetch_failure(cfg, req, ScraperFailure("http_404", "not found", status=404))
    assert [r.request_id for r in blocked.follow_ups] == [fb.request_id]
    assert [r.request_id for r in exhausted.follow_ups] == [fb.request_id]
    assert exhausted.summary["fallback"] == ["nbac_cdn_boxscore"] and exhausted.error_type == "timeout"
    assert plain.follow_ups == () and "fallback" not in plain.summary
