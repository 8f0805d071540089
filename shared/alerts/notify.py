"""The notifier's flood control, as a pure plan: (the rule's delivery state, one alert event, now) ->
(the new state, the notifications to send).

Per rule (the alert "signature"), in the spirit of Alertmanager's grouping and of the fix of the system we
replace (at most 5 an hour per signature, aggregation after 3, a 60-minute cool-down):
- an opened alert is sent on its own while at most `digest_after` alerts of its rule are open and the rule
  has sent fewer than `max_per_hour_per_rule` notifications in the last hour; otherwise it waits in the
  rule's digest;
- a digest (every waiting event, so none is lost) is sent at most once per `cooldown_minutes` per rule; the
  first one waits `group_wait_minutes` for more alerts to join it;
- a repeat is counted, and recalled at most once per `remind_after_minutes` per rule (one reminder for the
  rule, saying how many of its alerts are still open; never within the key's cool-down);
- a resolution is sent for an alert that was notified (on its own, or in a digest, when the budget is spent);
  an alert that opened and resolved while waiting is listed in the digest as both;
- a redelivered event (same token) changes nothing.
`now` is the event's logical time (never the wall clock), so a replayed night plans the same notifications.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from shared.alerts.sla import SEVERITIES, NotifySettings
from shared.timeutil import iso_utc, parse_instant

SEEN_KEPT = 2000  # tokens remembered per rule (a redelivery comes within minutes)


@dataclass
class Notification:
    kind: str  # alert | reminder | resolved | digest | test
    rule: str
    severity: str
    title: str
    text: str
    tokens: list[str] = field(default_factory=list)
    id: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> Notification:
        return cls(**{k: d[k] for k in ("kind", "rule", "severity", "title", "text", "tokens", "id") if k in d})


@dataclass
class RuleState:
    """What the notifier remembers about one rule (stored as JSON, one object per rule)."""

    rule: str
    sent: list[str] = field(default_factory=list)  # times of the notifications of the last hour
    notified: dict[str, str] = field(default_factory=dict)  # key -> time it was last notified
    open_keys: list[str] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)  # events waiting for a digest
    last_digest: str | None = None
    last_reminder: str | None = None  # one reminder per rule per remind_after (Alertmanager: per group)
    digests: int = 0  # digests sent in the current storm (the interval doubles with each, up to remind_after)
    seen: list[str] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)  # planned, not yet confirmed sent

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, d: dict[str, Any]) -> RuleState:
        return cls(**d)


def _line(e: dict[str, Any]) -> str:
    return f"[{e['severity']}] {e['event']} {e['subject']} (x{e.get('count', 1)}): {e.get('detail', '')}"


def _single(kind: str, e: dict[str, Any]) -> Notification:
    verb = {"alert": "OPEN", "reminder": "STILL OPEN", "resolved": "RESOLVED"}[kind]
    title = f"{verb} [{e['severity']}] {e['rule']}: {e['subject']}"
    text = f"{title}\n{e.get('detail', '')}\nopened {e['opened_at']}, seen {e.get('count', 1)} time(s)"
    if kind == "resolved":
        text += f", resolved {e.get('resolved_at')}"
    return Notification(kind, e["rule"], e["severity"], title, text, [e["token"]], id=f"{kind}:{e['token']}")


def _reminder(state: RuleState, e: dict[str, Any]) -> Notification:
    """One reminder for the rule: the alert that triggered it, and how many of the rule are still open."""
    n = _single("reminder", e)
    others = len(state.open_keys) - 1
    if others > 0:
        n.title += f" (and {others} more of {e['rule']} still open)"
        n.text = n.title + n.text[n.text.index("\n") :]
    return n


def _digest(rule: str, pending: list[dict[str, Any]], now: datetime) -> Notification:
    worst = max((e["severity"] for e in pending), key=SEVERITIES.index)
    opened = sum(e["event"] == "opened" for e in pending)
    resolved = sum(bool(e["event"] == "resolved" or e.get("resolved")) for e in pending)
    title = f"DIGEST [{worst}] {rule}: {len(pending)} event(s) ({opened} opened, {resolved} resolved)"
    lines = [_line(e) + (" - since resolved" if e.get("resolved") else "") for e in pending]
    tokens = [t for e in pending for t in [e["token"], *e.get("also", [])]]
    return Notification(
        "digest", rule, worst, title, "\n".join([title, *lines]), tokens, id=f"digest:{rule}:{iso_utc(now)}"
    )


def plan(
    state: RuleState, event: dict[str, Any], now: datetime, s: NotifySettings
) -> tuple[RuleState, list[Notification]]:
    """One event (an alert message's body: event, token, key, rule, subject, severity, detail, count...)
    through the rule's flood control. Mutates and returns `state`."""
    token = event["token"]
    if token in state.seen:
        return state, []
    state.seen = [*state.seen, token][-SEEN_KEPT:]
    hour_ago = now - timedelta(hours=1)
    state.sent = [t for t in state.sent if parse_instant(t) > hour_ago]
    key, kind = event["key"], event["event"]
    out: list[Notification] = []

    def budget() -> bool:
        return len(state.sent) + len(out) < s.max_per_hour_per_rule

    def since(t: str | None) -> timedelta:
        return now - parse_instant(t) if t else timedelta.max

    loud = SEVERITIES.index(event["severity"]) >= SEVERITIES.index(s.min_severity)
    if kind == "opened":
        if key not in state.open_keys:
            state.open_keys.append(key)
        cooled = since(state.notified.get(key)) >= timedelta(minutes=s.cooldown_minutes)
        if not loud:
            pass
        elif len(state.open_keys) <= s.digest_after and budget() and cooled and not state.pending and not state.digests:
            out.append(_single("alert", event))
        else:
            state.pending.append(dict(event))
    elif kind == "repeated":
        waiting = next((p for p in state.pending if p["key"] == key and not p.get("resolved")), None)
        if waiting is not None:
            waiting["count"] = event.get("count", 1)
            waiting.setdefault("also", []).append(token)
        elif (
            loud
            and key in state.notified
            and since(state.notified[key]) >= timedelta(minutes=max(s.remind_after_minutes, s.cooldown_minutes))
            and since(state.last_reminder) >= timedelta(minutes=s.remind_after_minutes)
            and budget()
        ):
            out.append(_reminder(state, event))
            state.last_reminder = iso_utc(now)
    elif kind == "resolved":
        if key in state.open_keys:
            state.open_keys.remove(key)
        waiting = next((p for p in state.pending if p["key"] == key and p["event"] == "opened"), None)
        if waiting is not None:  # never sent on its own: the digest lists it as opened and resolved
            waiting["resolved"] = True
            waiting.setdefault("also", []).append(token)
        elif key in state.notified:
            if budget() and not state.pending and not state.digests:
                out.append(_single("resolved", event))
            else:
                state.pending.append(dict(event))
    out += _flush(state, now, s, budget())
    for n in out:
        if n.kind in ("alert", "reminder"):
            state.notified[key] = iso_utc(now)
        elif n.kind == "resolved":
            state.notified.pop(key, None)
        state.sent.append(iso_utc(now))
    state.outbox.extend(n.to_json() for n in out)
    return state, out


def digest_due(state: RuleState, now: datetime, s: NotifySettings) -> bool:
    """A digest is due: the first of a storm after `group_wait`; the next ones after the cool-down, doubled
    with every digest of the storm (up to `remind_after`); at once when every alert of the rule resolved."""
    if not state.pending:
        return False
    if not state.open_keys:
        return True  # the storm is over: the all-clear digest
    if not state.digests:
        oldest = min(parse_instant(p["at"]) for p in state.pending)
        return now - oldest >= timedelta(minutes=s.group_wait_minutes)
    interval = min(s.cooldown_minutes * 2 ** (state.digests - 1), max(s.remind_after_minutes, s.cooldown_minutes))
    return state.last_digest is None or now - parse_instant(state.last_digest) >= timedelta(minutes=interval)


def _flush(state: RuleState, now: datetime, s: NotifySettings, budget: bool) -> list[Notification]:
    if not budget or not digest_due(state, now, s):
        return []
    n = _digest(state.rule, state.pending, now)
    for p in state.pending:
        if p["event"] == "opened" and not p.get("resolved"):
            state.notified[p["key"]] = iso_utc(now)
        elif p["event"] == "resolved" or p.get("resolved"):
            state.notified.pop(p["key"], None)
    state.pending = []
    state.last_digest = iso_utc(now)
    state.digests = 0 if not state.open_keys else state.digests + 1
    return [n]


def flush(state: RuleState, now: datetime, s: NotifySettings) -> tuple[RuleState, list[Notification]]:
    """A tick's flush message: send the rule's digest if one is due (no alert event needed)."""
    hour_ago = now - timedelta(hours=1)
    state.sent = [t for t in state.sent if parse_instant(t) > hour_ago]
    out = _flush(state, now, s, len(state.sent) < s.max_per_hour_per_rule)
    for _ in out:
        state.sent.append(iso_utc(now))
    state.outbox.extend(n.to_json() for n in out)
    return state, out
