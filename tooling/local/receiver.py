"""A local Slack-compatible incoming webhook: records every JSON body posted to it (the simulation's and the
tests' notification receiver; `nba-orch alerts test` can be pointed at it)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class WebhookReceiver:
    """Started on a free local port; `received` holds (monotonic time, body) of every POST."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[tuple[float, dict[str, Any]]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                n = int(self.headers.get("Content-Length") or 0)
                receiver.received.append((time.monotonic(), json.loads(self.rfile.read(n) or b"{}")))
                self.send_response(receiver.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        # a path shaped like Slack's, whose last part is the secret (the tests check it is scrubbed)
        return f"http://127.0.0.1:{self._server.server_address[1]}/services/T000/B000/localsecretpath"

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [b for _, b in self.received]

    def start(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def webhook_receiver(status: int = 200) -> Iterator[WebhookReceiver]:
    r = WebhookReceiver(status).start()
    try:
        yield r
    finally:
        r.stop()
