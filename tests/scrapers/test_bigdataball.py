"""bigdataball_pbp through the upstream override (host www.googleapis.com) and the emulators.

The CSV is the real BigDataBall recording (2025-06-22 Finals game 7, IND@OKC, game 0042400407). No
recording of a Drive files.list answer exists: the listings here are SYNTHETIC, built from the documented
Drive v3 answer shape (catalogue_recordings.drive_listing). Credentials: NBA_ORCH_DRIVE_TOKEN in most
tests; one test mints a real token from a service-account key (a key generated here, whose token_uri is a
local token endpoint that plays Google's OAuth server: google-auth signs and posts the real JWT grant).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest

from shared.adapters import gcs
from shared.config import get_config
from shared.scrapers import core, service
from shared.scrapers.base import Fetched
from shared.scrapers.errors import ScraperFailure
from shared.scrapers.sources import bigdataball
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import (
    BDB_FILE_ID,
    BDB_GAME,
    BDB_NAME,
    DRIVE,
    DRIVE_TOKEN,
    check_run,
    drive_listing,
)
from tests.scrapers.conftest import request, rows

pytestmark = pytest.mark.emulators
GAME = {"game_id": BDB_GAME, "date": "2025-06-22", "season": "2024-25"}
OBJECT = f"big-data-ball/2024-25/2025-06-22/game_{BDB_GAME}/[2025-06-22]-{BDB_GAME}-IND@OKC.csv"
CSV = "bigdataball/pbp_746cfbef.csv"
FILES = "/drive/v3/files"


def _file(file_id: str, name: str, modified: str) -> dict[str, Any]:
    return {"kind": "drive#file", "id": file_id, "name": name, "mimeType": "text/csv", "modifiedTime": modified}


def test_game_csv_found_downloaded_and_stored_byte_for_byte(srt, rp, upstream_dir):
    req = request("bigdataball_pbp", GAME)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.object_name) == ("success", 510, OBJECT)
    s = outcome.summary
    assert (s["game_id"], s["nba_game_id"], s["away_team"], s["home_team"]) == ("42400407", BDB_GAME, "IND", "OKC")
    assert s["drive_file"] == BDB_NAME
    check_run(srt, outcome, req, stored=(upstream_dir / CSV).read_bytes())
    assert gcs.bucket(srt).get_blob(OBJECT).content_type == "text/csv"

    listing, media = rp.seen
    assert listing.path == FILES and f"name contains '{BDB_GAME}'" in listing.query["q"]
    assert "not name contains 'combined-stats'" in listing.query["q"]
    assert listing.query["supportsAllDrives"] == "true" and listing.query["includeItemsFromAllDrives"] == "true"
    assert (media.path, media.query["alt"]) == (f"{FILES}/{BDB_FILE_ID}", "media")
    assert all(x.headers["authorization"] == f"Bearer {DRIVE_TOKEN}" for x in rp.seen)
    assert DRIVE_TOKEN not in json.dumps(rows(srt), default=str)


def test_a_resumed_run_rebuilds_the_same_path_from_the_stored_file(srt, rp):
    # After a crash between the GCS write and the notification, the redelivery parses the stored file
    # (shared.scrapers.service): the Drive file name travels in the object's metadata.
    req = request("bigdataball_pbp", GAME)
    service.execute(srt, req)
    blob = gcs.bucket(srt).get_blob(OBJECT)
    stored = Fetched.from_stored(blob.download_as_bytes(), blob.content_type, dict(blob.metadata))
    scraper, ctx = core.plan(get_config(), req)
    again = core.compute(scraper, ctx, stored)
    assert (again.status, again.record_count, again.outputs[0].name) == ("success", 510, OBJECT)


def test_newest_csv_of_the_game_is_chosen_or_the_named_one(rp, upstream_dir, tmp_path):
    files = [
        _file("old", f"[2025-06-22]-{BDB_GAME}-IND@OKC.csv", "2025-06-22T23:00:00.000Z"),
        _file("combined", f"[2025-06-22]-{BDB_GAME}-combined-stats.csv", "2025-06-24T09:00:00.000Z"),
        _file("new", f"[2025-06-22]-{BDB_GAME}-IND@OKC-v2.csv", "2025-06-23T10:00:00.000Z"),
    ]
    rp.add(DRIVE, FILES, body=json.dumps(drive_listing(files)))
    for file_id in ("old", "new"):
        rp.add(DRIVE, f"{FILES}/{file_id}", query={"alt": "media"}, file=upstream_dir / CSV, content_type="text/csv")
    out = service.run_local(request("bigdataball_pbp", GAME), tmp_path)
    assert out.status == "success" and out.object_name.endswith("IND@OKC-v2.csv"), out.error_message
    named = {**GAME, "filename": f"[2025-06-22]-{BDB_GAME}-IND@OKC"}
    out = service.run_local(request("bigdataball_pbp", named), tmp_path / "named")
    assert out.status == "success" and out.object_name == OBJECT
    assert [x.path for x in rp.seen if x.path != FILES] == [f"{FILES}/new", f"{FILES}/old"]


@pytest.mark.parametrize(
    "files",
    [
        pytest.param([], id="nothing_yet"),
        pytest.param([_file("c", f"[2025-06-22]-{BDB_GAME}-combined-stats.csv", "2025-06-24")], id="combined_only"),
    ],
)
def test_no_csv_for_the_game_yet_is_no_data(srt, rp, files):
    rp.add(DRIVE, FILES, body=json.dumps(drive_listing(files)))
    req = request("bigdataball_pbp", GAME)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.gcs_path) == ("no_data", None)
    assert [x.path for x in rp.seen] == [FILES]  # nothing to download
    check_run(srt, outcome, req)


@pytest.mark.parametrize(
    ("path", "reply", "error_type", "message"),
    [
        pytest.param(FILES, Reply(403, body='{"error": {"code": 403}}'), "http_403", "403", id="list_403"),
        pytest.param(FILES, Reply(404, body='{"error": {"code": 404}}'), "http_404", "404", id="list_404"),
        pytest.param(FILES, Reply(body=b'{"kind": "drive#fileList", "fi'), "parse_error", "files.list", id="list_cut"),
        pytest.param(FILES, Reply(body=b'{"kind": "drive#fileList"}'), "parse_error", "'files'", id="list_shape"),
        pytest.param(f"{FILES}/{BDB_FILE_ID}", Reply(404, body="{}"), "http_404", "404", id="media_404"),
        pytest.param(
            f"{FILES}/{BDB_FILE_ID}", Reply(body=b"<html>quota</html>"), "parse_error", "lacks columns", id="csv_html"
        ),
        pytest.param(f"{FILES}/{BDB_FILE_ID}", Reply(body=b""), "parse_error", "empty CSV", id="csv_empty"),
    ],
)
def test_failures(srt, rp, path, reply, error_type, message):
    rp.add(DRIVE, path, query={"alt": "media"} if path != FILES else None, replies=[reply])
    req = request("bigdataball_pbp", GAME)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", error_type, None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)


def test_season_must_contain_the_date(rp, tmp_path):
    out = service.run_local(request("bigdataball_pbp", {**GAME, "season": "2025-26"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "invalid_parameter") and rp.seen == []


# ---- credentials -------------------------------------------------------------------------------------------


class TokenEndpoint:
    """Plays Google's OAuth token endpoint (POST, JWT bearer grant) on 127.0.0.1."""

    def __init__(self, token: str) -> None:
        self.grants: list[dict[str, list[str]]] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = self.rfile.read(int(self.headers["Content-Length"]))
                endpoint.grants.append(parse_qs(body.decode()))
                data = json.dumps({"access_token": token, "expires_in": 3600, "token_type": "Bearer"}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/token"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _service_account_key(token_uri: str) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "nba-orch-test",
            "private_key_id": "0123456789abcdef",
            "private_key": pem.decode(),
            "client_email": "bigdataball-reader@nba-orch-test.iam.gserviceaccount.com",
            "client_id": "1234567890",
            "token_uri": token_uri,
        }
    )


