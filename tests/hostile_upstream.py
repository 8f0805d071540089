"""A hostile upstream for the tests: a real HTTP server (threads, 127.0.0.1, real sockets) that answers the
way a broken or malicious API would. The scrapers reach it through NBA_ORCH_UPSTREAM_OVERRIDE, so a request
arrives as `/<upstream host>/<path>?<query>` with the key exactly as the scraper sent it.

Which misbehaviour a request gets is chosen by the request itself, so many cases can run at once against one
server (one function process handling them all):
- The Odds API events (`/api.the-odds-api.com/v4/sports/basketball_nba/events`): by the ET day asked for
  (the date of `commenceTimeFrom`), see `CASES` and `date_of`;
- BettingPros offers (`/api.bettingpros.com/v3/offers`): `total_pages: 1e400`.

The server counts requests per case (`hits`), which is how the tests see that a permanent failure was not
fetched again (Odds API credits).
"""

from __future__ import annotations

import gzip
import json
import threading
from collections import Counter
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

ODDS_EVENTS = "/api.the-odds-api.com/v4/sports/basketball_nba/events"
BP_OFFERS = "/api.bettingpros.com/v3/offers"
# case -> (expected status, expected error_type, permanent: answered by one delivery)
CASES: dict[str, tuple[str, str | None, bool]] = {
    "redirect_ftp": ("failed", "redirect_refused", True),
    "redirect_loop": ("failed", "redirect_loop", True),
    "redirect_other_host": ("failed", "redirect_refused", True),
    "redirect_bad_port": ("failed", "redirect_refused", True),
    "redirect_same_host": ("success", None, True),
    "bad_gzip": ("failed", "bad_encoding", True),
    "echo_500": ("failed", "http_500", False),
    "echo_401_encoded": ("failed", "http_401", True),
    "huge_headers": ("failed", "bad_response", True),
    "oversize_body": ("failed", "body_too_large", True),
    "oversize_streamed": ("failed", "body_too_large", True),
    "quota_overflow": ("success", None, True),
    "quota_nan": ("success", None, True),
    "commence_year_1": ("failed", "parse_error", True),
    "deep_json": ("failed", "parse_error", True),
}
FIRST_DAY = date(2031, 3, 1)
MAX_BODY = 200_000  # what the tests set as NBA_ORCH_HTTP_MAX_BODY_BYTES
EVENT = {
    "id": "e0000000000000000000000000000001",
    "sport_key": "basketball_nba",
    "commence_time": "2031-03-02T00:30:00Z",
    "home_team": "Atlanta Hawks",
    "away_team": "Golden State Warriors",
}


def date_of(case: str) -> str:
    """The ET day whose Odds API events request gets `case` (one day per case, in CASES' order)."""
    return (FIRST_DAY + timedelta(days=list(CASES).index(case))).isoformat()


def _case_of(day: str) -> str | None:
    try:
        index = (date.fromisoformat(day) - FIRST_DAY).days
    except ValueError:
        return None
    return list(CASES)[index] if 0 <= index < len(CASES) else None


