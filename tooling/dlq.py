"""Dead letters you can act on: list what the dead-letter subscription holds, and replay messages to the topic
they came from.

Pub/Sub forwards a message to the dead-letter topic after the source subscription's `max_delivery_attempts`,
with the original data and attributes plus its own: `CloudPubSubDeadLetterSourceDeliveryCount`,
`...SourceSubscription` (the short name), `...SourceSubscriptionProject` and `...SourceTopicPublishTime`. The
Pub/Sub emulator sets the same four (checked in tests/reliability/test_dead_letters.py); what it does not set
is the push body's `deliveryAttempt`, so locally a function never knows its last attempt (see
tests/reliability/test_poison_messages.py). Every attribute is still optional here. No attribute says *why*
the deliveries failed: that is in the function's log lines, so each entry carries the Cloud Logging filter
that finds them (the message's request id or scraper, else the source subscription).

Listing pulls without acknowledging and then releases every message at once (ack deadline 0), so it changes
nothing; the pull and release are the runtime's (shared.alerts.dead_letters: the ticks peek the same way for
the `dead_letters_empty` SLA). Replay republishes the data and the original attributes (the dead-letter ones dropped, a
`nba_orch_replay_of` attribute added) to the source subscription's topic, then acknowledges the dead letter;
every handler is idempotent, so replaying a message whose work was done meanwhile is harmless.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.alerts import dead_letters
from shared.runtime import Runtime

PREFIX = "CloudPubSubDeadLetterSource"
DELIVERY_COUNT = f"{PREFIX}DeliveryCount"
SOURCE_SUBSCRIPTION = f"{PREFIX}Subscription"
SOURCE_PROJECT = f"{PREFIX}SubscriptionProject"
SOURCE_PUBLISH_TIME = f"{PREFIX}TopicPublishTime"
REPLAY_OF = "nba_orch_replay_of"
# Message attributes that identify the work (our contracts' attributes()); shown and used in the log filter.
KEY_ATTRIBUTES = ("scraper_name", "workflow", "request_id", "execution_id", "status")
PREVIEW_CHARS = 300


@dataclass(frozen=True)
class DeadLetter:
    message_id: str
    publish_time: datetime | None
    data: bytes
    attributes: dict[str, str]
    ack_id: str

    @property
    def original_attributes(self) -> dict[str, str]:
        return {k: v for k, v in self.attributes.items() if not k.startswith(PREFIX) and k != REPLAY_OF}

    @property
    def source_subscription(self) -> str | None:
        sub = self.attributes.get(SOURCE_SUBSCRIPTION)
        if not sub:
            return None
        if "/" in sub:
            return sub
        project = self.attributes.get(SOURCE_PROJECT)
        return f"projects/{project}/subscriptions/{sub}" if project else sub

    def describe(self, topic: str | None) -> dict[str, Any]:
        """What, why, how many attempts: one entry of `nba-orch dlq list`."""
        count = self.attributes.get(DELIVERY_COUNT)
        attrs = self.original_attributes
        return {
            "id": self.message_id,
            "dead_lettered_at": self.publish_time.isoformat() if self.publish_time else None,
            "source_subscription": self.source_subscription,
            "source_topic": topic,
            "originally_published_at": self.attributes.get(SOURCE_PUBLISH_TIME),
            "delivery_attempts": int(count) if count and count.isdigit() else None,
            "attributes": attrs,
            "payload": _preview(self.data),
            "why": (
                f"delivered {count or 'max_delivery_attempts'} times without being acknowledged (each delivery "
                "raised: a dependency kept failing); the reasons are in the function's log lines"
            ),
            "log_filter": log_filter(attrs, self.source_subscription),
            "replayed_from": self.attributes.get(REPLAY_OF),
        }


def _preview(data: bytes) -> Any:
    try:
        return json.loads(data)
    except ValueError:
        text = data[:PREVIEW_CHARS].decode("utf-8", errors="replace")
        return text + ("..." if len(data) > PREVIEW_CHARS else "")


def log_filter(attributes: dict[str, str], subscription: str | None) -> str:
    """A Cloud Logging filter for the failed deliveries' lines (`gcloud logging read '<filter>'`)."""
    for key in ("request_id", "execution_id"):
        if attributes.get(key):
            return f'jsonPayload.{key}="{attributes[key]}" AND severity>=WARNING'
    if attributes.get("scraper_name"):
        return f'jsonPayload.scraper_name="{attributes["scraper_name"]}" AND severity>=WARNING'
    name = (subscription or "").rsplit("/", 1)[-1]
    return f'severity>=WARNING AND "{name}"' if name else "severity>=WARNING"