def test_token_minted_from_the_service_account_key_and_reused(rp, upstream_dir, tmp_path, monkeypatch, capsys):
    minted = "ya29.minted-test-token-5e6f"
    endpoint = TokenEndpoint(minted)
    try:
        monkeypatch.delenv("NBA_ORCH_DRIVE_TOKEN")
        monkeypatch.setenv("BIGDATABALL_SERVICE_ACCOUNT_JSON", _service_account_key(endpoint.url))
        bearer = {"Authorization": f"Bearer {minted}"}
        rp.add(DRIVE, FILES, body=json.dumps(drive_listing()), require_headers=bearer)
        rp.add(DRIVE, f"{FILES}/{BDB_FILE_ID}", query={"alt": "media"}, file=upstream_dir / CSV, require_headers=bearer)
        for n in range(2):
            out = service.run_local(request("bigdataball_pbp", GAME, scope=f"run{n}"), tmp_path / str(n))
            assert out.status == "success", out.error_message
    finally:
        endpoint.stop()
    (grant,) = endpoint.grants  # one token for both runs (valid for an hour)
    assert (
        grant["grant_type"] == ["urn:ietf:params:oauth:grant-type:jwt-bearer"] and grant["assertion"][0].count(".") == 2
    )
    from shared.secrets import scrub

    assert scrub(f"Bearer {minted}") == "Bearer ***"  # the minted token is registered with the scrubber
    assert minted not in capsys.readouterr().out


