"""BettingPros through the upstream override and the emulators: v3/events on the real 2021-10-21 answer
(releasing one bp_player_props request per market), and v3/offers on SYNTHETIC pages built from the
documented answer shape (no offers recording exists; see catalogue_recordings.offers_pages): pagination,
the polite delay between pages, the key in the X-Api-Key header only; plus empty, 401/403 and malformed
answers."""

from __future__ import annotations

import json

import pytest

from shared.adapters import gcs
from shared.scrapers import service
from shared.scrapers.http import HttpClient
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import BP, BP_KEY, check_run, offers_pages
from tests.scrapers.conftest import follow_up_messages, request, rows

pytestmark = pytest.mark.emulators
EVENTS = "bettingpros/v3_events_2021-10-21.json"
DAY = {"date": "2021-10-21"}


def test_events_release_one_props_request_per_market(srt, rp, upstream_dir):
    req = request("bp_events", DAY)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 3)
    assert outcome.object_name == "bettingpros/events/2021-10-21/20240125_040000.json"
    assert outcome.summary["event_ids"] == [20879, 20880, 20881]
    check_run(srt, outcome, req, stored=(upstream_dir / EVENTS).read_bytes())
    released = follow_up_messages(srt, expect=6)
    assert sorted(m["params"]["market"] for m in released) == sorted(
        ["points", "rebounds", "assists", "threes", "steals", "blocks"]
    )
    assert all(m["scraper_name"] == "bp_player_props" and m["params"]["date"] == "2021-10-21" for m in released)
    assert {m["request_id"] for m in released} == {f.request_id for f in outcome.follow_ups}  # deterministic ids


def test_a_day_without_events_is_no_data_and_releases_nothing(srt, rp):
    body = json.dumps({"_parameters": {"sport": "NBA", "date": "2021-07-30"}, "events": []})
    rp.add(BP, "/v3/events", query={"date": "2021-07-30"}, body=body)
    req = request("bp_events", {"date": "2021-07-30"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.follow_ups) == ("no_data", 0, [])
    check_run(srt, outcome, req, stored=body.encode())


def test_props_walk_every_page_with_the_polite_delay(srt, rp, monkeypatch):
    monkeypatch.setenv("NBA_ORCH_HTTP_BACKOFF_SCALE", "1")  # real delays, recorded instead of slept
    slept: list[float] = []
    client = HttpClient(sleep=slept.append)
    req = request("bp_player_props", {"date": "2021-10-21", "market": "points"})
    outcome = service.execute(srt, req, http=client)
    assert (outcome.status, outcome.record_count) == ("success", 12)  # 3 offers x 2 selections x 2 books
    assert outcome.object_name == "bettingpros/player-props/points/2021-10-21/20240125_040000.json"
    s = outcome.summary
    assert (s["pages_received"], s["total_pages"], s["complete"], s["market_id"]) == (2, 2, True, 156)
    # events looked up first, then page 1 and page 2 of the offers, 1 s (the source's page delay) apart
    assert [(x.path, x.query.get("page")) for x in rp.seen] == [
        ("/v3/events", None),
        ("/v3/offers", None),
        ("/v3/offers", "2"),
    ]
    assert slept == [1.0, 1.0]
    offers = [x for x in rp.seen if x.path == "/v3/offers"]
    assert {(x.query["event_id"], x.query["market_id"]) for x in offers} == {("20879:20880:20881", "156")}
    assert all(x.headers["x-api-key"] == BP_KEY for x in rp.seen)
    stored = gcs.read_object(srt, outcome.object_name)
    doc = json.loads(stored)
    assert doc["page_count"] == 2 and doc["pages"] == offers_pages()  # every page kept
    check_run(srt, outcome, req, stored=stored)
    assert BP_KEY.encode() not in stored and BP_KEY not in json.dumps(rows(srt), default=str)


def test_props_for_one_event_skip_the_lookup(rp, tmp_path):
    page = offers_pages()[1] | {"_pagination": {"page": 1, "total_pages": 1}}
    rp.add(BP, "/v3/offers", query={"event_id": "20881", "market_id": "157"}, body=json.dumps(page))
    out = service.run_local(request("bp_player_props", {**DAY, "market": "rebounds", "event_id": "20881"}), tmp_path)
    assert (out.status, out.record_count, out.summary["market"]) == ("success", 4, "rebounds")
    assert [x.path for x in rp.seen] == ["/v3/offers"]


def test_props_on_a_day_without_events_store_nothing(srt, rp):
    rp.add(BP, "/v3/events", query={"date": "2021-07-30"}, body='{"events": []}')
    req = request("bp_player_props", {"date": "2021-07-30", "market": "points"})
    outcome = service.execute(srt, req)
    # An empty market is a valid answer for this scraper (catalogue: treat_no_data_as_success).
    assert (outcome.status, outcome.gcs_path) == ("success", None) and outcome.summary["no_content"]
    assert rp.hits(BP, "/v3/offers") == 0
    check_run(srt, outcome, req)


def test_missing_key_fails_before_any_call(srt, rp, monkeypatch):
    monkeypatch.delenv("BETTINGPROS_API_KEY")
    req = request("bp_events", DAY)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type) == ("failed", "missing_secret") and rp.seen == []
    check_run(srt, outcome, req)


EVENTS_22 = ("bp_events", {"date": "2021-10-22"}, "/v3/events", {"date": "2021-10-22"})
OFFERS_22 = (
    "bp_player_props",
    {"date": "2021-10-22", "market": "points", "event_id": "20890"},
    "/v3/offers",
    {"event_id": "20890"},
)


@pytest.mark.parametrize(
    ("target", "reply", "error_type", "message"),
    [
        pytest.param(EVENTS_22, Reply(403, body='{"message": "Forbidden"}'), "http_403", "403", id="events_403"),
        pytest.param(EVENTS_22, Reply(404, body='{"message": "Not Found"}'), "http_404", "404", id="events_404"),
        pytest.param(
            EVENTS_22, Reply(body=b'{"events": [{"id": 20879, "ho'), "parse_error", "invalid JSON", id="events_cut"
        ),
        pytest.param(OFFERS_22, Reply(401, body='{"message": "Unauthorized"}'), "http_401", "401", id="offers_401"),
        pytest.param(OFFERS_22, Reply(body=b'{"offers": [{"id": 1,'), "parse_error", "invalid JSON", id="offers_cut"),
        pytest.param(
            OFFERS_22, Reply(body=b'{"_pagination": {"page": 1}}'), "parse_error", "'offers'", id="offers_shape"
        ),
    ],
)
def test_failures(srt, rp, target, reply, error_type, message):
    name, params, path, query = target
    rp.add(BP, path, query=query, replies=[reply])
    req = request(name, params)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", error_type, None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)


def test_unknown_market_is_refused(rp, tmp_path):
    out = service.run_local(request("bp_player_props", {**DAY, "market": "dunks"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "invalid_parameter") and "points" in out.error_message
    assert rp.seen == []
