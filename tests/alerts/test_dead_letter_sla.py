"""The `dead_letters_empty` SLA gets its input at the ticks: the runtime's peek of the dead-letter subscription
(shared.alerts.dead_letters) on the Pub/Sub emulator, through the real cleanup service handle.

- a dead letter present: the next tick opens the alert, the peek leaves the message where it was (`dlq list`
  still sees it); acknowledged: the following tick resolves it;
- the count is bounded and leaves every message in place; a concurrent holder's messages are counted once it
  releases them (the first pull waits);
- a subscription that cannot be read gives no input (None, one WARNING), never a false OK.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.pubsub import publish
from shared.alerts import dead_letters, service, sla
from shared.cleanup import service as cleanup
from shared.contracts import PubSubMessage, Tick
from tooling import dlq

pytestmark = pytest.mark.emulators

T0 = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)
KEY = sla.alert_key("dead_letters_empty", "dead-letter")


def dead_letter(rt, n: int = 1) -> list[str]:
    """Messages on the dead-letter topic as Pub/Sub forwards them (the original attributes and its own four)."""
    attrs = {
        "scraper_name": "bdl_box_scores",
        "request_id": uuid.uuid4().hex,
        dlq.DELIVERY_COUNT: "5",
        dlq.SOURCE_SUBSCRIPTION: f"{rt.topic('scraper_requests')}-push",
        dlq.SOURCE_PROJECT: rt.project,
        dlq.SOURCE_PUBLISH_TIME: "2026-01-10T14:00:00Z",
    }
    return [publish(rt, "dead_letter", json.dumps({"i": i}).encode(), attrs) for i in range(n)]


def cleanup_tick(as_of: datetime) -> dict:
    """One cleanup run through the function's handle (Runtime and configuration from the environment)."""
    tick = json.dumps(Tick(as_of=as_of).to_json()).encode()
    return cleanup.handle(PubSubMessage(tick, {}, uuid.uuid4().hex, datetime.now(UTC)))


def test_a_dead_letter_opens_the_alert_at_the_next_tick_and_acking_it_resolves_it(rt, monkeypatch) -> None:
    for k, v in rt.env().items():
        monkeypatch.setenv(k, v)
    (mid,) = dead_letter(rt)
    assert cleanup_tick(T0)["alerts"]["opened"] >= 1
    stored = service.list_alerts(rt)[KEY]
    assert stored.resolved_at is None and stored.severity == "ERROR"
    assert stored.detail == "1 message(s) in the dead-letter subscription"
    # the peek left it there: `dlq list` still sees it
    assert [e["id"] for e in dlq.list_dead_letters(rt)] == [mid]
    rows_before = service.list_alerts(rt)

    assert cleanup_tick(T0 + timedelta(minutes=15))["alerts"]["repeated"] >= 1  # still there: counted
    assert service.list_alerts(rt)[KEY].count == 2 and len(service.list_alerts(rt)) == len(rows_before)

    letters = dlq.pull_all(rt)
    assert [d.message_id for d in letters] == [mid]
    dlq.acknowledge(rt, letters)
    assert cleanup_tick(T0 + timedelta(minutes=30))["alerts"]["resolved"] >= 1
    assert service.list_alerts(rt)[KEY].resolved_at == T0 + timedelta(minutes=30)
    assert dlq.list_dead_letters(rt) == []


def test_the_peek_is_bounded_and_leaves_every_message(rt) -> None:
    ids = dead_letter(rt, 5)
    assert dead_letters.peek_count(rt) == 5
    assert dead_letters.peek_count(rt, limit=3) == 3
    assert sorted(e["id"] for e in dlq.list_dead_letters(rt)) == sorted(ids)  # all still there
    assert dead_letters.peek_count(rt) == 5


def test_an_empty_subscription_answers_zero_without_hanging(rt) -> None:
    t0 = time.monotonic()
    assert dead_letters.peek_count(rt) == 0
    assert time.monotonic() - t0 < dead_letters.WAIT_SECONDS + 1.0


def test_messages_held_by_a_concurrent_peek_are_counted_once_released(rt) -> None:
    """Another tick (or `dlq list`) holds them for a moment: a waiting pull receives them when released."""
    dead_letter(rt, 2)
    held = dead_letters.pull_held(rt)
    assert len(held) == 2
    timer = threading.Timer(0.5, dead_letters.release, (rt, [m.ack_id for m in held]))
    timer.start()
    try:
        assert dead_letters.peek_count(rt, wait_seconds=4.0) == 2
    finally:
        timer.join()
    assert dead_letters.peek_count(rt) == 2


def test_an_unreadable_subscription_gives_no_input_and_one_warning(rt, capsys) -> None:
    missing = f"projects/{rt.project}/subscriptions/no-such-{uuid.uuid4().hex[:6]}"
    capsys.readouterr()
    assert dead_letters.peek_count(rt, missing) is None
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if x.startswith("{")]
    (warn,) = [x for x in lines if x.get("error_type") == "dead_letters_unreadable"]
    assert warn["severity"] == "WARNING" and "NotFound" in warn["message"]
    # no input: the rule is not evaluated, so an open alert is neither resolved nor counted
    acfg = sla.AlertsConfig((sla.Rule("dead_letters_empty", "dead_letters_empty", "ERROR"),))
    from shared.config import get_config

    ev = sla.evaluate(get_config(), acfg, [sla.DayState(T0.date(), dead_letters=None)], T0)
    assert ev.results == () and "dead_letters_empty" not in ev.rules


def test_only_cleanup_ticks_judge_the_backlog_so_a_controller_tick_leaves_the_alert_as_it_is(rt) -> None:
    """The controller's evaluation does not peek (its cost; cleanup ticks every 15 minutes anyway): with a
    dead letter waiting it opens nothing, and after the letter is gone it does not resolve cleanup's alert."""
    acfg = sla.AlertsConfig((sla.Rule("dead_letters_empty", "dead_letters_empty", "ERROR"),))
    from shared.config import get_config

    cfg = get_config()
    dead_letter(rt)
    assert service.evaluate_tick(rt, cfg, T0, "master_controller", acfg=acfg)["opened"] == 0
    assert KEY not in service.list_alerts(rt)
    assert service.evaluate_tick(rt, cfg, T0 + timedelta(minutes=5), "cleanup", acfg=acfg)["opened"] == 1
    dlq.acknowledge(rt, dlq.pull_all(rt))
    later = T0 + timedelta(minutes=10)
    assert service.evaluate_tick(rt, cfg, later, "master_controller", acfg=acfg)["resolved"] == 0
    assert service.list_alerts(rt)[KEY].resolved_at is None
    assert service.evaluate_tick(rt, cfg, later + timedelta(minutes=5), "cleanup", acfg=acfg)["resolved"] == 1
