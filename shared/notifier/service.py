"""The notifier role: one alert event (from the alerts topic) through the rule's flood control
(shared.alerts.notify, pure) to the configured channels (shared.alerts.channels).

State: one GCS object per rule (`_nba-orch/notifier/<rule>.json`, shared.claims compare-and-swap), holding
the rule's flood-control state and an outbox. Order: plan and store the plan (the notifications join the
outbox, stamped with the wall-clock time they were planned) in one swap, then send what this delivery planned,
then remove what was sent. Concurrent deliveries of one rule each send only their own plan; a notification
left in the outbox for ORPHAN_SECONDS (its delivery failed or crashed) is sent by the next delivery, a
redelivery included (it plans nothing new: the event's token was seen): at-least-once delivery of every
planned notification, never a second plan. A channel that fails raises RetryLater, so
Pub/Sub redelivers and the outbox is sent again (a notification that reached one channel of two may then be
sent twice to that one: preferred over losing it).
"""

from __future__ import annotations

import json
from typing import Any

from shared import log
from shared.alerts import channels, notify
from shared.alerts.sla import NotifySettings, load_alerts_config
from shared.bucket_layout import object_name, prefix
from shared.contracts import MalformedMessage, PubSubMessage
from shared.errors import PermanentError, RetryLater
from shared.runtime import Runtime
from shared.timeutil import parse_instant

REQUIRED = ("event", "token", "key", "rule", "subject", "severity", "opened_at", "at")


def state_object(rule: str) -> str:
    return object_name("notifier", rule)


def parse_event(msg: PubSubMessage) -> dict[str, Any]:
    try:
        body = json.loads(msg.data)
    except ValueError:
        raise MalformedMessage("alert event is not JSON") from None
    if not isinstance(body, dict):
        raise MalformedMessage("alert event is not a JSON object")
    if body.get("event") == "flush":
        try:
            parse_instant(str(body.get("at")))
        except ValueError:
            raise PermanentError(f"bad flush time {body.get('at')!r}") from None
        return body
    missing = [k for k in REQUIRED if not body.get(k)]
    if missing:
        raise PermanentError(f"alert event without {', '.join(missing)}")
    if body["event"] not in ("opened", "repeated", "resolved"):
        raise PermanentError(f"unknown alert event {body['event']!r}")
    try:
        parse_instant(body["at"])
    except ValueError:
        raise PermanentError(f"bad event time {body['at']!r}") from None
    return body


def _update(rt: Runtime, name: str, rule: str, change: Any) -> tuple[Any, notify.RuleState]:
    """Read the rule's state, apply `change` (pure), store it by compare-and-swap; retried on a conflict."""
    from shared import claims

    for _ in range(8):
        current = claims.read(rt, name)
        state = notify.RuleState.from_json(current.json()) if current else notify.RuleState(rule)
        state = change(state)
        data = json.dumps(state.to_json(), separators=(",", ":")).encode()
        try:
            if current is None:
                got = claims.acquire(rt, name, data)
                if got.won:
                    return got, state
                continue
            return claims.swap(rt, current, data), state
        except claims.ClaimConflict:
            continue
    raise RetryLater(f"notifier state {name} kept changing")


# A planned notification still in the outbox after this long was left by a delivery that failed or crashed:
# any delivery sends it (wall clock: it is about real processes, like a claim's lease).
ORPHAN_SECONDS = 60.0


def _wall_now() -> Any:
    from datetime import UTC, datetime

    return datetime.now(UTC)


def _orphan(item: dict[str, Any]) -> bool:
    try:
        planned = parse_instant(str(item.get("planned_at")))
    except ValueError:
        return True
    return (_wall_now() - planned).total_seconds() >= ORPHAN_SECONDS


def deliver(n: notify.Notification, chans: list[channels.Channel]) -> dict[str, str]:
    """Send one notification through every channel: channel -> "ok" or the (scrubbed) error."""
    out = {}
    for c in chans:
        try:
            c.send(n)
            out[c.name] = "ok"
        except channels.DeliveryError as exc:
            out[c.name] = str(exc)
    return out


def _send_outbox(rt: Runtime, name: str, state: notify.RuleState, chans: list[channels.Channel]) -> tuple[int, dict]:
    """Send these outbox items, then remove what was sent and mark what failed (sent by a later delivery)."""
    sent, failed = [], {}
    for item in list(state.outbox):
        n = notify.Notification.from_json(item)
        results = deliver(n, chans) if chans else {}
        if all(v == "ok" for v in results.values()):
            sent.append(n.id)
            log.info(f"notifier: sent {n.kind} {n.title}", rule=n.rule, notification=n.kind, channels=list(results))
        else:
            failed[n.id] = results
    if sent or failed:

        def settle(st: notify.RuleState) -> notify.RuleState:
            st.outbox = [o for o in st.outbox if o.get("id") not in sent]
            for o in st.outbox:
                if o.get("id") in failed:
                    o["planned_at"] = ""  # failed: any later delivery (the redelivery first) sends it
            return st

        _update(rt, name, state.rule, settle)
    return len(sent), failed


def process(rt: Runtime, event: dict[str, Any], *, settings: NotifySettings | None = None) -> dict[str, Any]:
    """One alert event (or a tick's flush) through flood control and out to every configured channel."""
    from shared.adapters.gcs import iter_objects

    s = settings or load_alerts_config().notify
    now = parse_instant(event["at"])
    chans = channels.configured()
    mine: set[str] = set()

    def stamped(step: Any) -> Any:
        """Apply `step` and stamp what it added to the outbox: this delivery sends those (and orphans)."""

        def change(st: notify.RuleState) -> notify.RuleState:
            before = {o.get("id") for o in st.outbox}
            st = step(st)
            wall = _wall_now()
            for o in st.outbox:
                if o.get("id") not in before:
                    o["planned_at"] = wall.isoformat()
                    mine.add(o["id"])
            return st

        return change

    if event["event"] == "flush":
        names = [n for n, _c, _m in iter_objects(rt, prefix("notifier"))]
        todo = [(n, stamped(lambda st: notify.flush(st, now, s)[0])) for n in names]
    else:
        todo = [(state_object(event["rule"]), stamped(lambda st: notify.plan(st, event, now, s)[0]))]
    sent, failed = 0, {}
    for name, change in todo:
        rule = name[len(prefix("notifier")) : -len(".json")]
        _claim, state = _update(rt, name, rule, change)
        state.outbox = [o for o in state.outbox if o.get("id") in mine or _orphan(o)]
        n, f = _send_outbox(rt, name, state, chans)
        sent += n
        failed.update(f)
    if failed:
        raise RetryLater(f"notifier: {len(failed)} notification(s) not delivered: {failed}")
    return {"event": event["event"], "key": event.get("key"), "sent": sent, "channels": [c.name for c in chans]}


def handle(msg: PubSubMessage, *, rt: Runtime | None = None) -> dict[str, Any]:
    """The Cloud Function's work: one alert event."""
    return process(rt or Runtime.from_env(), parse_event(msg))
