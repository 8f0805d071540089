"""A TCP proxy in front of an emulator that can be switched "down" and back "up" (dependency outages).

    with OutageProxy("127.0.0.1", 9050) as proxy:      # listens on 127.0.0.1:<free port>
        env["BIGQUERY_EMULATOR_HOST"] = proxy.url       # the function talks to the emulator through it
        proxy.down()    # refuse new connections (accepted, then reset at once) and drop every open one
        proxy.up()      # forward again

Why a proxy rather than stopping the emulator: the emulators are shared by every test of the session (and
other engineers' runs); stopping one would break them, and a restarted bqemulator loses its in-memory data.
The proxy gives the function exactly what an outage looks like from its side (connections refused or cut)
while the data behind it survives, so "nothing is lost once it is back" can be checked.
"""

from __future__ import annotations

import socket
import struct
import threading
from typing import Any

HOST = "127.0.0.1"


class OutageProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._up = True
        self._stopping = False
        self.refused = 0  # connections refused while down
        self._cut: list[bytes] = []  # armed "lose the answer" rules (request-line substrings), used once each
        self.cut = 0  # answers lost so far
        self.forwarded = 0  # connections forwarded while up

    @classmethod
    def for_url(cls, url: str) -> OutageProxy:
        """A proxy for an emulator given as `http://host:port` or `host:port`."""
        hostport = url.split("://", 1)[-1].rstrip("/")
        host, port = hostport.rsplit(":", 1)
        return cls(host, int(port))

    # ---- lifecycle ---------------------------------------------------------------------------------------
    def start(self) -> OutageProxy:
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((HOST, 0))
        s.listen(128)
        self._listener = s
        self._thread = threading.Thread(target=self._accept_loop, name="outage-proxy", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        self._drop_all()

    def __enter__(self) -> OutageProxy:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._listener is not None, "start() the proxy first"
        return self._listener.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def hostport(self) -> str:
        return f"{HOST}:{self.port}"

    # ---- switching -----------------------------------------------------------------------------------------
    def down(self) -> None:
        """The dependency is unavailable: open connections are cut, new ones are reset on arrival."""
        with self._lock:
            self._up = False
        self._drop_all()

    def up(self) -> None:
        with self._lock:
            self._up = True

    @property
    def is_up(self) -> bool:
        return self._up

    def lose_answer(self, request_contains: bytes) -> None:
        """The next request whose first bytes (request line) contain `request_contains` reaches the emulator
        and is carried out, but its answer never arrives: the connection is reset instead (a network cut at
        the worst moment: the write happened, the caller does not know)."""
        with self._lock:
            self._cut.append(request_contains)

    # ---- internals ---------------------------------------------------------------------------------------
    @staticmethod
    def _reset(sock: socket.socket) -> None:
        # SO_LINGER 0: close() sends RST, the client sees "connection reset", like a crashed server.
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
        sock.close()

    def _drop_all(self) -> None:
        with self._lock:
            socks, self._open = list(self._open), set()
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self._reset(s)

    def _accept_loop(self) -> None:
        while not self._stopping and self._listener is not None:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                up = self._up
            if not up:
                self.refused += 1
                self._reset(client)
                continue
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                self._reset(client)
                continue
            self.forwarded += 1
            for s in (client, upstream):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._open.update((client, upstream))
            pair = {"left": 2, "cut": False}
            threading.Thread(target=self._pump, args=(client, upstream, pair, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, pair, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, pair: dict[str, Any], to_upstream: bool) -> None:
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if to_upstream and self._cut:
                    head = data[:2048]
                    with self._lock:
                        rule = next((r for r in self._cut if r in head), None)
                        if rule is not None:
                            self._cut.remove(rule)
                            pair["cut"] = True
                elif not to_upstream and pair["cut"]:
                    self.cut += 1
                    # shutdown first: it wakes the other pump blocked in recv() on the client socket (a bare
                    # close() would not, and the client would wait for its read timeout instead).
                    for s in (dst, src):
                        try:
                            s.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass
                        self._reset(s)
                    return
                dst.sendall(data)
        except OSError:
            pass
        try:
            dst.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        with self._lock:
            pair["left"] -= 1
            last = pair["left"] == 0
            if last:
                self._open.discard(src)
                self._open.discard(dst)
        if last:
            src.close()
            dst.close()