def pull_all(rt: Runtime, subscription: str | None = None, *, max_messages: int = 1000) -> list[DeadLetter]:
    """Every message the subscription holds now, not acknowledged (release or ack them afterwards); the
    runtime's pull (shared.alerts.dead_letters, also the ticks' peek)."""
    out = []
    for rm in dead_letters.pull_held(rt, subscription, max_messages=max_messages):
        m = rm.message
        pt = m.publish_time
        at = pt if isinstance(pt, datetime) else None
        out.append(DeadLetter(m.message_id, at, m.data, dict(m.attributes), rm.ack_id))
    return out


def release(rt: Runtime, letters: list[DeadLetter], subscription: str | None = None) -> None:
    """Give the messages back at once (ack deadline 0), unchanged."""
    dead_letters.release(rt, [d.ack_id for d in letters], subscription)


def acknowledge(rt: Runtime, letters: list[DeadLetter], subscription: str | None = None) -> None:
    dead_letters.acknowledge(rt, [d.ack_id for d in letters], subscription)


def source_topics(rt: Runtime, letters: list[DeadLetter]) -> dict[str, str | None]:
    """Source subscription -> its topic (None when the subscription is gone or unreadable)."""
    from google.api_core.exceptions import GoogleAPICallError

    from shared.clients import subscriber

    out: dict[str, str | None] = {}
    for sub in {d.source_subscription for d in letters if d.source_subscription}:
        try:
            out[sub] = subscriber(rt.project).get_subscription(subscription=sub).topic
        except GoogleAPICallError:
            out[sub] = None
    return out


def list_dead_letters(rt: Runtime, subscription: str | None = None) -> list[dict[str, Any]]:
    letters = pull_all(rt, subscription)
    try:
        topics = source_topics(rt, letters)
        return [d.describe(topics.get(d.source_subscription or "")) for d in letters]
    finally:
        release(rt, letters, subscription)


def replay(
    rt: Runtime,
    *,
    ids: list[str] | None = None,
    dry_run: bool = False,
    subscription: str | None = None,
) -> dict[str, Any]:
    """Republish the selected dead letters (`ids`, or all when None) to their source topics and acknowledge
    them; a message whose topic cannot be found stays where it is, reported as an error."""
    from shared.clients import publisher

    letters = pull_all(rt, subscription)
    chosen = [d for d in letters if ids is None or d.message_id in ids]
    replayed: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    done: list[DeadLetter] = []
    try:
        topics = source_topics(rt, chosen)
        for d in chosen:
            topic = topics.get(d.source_subscription or "")
            if not topic:
                errors.append({"id": d.message_id, "error": f"source topic unknown ({d.source_subscription})"})
                continue
            attrs = {**d.original_attributes, REPLAY_OF: d.message_id}
            entry: dict[str, Any] = {"id": d.message_id, "topic": topic, "attributes": attrs}
            if not dry_run:
                try:
                    entry["new_message_id"] = publisher(rt.project).publish(topic, d.data, **attrs).result(timeout=60)
                except Exception as exc:
                    errors.append({"id": d.message_id, "error": f"publish to {topic} failed: {exc!r}"})
                    continue
                done.append(d)
            replayed.append(entry)
        acknowledge(rt, done, subscription)
    finally:
        release(rt, [d for d in letters if d not in done], subscription)
    found = {d.message_id for d in letters}
    missing = sorted(set(ids or ()) - found)
    errors += [{"id": i, "error": "not in the dead-letter subscription"} for i in missing]
    return {"dry_run": dry_run, "replayed": replayed, "errors": errors, "remaining": len(letters) - len(done)}
