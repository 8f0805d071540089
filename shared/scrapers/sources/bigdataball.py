"""BigDataBall play-by-play CSV files, shared on Google Drive (Drive API v3, read-only scope).

One request per game: files.list finds the game's CSV (`name contains '<game_id>'`, BigDataBall names files
like "[2025-06-22]-0042400407-IND@OKC.csv"; "combined-stats" files are excluded), then files.get with
alt=media downloads it. The CSV is stored byte for byte at big-data-ball/{season}/{date}/game_{game_id}/
{filename}.csv, where {filename} is the Drive file's name without ".csv" (unless the request names one).
The Drive file's id, name and modified time travel with the answer (stored as object metadata), so a
resumed run rebuilds the same path from the stored file. No CSV for the game yet: no_data.

Credentials (never in code, rows or logs; every token is registered with the scrubber):
1. NBA_ORCH_DRIVE_TOKEN: a ready OAuth access token, used as is (an operator's
   `gcloud auth print-access-token`, or any bearer a local replay server accepts);
2. else BIGDATABALL_SERVICE_ACCOUNT_JSON: a service-account key (JSON); an access token with the
   drive.readonly scope is minted with google-auth (at the key's `token_uri`) and reused until it expires;
3. else, only when NBA_ORCH_UPSTREAM_OVERRIDE routes every call to a local replay server, a placeholder
   bearer (the replay server checks no signature); otherwise `missing_secret` / `invalid_secret`.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from datetime import datetime
from typing import Any, ClassVar

from shared.parsers import bigdataball
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, Parsed, Scraper, load_json
from shared.scrapers.errors import InvalidRequest, ScraperFailure, TransientFailure
from shared.scrapers.sources._nba_schedule import normalize_season
from shared.secrets import get_secret, remember
from shared.timeutil import parse_date, season_of

DRIVE_SCOPE = "https://www.googleapis.com/auth/drive.readonly"
TOKEN_ENV = "NBA_ORCH_DRIVE_TOKEN"
OFFLINE_TOKEN = "replay-offline-token"
LIST_FIELDS = "nextPageToken,incompleteSearch,files(id,name,mimeType,modifiedTime,size)"
SOURCE = "google drive"

_credentials: dict[str, Any] = {}  # key fingerprint -> google.oauth2 Credentials (reused while valid)
_lock = threading.Lock()


def drive_token(secret_env: str) -> str:
    """An OAuth access token for the Drive API (see the module docstring for the order of the sources)."""
    explicit = get_secret(TOKEN_ENV)
    if explicit:
        return explicit
    raw = get_secret(secret_env)
    info = _service_account_info(raw)
    if info is not None:
        return _mint(info, raw or "")
    if os.environ.get("NBA_ORCH_UPSTREAM_OVERRIDE"):
        return OFFLINE_TOKEN
    if not raw:
        raise ScraperFailure("missing_secret", f"environment variable {secret_env} is not set (nor {TOKEN_ENV})")
    raise ScraperFailure(
        "invalid_secret",
        f"environment variable {secret_env} is not a service-account key (JSON with client_email, private_key)",
    )


def _service_account_info(raw: str | None) -> dict[str, Any] | None:
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        return None
    if not isinstance(info, dict) or not info.get("client_email") or not info.get("private_key"):
        return None
    remember(str(info["private_key"]))
    return info


def _mint(info: dict[str, Any], raw: str) -> str:
    """Mint (or reuse) a drive.readonly access token for the key; google-auth is imported only here."""
    from google.auth import exceptions as auth_errors
    from google.auth.transport.requests import Request
    from google.oauth2 import service_account

    fingerprint = hashlib.sha256(raw.encode()).hexdigest()
    with _lock:
        creds = _credentials.get(fingerprint)
        if creds is None:
            try:
                creds = service_account.Credentials.from_service_account_info(info, scopes=[DRIVE_SCOPE])
            except (ValueError, KeyError) as exc:
                raise ScraperFailure("invalid_secret", f"service-account key rejected: {type(exc).__name__}") from None
            _credentials[fingerprint] = creds
        if not creds.valid:
            try:
                creds.refresh(Request())
            except auth_errors.TransportError as exc:
                raise TransientFailure("connection_error", f"minting a Drive token failed: {exc}") from None
            except auth_errors.RefreshError as exc:
                raise ScraperFailure("auth_error", f"minting a Drive token was refused: {exc}") from None
        token = str(creds.token)
    remember(token)
    return token


def reset_credentials() -> None:
    """Forget cached credentials (tests that change keys)."""
    with _lock:
        _credentials.clear()


class BigDataBallPbp(Scraper):
    """files.list (the game's CSV) then files.get?alt=media (its bytes)."""

    content_type: ClassVar[str] = "text/csv"

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        day = params["date"]
        expected = season_of(parse_date(day))[0]
        season = normalize_season(params["season"]) if params.get("season") else expected
        if season != expected:
            raise InvalidRequest(
                "invalid_parameter", f"season {params['season']} does not contain date {day} ({expected})"
            )
        if params.get("gamedate") and params["gamedate"] != day.replace("-", ""):
            raise InvalidRequest(
                "invalid_parameter", f"gamedate {params['gamedate']} and date {day} name different days"
            )
        return {**params, "season": season}

    def query(self, ctx: Context) -> dict[str, str]:
        game_id = ctx.params["game_id"]
        return {
            "q": f"name contains '{game_id}' and not name contains 'combined-stats' and trashed = false",
            "fields": LIST_FIELDS,
            "orderBy": "modifiedTime desc",
            "pageSize": "20",
            "supportsAllDrives": "true",
            "includeItemsFromAllDrives": "true",
        }

    def fetch(self, http: Any, ctx: Context) -> Fetched:
        assert self.source.auth is not None
        headers = {"Authorization": f"Bearer {drive_token(self.source.auth.secret)}"}
        listing = http.get(self.url(ctx), source=self.source, params=self.query(ctx), headers=headers)
        try:
            chosen = self.choose(load_json(Fetched(listing.body), SOURCE), ctx)
        except ParseError as exc:
            raise ScraperFailure("parse_error", f"Drive files.list answer: {exc}") from None
        if chosen is None:
            return Fetched(body=None, status=listing.status, url=listing.url, retries=listing.retries)
        media = http.get(
            f"{self.url(ctx)}/{chosen['id']}",
            source=self.source,
            params={"alt": "media", "supportsAllDrives": "true"},
            headers=headers,
        )
        return Fetched(
            body=media.body,
            status=media.status,
            content_type=self.content_type,
            headers={
                "drive-file-id": str(chosen["id"]),
                "drive-file-name": str(chosen["name"]),
                "drive-modified-time": str(chosen.get("modifiedTime") or ""),
            },
            url=media.url,
            retries=listing.retries + media.retries,
            retry_waits=listing.retry_waits + media.retry_waits,
        )

    def choose(self, listing: Any, ctx: Context) -> dict[str, Any] | None:
        """The game's CSV among the listed files: the requested `filename`, else the newest (ties: by name)."""
        files = listing.get("files") if isinstance(listing, dict) else None
        if not isinstance(files, list):
            raise ParseError("no 'files' list (not a Drive v3 files.list answer)", source=SOURCE)
        game_id = ctx.params["game_id"]
        wanted = ctx.params.get("filename")
        csvs = []
        for f in files:
            if not isinstance(f, dict) or not f.get("id") or not isinstance(f.get("name"), str):
                raise ParseError("a listed file lacks id/name", source=SOURCE)
            name = f["name"]
            if not name.lower().endswith(".csv") or game_id not in name or "combined-stats" in name:
                continue
            if wanted and name[:-4] != wanted:
                continue
            csvs.append(f)
        if not csvs:
            return None
        return max(csvs, key=lambda f: (str(f.get("modifiedTime") or ""), f["name"]))

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = bigdataball.parse_pbp_csv(fetched.body or b"")
        summary = {**out["summary"], "drive_file": fetched.headers.get("drive-file-name")}
        game_id = ctx.params["game_id"]
        if summary.get("game_id") and summary["game_id"].lstrip("0") != game_id.lstrip("0"):
            raise ParseError(
                f"asked for game {game_id}, the CSV is game {summary['game_id']}", source=bigdataball.SOURCE
            )
        return Parsed(summary["row_count"], summary, out["records"])

    def path_values(self, parsed: Parsed, ctx: Context) -> dict[str, str]:
        if ctx.params.get("filename"):
            return {}
        name = str(parsed.summary.get("drive_file") or "")
        if not name:
            raise ScraperFailure("missing_parameter", "no Drive file name to build {filename} from; pass filename=")
        return {"filename": name[:-4] if name.lower().endswith(".csv") else name}


SCRAPERS: dict[str, type[Scraper]] = {
    "bigdataball_pbp": BigDataBallPbp,
}
