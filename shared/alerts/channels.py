"""Delivery channels, standard library only: a Slack-compatible incoming webhook (POST {"text": ...}) and
email over SMTP. Both are configured by secrets (shared.secrets, so their values are scrubbed from anything
written): `NBA_ORCH_ALERT_WEBHOOK_URL`; `NBA_ORCH_SMTP_URL` (smtp://user:password@host:port, or smtps://;
`?starttls=1` for STARTTLS), `NBA_ORCH_ALERT_EMAIL_TO` (comma-separated recipients) and optionally
`NBA_ORCH_ALERT_EMAIL_FROM`.
"""

from __future__ import annotations

import json
import smtplib
import urllib.request
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from shared.alerts.notify import Notification
from shared.secrets import get_secret, remember, scrub

WEBHOOK = "NBA_ORCH_ALERT_WEBHOOK_URL"
SMTP = "NBA_ORCH_SMTP_URL"
EMAIL_TO = "NBA_ORCH_ALERT_EMAIL_TO"
EMAIL_FROM = "NBA_ORCH_ALERT_EMAIL_FROM"
TIMEOUT_SECONDS = 10


class DeliveryError(RuntimeError):
    """A channel refused or could not take a notification (the message is scrubbed)."""


@dataclass(frozen=True)
class Channel:
    name: str
    target: str  # for people: scrubbed

    def send(self, n: Notification) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


@dataclass(frozen=True)
class Webhook(Channel):
    url: str = ""

    def send(self, n: Notification) -> None:
        body = json.dumps({"text": n.text, "username": "nba-orch", "severity": n.severity, "kind": n.kind}).encode()
        req = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_SECONDS) as resp:  # noqa: S310 - an operator's URL
                if resp.status >= 300:
                    raise DeliveryError(f"webhook answered HTTP {resp.status}")
        except OSError as exc:
            raise DeliveryError(scrub(f"webhook: {type(exc).__name__}: {exc}")) from None


@dataclass(frozen=True)
class Smtp(Channel):
    url: str = ""
    recipients: tuple[str, ...] = ()
    sender: str = "nba-orch@localhost"

    def send(self, n: Notification) -> None:
        u = urlsplit(self.url)
        q = parse_qs(u.query)
        msg = EmailMessage()
        msg["Subject"] = n.title[:200]
        msg["From"] = self.sender
        msg["To"] = ", ".join(self.recipients)
        msg.set_content(n.text)
        try:
            cls = smtplib.SMTP_SSL if u.scheme == "smtps" else smtplib.SMTP
            with cls(
                u.hostname or "localhost", u.port or (465 if u.scheme == "smtps" else 25), timeout=TIMEOUT_SECONDS
            ) as s:
                if q.get("starttls", ["0"])[0] in ("1", "true"):
                    s.starttls()
                if u.username:
                    s.login(unquote(u.username), unquote(u.password or ""))
                s.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(scrub(f"smtp: {type(exc).__name__}: {exc}")) from None


def configured() -> list[Channel]:
    """The channels whose secrets are set (none: alerts are stored and listed, not sent)."""
    out: list[Channel] = []
    url = get_secret(WEBHOOK)
    if url:
        out.append(Webhook("webhook", scrub(url), url=url))
    smtp = get_secret(SMTP)
    to = get_secret(EMAIL_TO)
    if smtp and to:
        u = urlsplit(smtp)
        if u.password:
            remember(u.password)
        sender = get_secret(EMAIL_FROM) or "nba-orch@localhost"
        out.append(
            Smtp(
                "email",
                f"{u.hostname}:{u.port or ''} -> {len(to.split(','))} recipient(s)",
                url=smtp,
                recipients=tuple(a.strip() for a in to.split(",") if a.strip()),
                sender=sender,
            )
        )
    return out
