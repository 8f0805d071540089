"""Alerts with identity and a life cycle (pure).

An alert is keyed by rule + subject (`sla.alert_key`). A breach with no open alert of that key opens one; a
breach while it is open only counts (`repeated`: count + 1, last_seen); an evaluation that judges the key's
rule and day and finds no breach resolves it. A later breach of a resolved key opens a new alert (a new
`opened_at`). Transitions are monotonic in logical time: an evaluation at or before the alert's last change
(a redelivered tick, or a late one) changes nothing, which is what makes ticks idempotent and lets the
controller's and cleanup's ticks evaluate the same rules concurrently.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from typing import Any

from shared.alerts.sla import Evaluation, Result
from shared.timeutil import iso_utc, parse_instant

EVENTS = ("opened", "repeated", "resolved")


@dataclass(frozen=True)
class Alert:
    key: str
    rule: str
    subject: str
    severity: str
    opened_at: datetime
    last_seen: datetime
    count: int = 1
    resolved_at: datetime | None = None
    detail: str = ""
    day: date | None = None

    @property
    def open(self) -> bool:
        return self.resolved_at is None

    @property
    def changed_at(self) -> datetime:
        return self.resolved_at or self.last_seen

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("opened_at", "last_seen", "resolved_at"):
            d[k] = iso_utc(d[k]) if d[k] else None
        d["day"] = self.day.isoformat() if self.day else None
        return d

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Alert:
        return cls(
            key=str(d["key"]),
            rule=str(d["rule"]),
            subject=str(d["subject"]),
            severity=str(d["severity"]),
            opened_at=parse_instant(str(d["opened_at"])),
            last_seen=parse_instant(str(d["last_seen"])),
            count=int(d.get("count") or 1),
            resolved_at=parse_instant(str(d["resolved_at"])) if d.get("resolved_at") else None,
            detail=str(d.get("detail") or ""),
            day=date.fromisoformat(d["day"]) if d.get("day") else None,
        )


@dataclass(frozen=True)
class Event:
    """One life-cycle step: what the alert became, and which step it was."""

    event: str
    alert: Alert

    @property
    def token(self) -> str:
        """Unique per step (the notifier's and BigQuery's deduplication key)."""
        a = self.alert
        return f"{a.key}@{iso_utc(a.opened_at)}#{self.event}#{a.count}"


def in_scope(alert: Alert, ev: Evaluation) -> bool:
    """The evaluation judged this alert's rule for its day (or for a later day: an older day is closed)."""
    if alert.rule not in ev.rules:
        return False
    return alert.day is None or not ev.days or alert.day <= max(ev.days)


def step(
    current: Alert | None, result: Result | None, now: datetime, scoped: bool, ev_days: frozenset[date] = frozenset()
) -> Event | None:
    """The one transition of one key at `now` (None: nothing changes). An open alert of a day the evaluation
    no longer covers (`ev_days`) is closed with its day, saying so: a miss is not a recovery."""
    breach = result is not None and not result.ok
    if current is not None and now <= current.changed_at:
        return None  # this evaluation is not newer than the alert's last change (a redelivery, a late tick)
    if breach:
        assert result is not None
        if current is None or not current.open:
            opened = Alert(
                result.key, result.rule, result.subject, result.severity, now, now, 1, None, result.detail, result.day
            )
            return Event("opened", opened)
        return Event(
            "repeated",
            replace(current, last_seen=now, count=current.count + 1, detail=result.detail, severity=result.severity),
        )
    if current is not None and current.open and scoped:
        if result is not None:
            detail = result.detail
        elif current.day is not None and ev_days and current.day not in ev_days:
            detail = f"closed with its day {current.day.isoformat()}: no longer evaluated ({current.detail})"[:1000]
        else:
            detail = "no longer in breach"
        return Event("resolved", replace(current, resolved_at=now, detail=detail))
    return None


def apply(current: Mapping[str, Alert], ev: Evaluation, now: datetime) -> list[Event]:
    """Every transition an evaluation causes, over the stored alerts (pure). Order: opened and repeated in
    the order of the results, then resolved by key."""
    results = {r.key: r for r in ev.results}
    out = []
    for key, r in results.items():
        e = step(current.get(key), r, now, True)
        if e is not None:
            out.append(e)
    for key in sorted(current.keys() - results.keys()):
        a = current[key]
        if a.open:
            e = step(a, None, now, in_scope(a, ev), ev.days)
            if e is not None:
                out.append(e)
    return out
