"""A minimal, real HTTP forward proxy for the tests, bound to 127.0.0.1 (own code rather than a dependency:
the tests need two things a packaged proxy does not give without plugins, a host map and a Via mark).

It speaks the forward-proxy protocol a client uses for http:// URLs: absolute-form requests
(`GET http://host:port/path HTTP/1.1`) with `Proxy-Authorization: Basic ...` (wrong or missing: 407). It
resolves the target itself through `hosts` ({"upstream.invalid:8080": ("127.0.0.1", 8080)}), so a target
named `*.invalid` (which never resolves, RFC 6761) is reachable ONLY through this proxy; it forwards the
request without the proxy's hop-by-hop headers and adds `Via: 1.1 nba-orch-test-proxy`, so the upstream can
tell a proxied request from a direct one. CONNECT (https) is not implemented: every local upstream is http.

    with contextlib.closing(ForwardProxy("scraper", "pw", hosts={...}).start()) as proxy:
        os.environ["NBA_STATS_PROXY_URL"] = proxy.url()
        ...
        proxy.forwarded  # absolute URLs it forwarded; proxy.refused: requests answered 407
"""

from __future__ import annotations

import base64
import http.client
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

VIA = "1.1 nba-orch-test-proxy"
HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
}


class ForwardProxy:
    def __init__(self, user: str, password: str, *, hosts: dict[str, tuple[str, int]] | None = None) -> None:
        self.user, self.password = user, password
        self.hosts = dict(hosts or {})
        self.forwarded: list[str] = []
        self.refused = 0
        self._expected = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self._server is not None, "start() the proxy first"
        return self._server.server_address[1]

    def url(self, password: str | None = None) -> str:
        return f"http://{self.user}:{self.password if password is None else password}@127.0.0.1:{self.port}"

    def start(self) -> ForwardProxy:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 (http.server API)
                proxy._forward(self)

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, name="forward-proxy", daemon=True).start()
        return self

    def close(self) -> None:
        """Stop listening (the port then refuses connections: a proxy that is down)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _reply(self, h: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]) -> None:
        h.send_response(status)
        for name, value in headers.items():
            h.send_header(name, value)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _forward(self, h: BaseHTTPRequestHandler) -> None:
        target = urlsplit(h.path)
        if target.scheme != "http" or not target.netloc:
            self._reply(h, 400, b"absolute-form http:// request expected", {"Content-Type": "text/plain"})
            return
        if h.headers.get("Proxy-Authorization") != self._expected:
            with self._lock:
                self.refused += 1
            auth = {"Proxy-Authenticate": 'Basic realm="test"', "Content-Type": "text/plain"}
            self._reply(h, 407, b"proxy authentication required", auth)
            return
        host, port = self.hosts.get(target.netloc, (target.hostname or "", target.port or 80))
        headers = {k: v for k, v in h.headers.items() if k.lower() not in HOP_BY_HOP}
        headers["Via"] = VIA
        upstream = http.client.HTTPConnection(host, port, timeout=10)
        try:
            upstream.request("GET", target.path + (f"?{target.query}" if target.query else ""), headers=headers)
            resp = upstream.getresponse()
            body = resp.read()  # de-chunked, never decoded: a gzip body is relayed as sent
            kept = {k: v for k, v in resp.getheaders() if k.lower() not in HOP_BY_HOP | {"content-length"}}
        except OSError as exc:
            self._reply(h, 502, f"upstream unreachable: {type(exc).__name__}".encode(), {"Content-Type": "text/plain"})
            return
        finally:
            upstream.close()
        with self._lock:
            self.forwarded.append(h.path)
        self._reply(h, resp.status, body, {**kept, "Via": VIA})
