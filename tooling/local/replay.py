"""A local HTTP server that replays upstream answers: real recordings in tests, the sample day in the demo.

Every scraper request goes to `<override>/<original-host>/<original-path>?<query>` when
NBA_ORCH_UPSTREAM_OVERRIDE is set (shared.scrapers.http), so one server answers for every source:

    from tooling.local.replay import Replay, Reply
    from tests.replay import add_recordings                # the real recordings (tests only)

    with Replay() as rp:                                   # 127.0.0.1, a free port
        add_recordings(rp, upstream_dir)                   # the real recordings at their real URLs
        rp.add("api.balldontlie.io", "/v1/box_scores", query={"date": "2024-01-16"},
               replies=[Reply(429, headers={"Retry-After": "2"}), Reply(file=some_recording)])
        os.environ.update(rp.env())                        # NBA_ORCH_UPSTREAM_OVERRIDE=rp.url
        ...
        rp.hits("api.balldontlie.io", "/v1/box_scores")    # how many requests reached that path
        rp.seen[-1].query, rp.seen[-1].headers             # what the client sent (auth checks)
        rp.seen[-1].at                                     # when it arrived (wall clock: rate-limit checks)

Routes: `add(host, path, *, query=None, replies=[...] | one Reply's fields as keywords, require_headers=None,
require_query=None)`. `query` lists the parameters that must match (decoded values; other parameters are
ignored); the route with the most matching parameters wins, and among equals the one added last, so a test
can override the standard table. `replies` are answered in order, the last one repeating (so
`[Reply(500)] * 3` then nothing more means "500 forever"; `[Reply(500), Reply(500), Reply(file=...)]` means
"fails twice, then answers"). `require_headers`/`require_query` ({name: value, or None for "present"})
answer 401 when the client did not send them (checks auth and per-source headers). Unmatched requests
answer 404 `{"message": "no replay route ..."}` and are listed in `rp.unmatched`.

A `Reply` serves `body` (bytes/str) or `file` (a recording, read in place; `.gz` files are sent as stored
with `Content-Encoding: gzip`, which clients decode like a real server's), with `status`, `headers`,
`delay` (seconds before answering: timeouts), `truncate` (only the first N bytes, with a matching
Content-Length: truncated JSON), `drop` (announce the full length, send half, close: a broken connection)
and `transform` (derive the body from the recording, e.g. the live form of a historical answer).
"""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Reply:
    status: int = 200
    body: bytes | str | None = None
    file: Path | str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: int | None = None
    drop: bool = False
    transform: Callable[[bytes], bytes] | None = None
    content_type: str | None = None

    def payload(self) -> tuple[bytes, dict[str, str]]:
        headers = {"Content-Type": self.content_type or "application/json; charset=utf-8"}
        if self.file is not None:
            raw = Path(self.file).read_bytes()
            is_gz = str(self.file).endswith(".gz")
            if self.transform is not None:
                data = self.transform(gzip.decompress(raw) if is_gz else raw)
            elif is_gz:
                data = raw
                headers["Content-Encoding"] = "gzip"
            else:
                data = raw
            if str(self.file).endswith((".pdf", ".pdf.gz")):
                headers["Content-Type"] = self.content_type or "application/pdf"
            if str(self.file).endswith((".html", ".html.gz")):
                headers["Content-Type"] = self.content_type or "text/html; charset=utf-8"
        elif self.body is not None:
            data = self.body.encode() if isinstance(self.body, str) else self.body
            if self.transform is not None:
                data = self.transform(data)
        else:
            data = b""
        headers.update(self.headers)
        return data, headers


@dataclass
class Route:
    host: str
    path: str
    query: dict[str, str] | None
    replies: list[Reply]
    require_headers: dict[str, str | None] | None = None
    require_query: dict[str, str | None] | None = None
    hits: int = 0
    order: int = 0

    def matches(self, host: str, path: str, query: dict[str, list[str]]) -> bool:
        if host != self.host or path != self.path:
            return False
        return all(query.get(k, [None])[0] == v for k, v in (self.query or {}).items())

    def next_reply(self) -> Reply:
        reply = self.replies[min(self.hits, len(self.replies) - 1)]
        self.hits += 1
        return reply


@dataclass(frozen=True)
class Seen:
    host: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    status: int
    at: float = 0.0  # wall-clock arrival (epoch seconds): what rate-limit checks read (tests/rate_windows.py)


