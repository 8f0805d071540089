"""Alert event messages as the alerts topic carries them (shared.alerts.service.event_message), for the
notifier's tests and the flood benchmark."""

from __future__ import annotations

from datetime import datetime


def alert_event(
    kind: str, key: str, at: datetime, count: int = 1, opened: datetime | None = None, rule: str = "source_not_blocked"
) -> dict:
    opened = opened or at
    return {
        "event": kind,
        "key": key,
        "rule": rule,
        "subject": key,
        "severity": "ERROR",
        "detail": "blocked since 10:00 ET",
        "count": count,
        "opened_at": opened.isoformat(),
        "at": at.isoformat(),
        "token": f"{key}@{opened.isoformat()}#{kind}#{count}",
    }
