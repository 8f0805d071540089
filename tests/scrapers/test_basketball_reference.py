"""br_season_roster through the upstream override and the emulators.

No recording of a Basketball-Reference page exists: the pages here are SYNTHETIC, built from the
documented page structure (catalogue_recordings.br_page: `table#roster` with `data-stat` cells). Tested:
the roster parsed and the page kept whole, one request per team with at most one request every 3 s to
the host (measured through the HTTP layer's injected sleep: nothing really waits), the latest-state path
(no {timestamp}) replaced by a later run, NBA tricodes mapped to the site's codes, and 404/429/bad pages.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from shared.adapters import gcs
from shared.scrapers import service
from shared.scrapers.base import Fetched, HtmlPage
from shared.scrapers.http import HttpClient
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import BR, BR_ROWS, br_page, check_run
from tests.scrapers.conftest import AS_OF, request, rows

pytestmark = pytest.mark.emulators
BOS = {"teamAbbr": "BOS", "year": "2025"}
PATH = "basketball-ref/season-rosters/2024-25/BOS.json"


def test_roster_page_through_the_pipeline(srt, rp):
    req = request("br_season_roster", {**BOS, "season": "2024-25"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.object_name) == ("success", 3, PATH)
    assert outcome.summary["player_ids"] == ["tatumja01", "brownja02", "scheiba01"]
    check_run(srt, outcome, req)
    page = HtmlPage.page(Fetched(gcs.read_object(srt, PATH)))
    assert page == br_page().encode()  # the page kept byte for byte inside the .json envelope


def test_a_later_run_replaces_the_latest_state_file(srt, rp):
    first = service.execute(srt, request("br_season_roster", BOS))
    traded = BR_ROWS[:2] + [("11", "holidjr01", "Jrue Holiday", "PG", "6-4", "205", "19900612", "15", "UCLA")]
    rp.add(BR, "/teams/BOS/2025.html", body=br_page(traded), content_type="text/html")
    later = request("br_season_roster", BOS, scope="next-morning", as_of=AS_OF + timedelta(days=1))
    second = service.execute(srt, later)
    assert (first.status, second.status) == ("success", "success") and first.object_name == second.object_name
    stored = HtmlPage.page(Fetched(gcs.read_object(srt, PATH)))
    assert b"Jrue Holiday" in stored and b"Baylor Scheierman" not in stored
    meta = gcs.get_metadata(srt, PATH)
    assert (meta["request_id"], meta["replaced_request_id"]) == (later.request_id, first.request_id)
    assert sorted(r["status"] for r in rows(srt)) == ["success", "success"]


def test_one_request_every_3_seconds_to_the_host(rp, tmp_path, monkeypatch):
    monkeypatch.setenv("NBA_ORCH_HTTP_BACKOFF_SCALE", "1")  # the real interval, recorded instead of slept
    rp.add(BR, "/teams/NYK/2025.html", body=br_page(title="2024-25 New York Knicks"), content_type="text/html")
    slept: list[float] = []
    client = HttpClient(sleep=slept.append)
    for team in ("BOS", "NYK"):
        out = service.run_local(request("br_season_roster", {"teamAbbr": team, "year": "2025"}), tmp_path, http=client)
        assert out.status == "success"
    assert client.calls == 2 and len(slept) == 1
    assert 2.5 < slept[0] <= 3.0  # the second team waited for the rest of the 3 s after the first


def test_nba_tricodes_are_mapped_to_the_sites_codes(rp, tmp_path):
    rp.add(BR, "/teams/PHO/2025.html", body=br_page(title="2024-25 Phoenix Suns"), content_type="text/html")
    out = service.run_local(request("br_season_roster", {"teamAbbr": "PHX", "year": "2025"}), tmp_path)
    assert out.status == "success" and out.object_name == "basketball-ref/season-rosters/2024-25/PHO.json"
    assert rp.seen[-1].path == "/teams/PHO/2025.html"


@pytest.mark.parametrize(
    ("params", "message"),
    [({"teamAbbr": "XYZ", "year": "2025"}, "team code"), ({**BOS, "season": "2023-24"}, "ending in 2025")],
)
def test_bad_parameters(rp, tmp_path, params, message):
    out = service.run_local(request("br_season_roster", params), tmp_path)
    assert (out.status, out.error_type) == ("failed", "invalid_parameter") and message in out.error_message
    assert rp.seen == []


def test_429_is_retried_after_its_retry_after(srt, rp):
    rp.add(BR, "/teams/BOS/2025.html", replies=[Reply(429, headers={"Retry-After": "5"}), Reply(body=br_page())])
    req = request("br_season_roster", BOS)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.retry_count) == ("success", 3, 1)
    assert outcome.summary["http"]["retry_waits"] == [5.0]
    check_run(srt, outcome, req)


@pytest.mark.parametrize(
    ("reply", "error_type", "message"),
    [
        pytest.param(Reply(404, body="<html>Page Not Found (404 error)</html>"), "http_404", "404", id="404"),
        pytest.param(Reply(403, body="<html>Forbidden</html>"), "http_403", "403", id="403"),
        pytest.param(
            Reply(body="<html><body>Rate limited</body></html>"), "parse_error", "table#roster", id="no_table"
        ),
        pytest.param(Reply(body=""), "parse_error", "empty page", id="empty"),
    ],
)
def test_failures(srt, rp, reply, error_type, message):
    rp.add(BR, "/teams/BOS/2025.html", replies=[reply])
    req = request("br_season_roster", BOS)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", error_type, None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)
    assert json.dumps(outcome.summary)  # the failure is fully described in the row
