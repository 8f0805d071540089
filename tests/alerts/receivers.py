"""A real local SMTP server (aiosmtpd) started by the tests on a free port (the webhook receiver is
tooling.local.receiver)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes
from typing import Any


@contextmanager
def smtp_receiver() -> Iterator[tuple[str, list[Any]]]:
    """(smtp URL, received email messages)."""
    import socket

    from aiosmtpd.controller import Controller

    got: list[Any] = []

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 - aiosmtpd's name
            msg = message_from_bytes(envelope.content)
            msg["X-Rcpt"] = ",".join(envelope.rcpt_tos)
            got.append(msg)
            return "250 OK"

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctl = Controller(Handler(), hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield f"smtp://127.0.0.1:{port}", got
    finally:
        ctl.stop()