def test_credential_errors(monkeypatch):
    monkeypatch.delenv("NBA_ORCH_DRIVE_TOKEN", raising=False)
    monkeypatch.delenv("NBA_ORCH_UPSTREAM_OVERRIDE", raising=False)
    monkeypatch.delenv("BIGDATABALL_SERVICE_ACCOUNT_JSON", raising=False)
    with pytest.raises(ScraperFailure) as exc:
        bigdataball.drive_token("BIGDATABALL_SERVICE_ACCOUNT_JSON")
    assert exc.value.error_type == "missing_secret"
    monkeypatch.setenv("BIGDATABALL_SERVICE_ACCOUNT_JSON", '{"type": "service_account"}')
    with pytest.raises(ScraperFailure) as exc:
        bigdataball.drive_token("BIGDATABALL_SERVICE_ACCOUNT_JSON")
    assert exc.value.error_type == "invalid_secret"
    # Routed to a local replay server (the offline simulation sets "{}"): a placeholder bearer.
    monkeypatch.setenv("NBA_ORCH_UPSTREAM_OVERRIDE", "http://127.0.0.1:9")
    assert bigdataball.drive_token("BIGDATABALL_SERVICE_ACCOUNT_JSON") == bigdataball.OFFLINE_TOKEN
    monkeypatch.setenv("NBA_ORCH_DRIVE_TOKEN", DRIVE_TOKEN)
    assert bigdataball.drive_token("BIGDATABALL_SERVICE_ACCOUNT_JSON") == DRIVE_TOKEN


def test_missing_credentials_are_a_failed_run_without_any_call(srt, rp, monkeypatch):
    monkeypatch.delenv("NBA_ORCH_DRIVE_TOKEN")
    monkeypatch.setenv("BIGDATABALL_SERVICE_ACCOUNT_JSON", "not json")
    monkeypatch.delenv("NBA_ORCH_UPSTREAM_OVERRIDE")  # a real deployment: no placeholder bearer
    req = request("bigdataball_pbp", GAME)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type) == ("failed", "invalid_secret") and rp.seen == []
    assert "not json" not in outcome.error_message
    check_run(srt, outcome, req)