class Replay:
    """The replay server (see the module docstring). Use as a context manager or start()/stop()."""

    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.seen: list[Seen] = []
        self.unmatched: list[str] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._chaos_rate = 0.0
        self._chaos_rng: Any = None
        self.chaos_log: list[tuple[str, str]] = []  # (fault, host+path) of every injected fault

    def chaos(self, rate: float, seed: int = 0, timeout_delay: float = 2.0) -> Replay:
        """Answer a `rate` share of matched requests with a random upstream fault instead: 500, 503, 429 with
        Retry-After, a delay past the client's timeout, truncated JSON, or a body of the wrong shape (for the
        soak and fault-injection runs). Seeded; with concurrent clients the order, hence the draw, can vary."""
        import random

        self._chaos_rate, self._chaos_rng, self._chaos_delay = rate, random.Random(seed), timeout_delay
        return self

    def _chaos_reply(self, host: str, path: str) -> Reply | None:
        if not self._chaos_rate:
            return None
        with self._lock:
            if self._chaos_rng.random() >= self._chaos_rate:
                return None
            kind = self._chaos_rng.choice(["500", "503", "429", "timeout", "truncated", "wrong_shape"])
            self.chaos_log.append((kind, host + path))
        if kind in ("500", "503"):
            return Reply(int(kind), body=b'{"message": "injected upstream failure"}')
        if kind == "429":
            return Reply(429, body=b'{"message": "slow down"}', headers={"Retry-After": "1"})
        if kind == "timeout":
            return Reply(503, body=b"{}", delay=self._chaos_delay)
        if kind == "truncated":
            return Reply(200, body=b'{"data": [{"id": 1, "na', content_type="application/json")
        return Reply(200, body=b'["not", "the", "documented", "shape"]', content_type="application/json")

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def start(self, port: int = 0) -> Replay:
        """Serve on 127.0.0.1:`port` (0: a free one, see `url`)."""
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body go out in separate writes: with Nagle on, a small answer waits for the
            # client's delayed ACK (~40 ms each), which dominated a simulated day's wall time.
            disable_nagle_algorithm = True

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                replay._answer(self)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        server.daemon_threads = True
        server.block_on_close = False
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, name="replay", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Replay:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the replay server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def env(self) -> dict[str, str]:
        return {"NBA_ORCH_UPSTREAM_OVERRIDE": self.url}

    # ---- routing -----------------------------------------------------------------------------------------
    def add(
        self,
        host: str,
        path: str,
        *,
        query: dict[str, str] | None = None,
        replies: list[Reply] | None = None,
        require_headers: dict[str, str | None] | None = None,
        require_query: dict[str, str | None] | None = None,
        **reply: Any,
    ) -> Route:
        """Add a route; `replies` or one Reply's fields as keywords (status=, file=, body=, headers=...)."""
        route = Route(
            host=host,
            path=path,
            query=query,
            replies=list(replies) if replies else [Reply(**reply)],
            require_headers=require_headers,
            require_query=require_query,
            order=len(self.routes),
        )
        with self._lock:
            self.routes.append(route)
        return route

    def hits(self, host: str, path: str | None = None) -> int:
        return sum(1 for s in self.seen if s.host == host and (path is None or s.path == path))

    def _find(self, host: str, path: str, query: dict[str, list[str]]) -> Route | None:
        with self._lock:
            candidates = [r for r in self.routes if r.matches(host, path, query)]
        if not candidates:
            return None
        return max(candidates, key=lambda r: (len(r.query or {}), r.order))

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        host, _, rest = parts.path.lstrip("/").partition("/")
        path = "/" + rest
        query = parse_qs(parts.query, keep_blank_values=True)
        headers = {k.lower(): v for k, v in handler.headers.items()}
        route = self._find(host, path, query)
        if route is None:
            self.unmatched.append(f"{host}{path}?{parts.query}")
            self._send(handler, 404, json.dumps({"message": f"no replay route for {host}{path}"}).encode(), {})
            self._record(host, path, query, headers, 404)
            return
        missing = []
        for name, want in (route.require_headers or {}).items():
            got = headers.get(name.lower())
            if got is None or (want is not None and got != want):
                missing.append(name)
        for name, want in (route.require_query or {}).items():
            got = query.get(name, [None])[0]
            if got is None or (want is not None and got != want):
                missing.append(name)
        if missing:
            self._record(host, path, query, headers, 401)
            body = json.dumps({"message": f"missing or wrong {sorted(set(missing))}"}).encode()
            self._send(handler, 401, body, {})
            return
        reply = self._chaos_reply(host, path) or route.next_reply()
        self._record(host, path, query, headers, reply.status)
        if reply.delay:
            time.sleep(reply.delay)
        data, hdrs = reply.payload()
        if reply.status == 204:
            data = b""
        if reply.truncate is not None:
            data = data[: reply.truncate]
        self._send(handler, reply.status, data, hdrs, drop=reply.drop)

    def _record(self, host: str, path: str, query: dict[str, list[str]], headers: dict[str, str], status: int) -> None:
        with self._lock:
            self.seen.append(Seen(host, path, {k: v[0] for k, v in query.items()}, headers, status, time.time()))

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, data: bytes, headers: dict[str, str], drop: bool = False):
        try:
            handler.send_response(status)
            for k, v in headers.items():
                handler.send_header(k, v)
            if status != 204:
                handler.send_header("Content-Length", str(len(data)))
            if drop:
                handler.send_header("Connection", "close")
            handler.end_headers()
            if status != 204:
                handler.wfile.write(data[: len(data) // 2] if drop else data)
            handler.wfile.flush()
            if drop:
                handler.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout tests)
