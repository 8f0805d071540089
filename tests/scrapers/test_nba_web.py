"""nbac_roster (www.nba.com team roster page) on the real Golden State Warriors recording through the
upstream override and the emulators: the page is kept byte for byte in the JSON envelope at the
catalogue's .json path; plus 404, a page without its data, a truncated page and parameter checks."""

from __future__ import annotations

import gzip
import json

import pytest

from shared.scrapers import service
from shared.scrapers.base import Fetched, HtmlPage
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import check_run
from tests.scrapers.conftest import request

pytestmark = pytest.mark.emulators
WWW = "www.nba.com"
GSW = {"team_id": "1610612744", "team_abbr": "GSW"}
RECORDING = "nbacom_web/team_roster_79002ff4.html.gz"


def test_recording_through_the_pipeline_page_kept_losslessly(srt, rp, upstream_dir):
    req = request("nbac_roster", GSW)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 18)
    assert outcome.object_name == "nba-com/rosters/2024-01-24/GSW/20240125_040000.json"
    s = outcome.summary
    assert (s["team_abbreviation"], s["team_name"], s["head_coach"]) == ("GSW", "Golden State Warriors", "Steve Kerr")
    assert rp.seen[-1].path == "/team/1610612744/warriors/roster"  # the slug comes from the tricode
    check_run(srt, outcome, req)

    from shared.adapters import gcs

    stored = gcs.read_object(srt, outcome.object_name)
    envelope = json.loads(stored)  # a .json object holds JSON ...
    assert envelope["format"] == "nba-orch/html-page/1" and envelope["encoding"] == "utf-8"
    assert envelope["url"] == "https://www.nba.com/team/1610612744/warriors/roster"
    page = gzip.decompress((upstream_dir / RECORDING).read_bytes())
    assert HtmlPage.page(Fetched(stored)) == page and envelope["byte_length"] == len(page)  # ... and every byte


def test_a_page_that_is_not_utf8_is_kept_as_base64():
    from shared.scrapers.base import html_envelope

    raw = b"<html>caf\xe9</html>"
    doc = json.loads(html_envelope(raw, url="u"))
    assert doc["encoding"] == "base64" and HtmlPage.page(Fetched(html_envelope(raw))) == raw


@pytest.mark.parametrize(
    ("reply", "status", "error_type", "message"),
    [
        (Reply(404, body="<html>Page not found</html>"), "failed", "http_404", "404"),
        (Reply(403, body="<html>Access Denied (Akamai)</html>"), "failed", "http_403", "403"),
        (Reply(body="<html><body>Team page</body></html>"), "failed", "parse_error", "__NEXT_DATA__"),
        (
            Reply(body='<script id="__NEXT_DATA__" type="application/json">{"props": {"pageP'),
            "failed",
            "parse_error",
            "__NEXT_DATA__",
        ),
        (Reply(body=""), "failed", "parse_error", "__NEXT_DATA__"),
    ],
    ids=["404", "403", "no_next_data", "truncated", "empty"],
)
def test_bad_pages(srt, rp, reply, status, error_type, message):
    rp.add(WWW, "/team/1610612738/celtics/roster", replies=[reply])
    req = request("nbac_roster", {"team_id": "1610612738", "team_abbr": "BOS"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == (status, error_type, None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"team_id": "1610612738", "team_abbr": "GSW"}, "is not GSW"),
        ({"team_id": "1610612744", "team_abbr": "XYZ"}, "not an NBA tricode"),
    ],
)
def test_team_id_and_tricode_must_name_the_same_team(rp, tmp_path, params, message):
    out = service.run_local(request("nbac_roster", params), tmp_path)
    assert (out.status, out.error_type) == ("failed", "invalid_parameter") and message in out.error_message
    assert rp.seen == []


def test_the_page_of_another_team_is_refused(rp, upstream_dir, tmp_path):
    rp.add(WWW, "/team/1610612747/lakers/roster", file=upstream_dir / RECORDING)
    out = service.run_local(request("nbac_roster", {"team_id": "1610612747", "team_abbr": "LAL"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "parse_error") and "1610612744" in out.error_message
