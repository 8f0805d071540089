"""The dead-letter subscription's backlog, read at cleanup's ticks (the `dead_letters_empty` SLA's input; not
the controller's, see shared.alerts.service), and the pull/release primitives `nba-orch dlq` (tooling/dlq.py)
builds on.

A peek pulls without acknowledging and releases every pulled message at once (ack deadline 0), so the
messages stay where they are; the count is bounded (`sla.DEAD_LETTER_PEEK_LIMIT`, shown as "100+").

Why the first pull waits (`return_immediately` false, `WAIT_SECONDS`): a `return_immediately` pull may answer
empty while messages exist (Google documents it as discouraged for that reason), and two peeks at the same
instant (two deliveries of cleanup's tick, or a tick and `dlq list`) would each hide the messages the other
holds for a few milliseconds; a waiting pull receives them as soon as the other releases them. Measured on the
Pub/Sub emulator: an empty subscription answers an empty response after about (timeout - 1 s) (at once for a
timeout of 1 s or less), a non-empty one answers at once; Google Cloud raises DeadlineExceeded at the timeout
instead (googleapis/python-pubsub#343), read here as "nothing within the wait". Only a real project can check
that last behaviour and the IAM role it needs (roles/pubsub.subscriber on the subscription). The follow-up
pulls (to count past the first answer) return immediately: they can only undercount a non-zero backlog, never
turn it into 0.

When the subscription cannot be read (missing, no permission, unavailable) the peek returns None and logs
one WARNING: the SLA then has no input and is not evaluated (never a false OK).
"""

from __future__ import annotations

import warnings
from typing import Any

from shared import log
from shared.alerts.sla import DEAD_LETTER_PEEK_LIMIT
from shared.runtime import Runtime

WAIT_SECONDS = 1.0  # the first pull's wait: a tick never hangs longer on an empty subscription
PULL_BATCH = 100  # Pub/Sub's pull answers at most this many at a time in practice


def subscription_name(rt: Runtime) -> str:
    """The dead-letter topic's pull subscription (tooling/provision.py locally, deploy settings in the cloud:
    both `<dead-letter topic>-pull`)."""
    return f"projects/{rt.project}/subscriptions/{rt.topic('dead_letter')}-pull"


def pull_held(
    rt: Runtime,
    subscription: str | None = None,
    *,
    max_messages: int = 1000,
    wait_seconds: float = WAIT_SECONDS,
) -> list[Any]:
    """The messages the subscription holds now (ReceivedMessage, one per message id), pulled and NOT
    acknowledged: the caller releases or acknowledges them. The first pull waits up to `wait_seconds`, the
    next ones return immediately; stops when an answer is empty or `max_messages` are held."""
    from shared.clients import subscriber

    client = subscriber(rt.project)
    sub = subscription or subscription_name(rt)
    got: dict[str, Any] = {}
    try:
        _pull_into(client, sub, got, max_messages, wait_seconds)
    except BaseException:
        if got:  # give back what was held before the failure (else it would wait for its ack deadline)
            release(rt, [rm.ack_id for rm in got.values()], sub)
        raise
    return list(got.values())


def _pull_into(client: Any, sub: str, got: dict[str, Any], max_messages: int, wait_seconds: float) -> None:
    from google.api_core.exceptions import DeadlineExceeded

    first = True
    while len(got) < max_messages:
        request = {"subscription": sub, "max_messages": min(PULL_BATCH, max_messages - len(got))}
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", DeprecationWarning)  # return_immediately: deprecated, still honoured
                resp = client.pull(
                    request={**request, "return_immediately": not first},
                    timeout=wait_seconds if first else 10.0,
                    retry=None,
                )
        except DeadlineExceeded:
            if not first:
                raise
            break  # Google Cloud's answer for "nothing within the wait"
        first = False
        if not resp.received_messages:
            break
        fresh = [rm for rm in resp.received_messages if rm.message.message_id not in got]
        dup = [rm.ack_id for rm in resp.received_messages if rm.message.message_id in got]
        if dup:  # a message released by someone else and pulled again: give the second copy back now
            client.modify_ack_deadline(subscription=sub, ack_ids=dup, ack_deadline_seconds=0)
        if not fresh:
            break
        for rm in fresh:
            got[rm.message.message_id] = rm


def release(rt: Runtime, ack_ids: list[str], subscription: str | None = None) -> None:
    """Give pulled messages back at once (ack deadline 0), unchanged."""
    if ack_ids:
        from shared.clients import subscriber

        subscriber(rt.project).modify_ack_deadline(
            subscription=subscription or subscription_name(rt), ack_ids=list(ack_ids), ack_deadline_seconds=0
        )


def acknowledge(rt: Runtime, ack_ids: list[str], subscription: str | None = None) -> None:
    """Remove pulled messages from the subscription for good."""
    if ack_ids:
        from shared.clients import subscriber

        subscriber(rt.project).acknowledge(subscription=subscription or subscription_name(rt), ack_ids=list(ack_ids))


def peek_count(
    rt: Runtime,
    subscription: str | None = None,
    *,
    limit: int = DEAD_LETTER_PEEK_LIMIT,
    wait_seconds: float = WAIT_SECONDS,
) -> int | None:
    """How many messages wait in the dead-letter subscription (at most `limit`), leaving them there; None
    when it cannot be read (one WARNING logged, without the error's text beyond its type and status)."""
    from google.api_core.exceptions import GoogleAPICallError

    sub = subscription or subscription_name(rt)
    held: list[Any] = []
    try:
        held = pull_held(rt, sub, max_messages=limit, wait_seconds=wait_seconds)
        return len(held)
    except GoogleAPICallError as exc:
        log.warning(
            f"dead-letter backlog unreadable ({type(exc).__name__} {getattr(exc, 'code', '')}): the "
            "dead_letters_empty SLA has no input at this tick",
            subscription=sub,
            error_type="dead_letters_unreadable",
        )
        return None
    finally:
        if held:
            try:
                release(rt, [rm.ack_id for rm in held], sub)
            except GoogleAPICallError:  # they come back by themselves at the ack deadline
                log.warning("dead-letter peek: release failed; the messages return at their ack deadline")