class _Handler(BaseHTTPRequestHandler):
    server: HostileServer  # type: ignore[assignment]
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the tests read `hits`
        pass

    def do_GET(self) -> None:  # noqa: N802 - the http.server API
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if parts.path == BP_OFFERS:
            case = "total_pages_overflow"
        elif parts.path.startswith(ODDS_EVENTS):
            case = _case_of(query.get("commenceTimeFrom", "")[:10]) or "unknown"
            # commenceTimeFrom is 00:00 ET of the day asked for, which is 05:00Z of that same date
        else:
            case = "unknown"
        with self.server.lock:
            self.server.hits[case] += 1
            self.server.paths.append(self.path)
        getattr(self, f"_{case}", self._unknown)(parts, query)

    # ---- helpers --------------------------------------------------------------------------------------
    def _send(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None, length: bool = True) -> None:
        self.send_response(status)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        if length:
            self.send_header("Content-Length", str(len(body)))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        self.wfile.write(body)

    def _json(self, doc: Any, headers: dict[str, str] | None = None) -> None:
        self._send(200, json.dumps(doc).encode(), {"Content-Type": "application/json", **(headers or {})})

    def _redirect(self, location: str) -> None:
        self._send(302, b"", {"Location": location})

    def _own(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}{path}"

    # ---- the cases ------------------------------------------------------------------------------------
    def _unknown(self, parts: Any, query: dict[str, str]) -> None:
        self._send(404, b"no such case")

    def _redirect_ftp(self, parts: Any, query: dict[str, str]) -> None:
        self._redirect(f"ftp://127.0.0.1/steal?{parts.query}")  # with the key the request carried

    def _redirect_loop(self, parts: Any, query: dict[str, str]) -> None:
        self._redirect(self._own(self.path))  # back to itself, key and all

    def _redirect_other_host(self, parts: Any, query: dict[str, str]) -> None:
        self._redirect(f"https://collector.example.net/keys?{parts.query}")

    def _redirect_bad_port(self, parts: Any, query: dict[str, str]) -> None:
        self._redirect(f"http://127.0.0.1:99999{parts.path}")

    def _redirect_same_host(self, parts: Any, query: dict[str, str]) -> None:
        if parts.path.endswith("/moved"):
            self._json([EVENT])
            return
        q = "&".join(f"{k}={quote(v)}" for k, v in query.items() if k != "apiKey")  # the key left out on purpose
        self._redirect(self._own(f"{parts.path}/moved?{q}"))

    def _bad_gzip(self, parts: Any, query: dict[str, str]) -> None:
        body = gzip.compress(json.dumps([EVENT]).encode())[:12] + b"\x00garbage, not deflate" * 20
        self._send(200, body, {"Content-Type": "application/json", "Content-Encoding": "gzip"})

    def _echo_500(self, parts: Any, query: dict[str, str]) -> None:
        self._send(500, f"internal error while serving GET {self.path}".encode(), {"Content-Type": "text/plain"})

    def _echo_401_encoded(self, parts: Any, query: dict[str, str]) -> None:
        key = quote(query.get("apiKey", ""), safe="")
        body = json.dumps({"message": f"API key %{key}% is not valid: apiKey%3D{key}", "key": key})
        self._send(401, body.encode(), {"Content-Type": "application/json"})

    def _huge_headers(self, parts: Any, query: dict[str, str]) -> None:
        self._send(200, b"[]", {"Content-Type": "application/json", "X-Padding": "x" * 70_000})

    def _oversize_body(self, parts: Any, query: dict[str, str]) -> None:
        self._send(200, b"[" + b" " * (MAX_BODY * 2) + b"]", {"Content-Type": "application/json"})

    def _oversize_streamed(self, parts: Any, query: dict[str, str]) -> None:  # no Content-Length: read to the cap
        self._send(200, b"[" + b" " * (MAX_BODY * 2) + b"]", {"Content-Type": "application/json"}, length=False)

    def _quota_overflow(self, parts: Any, query: dict[str, str]) -> None:
        self._json([EVENT], {"x-requests-remaining": "1e400", "x-requests-used": "120", "x-requests-last": "-1e400"})

    def _quota_nan(self, parts: Any, query: dict[str, str]) -> None:
        self._json([EVENT], {"x-requests-remaining": "nan", "x-requests-used": "inf", "x-requests-last": "1"})

    def _commence_year_1(self, parts: Any, query: dict[str, str]) -> None:
        self._json([{**EVENT, "commence_time": "0001-01-01T00:00:00Z"}])

    def _deep_json(self, parts: Any, query: dict[str, str]) -> None:
        self._send(200, b"[" * 100_000 + b"]" * 100_000, {"Content-Type": "application/json"})

    def _total_pages_overflow(self, parts: Any, query: dict[str, str]) -> None:
        body = b'{"offers": [], "_pagination": {"page": 1, "total_pages": 1e400}}'
        self._send(200, body, {"Content-Type": "application/json"})


class HostileServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.hits: Counter[str] = Counter()
        self.paths: list[str] = []
        self._thread: threading.Thread | None = None

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client hanging up mid-answer (the body cap, a refused header) is expected here: not an error."""

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> HostileServer:
        self._thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.shutdown()
        self.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> HostileServer:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
