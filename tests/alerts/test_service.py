"""Alerts on the emulators: a tick opens, counts and resolves alerts (GCS state, BigQuery audit, alerts
topic), idempotently; the notifier delivers to a real local webhook and SMTP server without flooding."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from shared import run_ledger
from shared.alerts import service, sla
from shared.config import get_config
from shared.contracts import PubSubMessage
from shared.errors import RetryLater
from shared.notifier import service as notifier
from tests.alerts.events import alert_event
from tests.alerts.receivers import smtp_receiver
from tests.conftest import pull_all
from tooling.local.receiver import webhook_receiver
from tooling.provision import ensure_pull_subscription
from tooling.status import list_alerts

CFG = get_config()
# Only the rules the run ledger feeds (no schedule in these runtimes): blocking and drift.
ACFG = sla.AlertsConfig(
    tuple(r for r in sla.load_alerts_config().rules if r.name in ("source_not_blocked", "schema_drift")),
    sla.load_alerts_config().notify,
)
T0 = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)  # 10:00 ET


def run_row(at: datetime, *, error_type: str | None = None, status: str = "failed") -> dict:
    return {
        "execution_id": uuid.uuid4().hex,
        "scraper_name": "nbac_player_list",
        "workflow": "morning_operations",
        "status": status,
        "triggered_at": at,
        "error_type": error_type,
        "data_summary": {},
        "opts": {"params": {}},
    }


def tick(rt, now: datetime) -> dict:
    states = service.read_states(rt, CFG, now)
    return service.evaluate_tick(rt, CFG, now, "cleanup", acfg=ACFG, states=states)


def test_a_blocked_source_opens_once_counts_resolves_and_is_audited(rt, capsys) -> None:
    sub = ensure_pull_subscription(rt, "alerts", f"{rt.topic('alerts')}-t{uuid.uuid4().hex[:6]}")
    for i in range(8):
        run_ledger.write(rt, CFG, run_row(T0 + timedelta(minutes=10 * i), error_type="blocked"))
    source = CFG.scrapers["nbac_player_list"].source
    key = sla.alert_key("source_not_blocked", source)
    first = T0 + timedelta(minutes=75)
    assert tick(rt, first)["opened"] == 1
    assert tick(rt, first) == {"breaches": 1, "opened": 0, "repeated": 0, "resolved": 0, "republished": 0}  # redelivery
    assert tick(rt, first + timedelta(minutes=15))["repeated"] == 1
    run_ledger.write(rt, CFG, run_row(first + timedelta(minutes=20), status="success"))
    assert tick(rt, first + timedelta(minutes=30))["resolved"] == 1
    assert tick(rt, first + timedelta(minutes=45))["resolved"] == 0

    stored = service.list_alerts(rt)[key]
    assert stored.count == 2 and stored.resolved_at == first + timedelta(minutes=30)
    msgs = pull_all(rt, "alerts", sub, expect=8)
    events = [json.loads(m.data)["event"] for m in msgs]
    assert sorted(e for e in events if e != "flush") == ["opened", "repeated", "resolved"]
    assert events.count("flush") == 5  # one per tick (the notifier sends due digests on it)
    # the contract with the log-based metrics: one line per step, at the alert's own severity
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"alert_event"' in x]
    assert [(x["alert_event"], x["severity"], x["alert_severity"], x["alert_key"]) for x in lines] == [
        ("opened", "ERROR", "ERROR", key),
        ("repeated", "ERROR", "ERROR", key),
        ("resolved", "ERROR", "ERROR", key),
    ]
    listed = list_alerts(rt, CFG, T0.date())
    assert [(a["key"], a["event"], a["count"]) for a in listed] == [(key, "resolved", 2)]
    assert list_alerts(rt, CFG, T0.date(), only_open=True) == []


def message(data: dict, mid: str = "m1") -> PubSubMessage:
    return PubSubMessage(json.dumps(data).encode(), {}, mid, T0)


def test_the_notifier_reaches_webhook_and_smtp_once_and_resolves_once(rt, monkeypatch) -> None:
    with webhook_receiver() as hook, smtp_receiver() as (smtp, mails):
        url = hook.url
        monkeypatch.setenv("NBA_ORCH_ALERT_WEBHOOK_URL", url)
        monkeypatch.setenv("NBA_ORCH_SMTP_URL", smtp)
        monkeypatch.setenv("NBA_ORCH_ALERT_EMAIL_TO", "oncall@example.org, data@example.org")
        for e in [alert_event("opened", "nba_com", T0)] * 2 + [
            alert_event("repeated", "nba_com", T0 + timedelta(minutes=15), 2)
        ]:
            notifier.handle(message(e), rt=rt)  # the open redelivered, then a repeat within the cool-down
        notifier.handle(message(alert_event("resolved", "nba_com", T0 + timedelta(minutes=30), 2)), rt=rt)
        assert [h["text"].split("\n")[0] for h in hook.bodies] == [
            "OPEN [ERROR] source_not_blocked: nba_com",
            "RESOLVED [ERROR] source_not_blocked: nba_com",
        ]
        assert [m["Subject"] for m in mails] == [h["text"].split("\n")[0] for h in hook.bodies]
        assert mails[0]["X-Rcpt"] == "oncall@example.org,data@example.org"
        assert all("localsecretpath" not in json.dumps(h) for h in hook.bodies)


def test_a_failing_channel_is_retried_from_the_outbox(rt, monkeypatch) -> None:
    with webhook_receiver(status=500) as hook:
        url = hook.url
        monkeypatch.setenv("NBA_ORCH_ALERT_WEBHOOK_URL", url)
        with pytest.raises(RetryLater) as exc:
            notifier.handle(message(alert_event("opened", "odds_api", T0)), rt=rt)
        assert "localsecretpath" not in str(exc.value)  # the webhook URL is a secret: scrubbed
    with webhook_receiver() as hook:
        monkeypatch.setenv("NBA_ORCH_ALERT_WEBHOOK_URL", hook.url)
        notifier.handle(message(alert_event("opened", "odds_api", T0)), rt=rt)  # the redelivery
        notifier.handle(message(alert_event("opened", "odds_api", T0)), rt=rt)  # once more: nothing left to send
        assert [h["text"].split("\n")[0] for h in hook.bodies] == ["OPEN [ERROR] source_not_blocked: odds_api"]


def test_a_burst_is_digested_and_flushed_by_a_tick(rt, monkeypatch) -> None:
    with webhook_receiver() as hook:
        monkeypatch.setenv("NBA_ORCH_ALERT_WEBHOOK_URL", hook.url)
        hooks = hook.received
        for i in range(40):
            notifier.handle(message(alert_event("opened", f"s{i}", T0)), rt=rt)
        assert len(hooks) == 3
        notifier.handle(message({"event": "flush", "at": (T0 + timedelta(minutes=15)).isoformat()}), rt=rt)
        assert len(hooks) == 4 and hooks[-1][1]["text"].startswith("DIGEST [ERROR] source_not_blocked: 37 event(s)")


def test_ticks_are_marked_and_a_missed_controller_tick_opens_one_alert(rt) -> None:
    from shared.adapters.gcs import iter_objects
    from shared.controller.service import run_tick

    et10 = datetime(2026, 1, 10, 11, 0, tzinfo=UTC)  # 06:00 ET
    for h in (0, 1, 3, 4):  # 06, 07, 09, 10 ET ran; 08 ET did not
        run_tick(rt, CFG, et10 + timedelta(hours=h), games=())
    names = [n for n, _c, _m in iter_objects(rt, "_nba-orch/ticks/2026-01-10/master_controller/")]
    assert len(names) == 4
    alerts = service.list_alerts(rt)
    ticks = alerts[sla.alert_key("controller_ticks_ran", "2026-01-10")]
    assert ticks.open and "missing 08:00 ET" in ticks.detail
    assert ticks.opened_at == et10 + timedelta(hours=3)  # due once its grace passed (the 09:00 tick)


def test_the_controller_evaluates_beside_its_fan_out_with_the_delivery_labels(rt, capsys) -> None:
    """The SLA evaluation runs while the tick's requests are published (shared.controller.service, step 5: a
    rendezvous that only concurrent calls can pass) and is over when the tick returns; its log lines keep the
    delivery's labels (the log-based metrics select on them)."""
    import threading

    from shared import log
    from shared.adapters import pubsub
    from shared.controller.service import run_tick

    meet = threading.Barrier(2, timeout=10)
    evaluations: list[str] = []  # "started", then "over"
    real_eval, real_publish = service.evaluate_tick, pubsub.publish_many

    def evaluating(*a, **k):
        evaluations.append("started")
        meet.wait()
        try:
            return real_eval(*a, **k)
        finally:
            evaluations.append("over")

    def publishing(rt_, key, messages):
        if key == "scraper_requests":
            meet.wait()
        return real_publish(rt_, key, messages)

    et10 = datetime(2026, 1, 10, 11, 0, tzinfo=UTC)  # 06:00 ET
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(service, "evaluate_tick", evaluating)
        mp.setattr(pubsub, "publish_many", publishing)
        with log.bound(function="master_controller", request_id="delivery-7"):
            for h in (0, 3):  # 08:00 ET is missed: the 09:00 tick opens controller_ticks_ran
                result = run_tick(rt, CFG, et10 + timedelta(hours=h), games=())
                assert result.published > 0 and evaluations[-1] == "over"
    assert evaluations == ["started", "over"] * 2
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"alert_event"' in x]
    opened = [x for x in lines if x["alert_rule"] == "controller_ticks_ran" and x["alert_event"] == "opened"]
    assert len(opened) == 1
    assert opened[0]["logging.googleapis.com/labels"]["request_id"] == "delivery-7"
    assert opened[0]["logging.googleapis.com/labels"]["function"] == "master_controller"
    assert service.list_alerts(rt)[sla.alert_key("controller_ticks_ran", "2026-01-10")].open


def test_only_cleanup_ticks_flush_the_notifier_and_a_quiet_controller_tick_publishes_nothing(rt) -> None:
    """Cleanup's 15-minute ticks carry the flush (the controller's fall on the same quarter marks); a
    controller tick publishes only the events it has, and its opened alert still goes out at once."""
    sub = ensure_pull_subscription(rt, "alerts", f"{rt.topic('alerts')}-t{uuid.uuid4().hex[:6]}")
    states = lambda now: service.read_states(rt, CFG, now, peek_dead_letters=False)  # noqa: E731
    quiet = T0 + timedelta(minutes=5)
    assert service.evaluate_tick(rt, CFG, quiet, "master_controller", acfg=ACFG, states=states(quiet))["opened"] == 0
    assert service.evaluate_tick(rt, CFG, quiet, "cleanup", acfg=ACFG, states=states(quiet))["opened"] == 0
    for i in range(8):
        run_ledger.write(rt, CFG, run_row(T0 + timedelta(minutes=10 * i), error_type="blocked"))
    late = T0 + timedelta(minutes=75)
    assert service.evaluate_tick(rt, CFG, late, "master_controller", acfg=ACFG, states=states(late))["opened"] == 1
    msgs = pull_all(rt, "alerts", sub, expect=3, timeout=4.0)  # waits for a third that must not come
    assert sorted(json.loads(m.data)["event"] for m in msgs) == ["flush", "opened"]  # cleanup's flush; the alert


def test_the_controller_evaluation_reuses_the_run_records_its_tick_listed(rt, monkeypatch) -> None:
    """The tick listed its operational day's run records; the evaluation beside it lists only the day before
    (a 10:00 ET tick reads one day), and still judges the records the tick listed."""
    from shared import rules
    from shared.controller.service import run_tick

    calls: list = []
    real = run_ledger.list_day

    def counting(rt_, d):
        calls.append(d)
        return real(rt_, d)

    monkeypatch.setattr(run_ledger, "list_day", counting)
    for i in range(8):
        run_ledger.write(rt, CFG, run_row(T0 + timedelta(minutes=10 * i), error_type="blocked"))
    at = T0 + timedelta(minutes=75)  # 11:15 ET: the tick lists its own day only
    run_tick(rt, CFG, at, games=())
    day = rules.operational_day_of(CFG, at)
    assert sorted(calls) == [day - timedelta(days=1), day]  # each day listed once in all
    source = CFG.scrapers["nbac_player_list"].source
    assert service.list_alerts(rt)[sla.alert_key("source_not_blocked", source)].open


def test_alerts_test_command_reports_each_channel(monkeypatch, capsys) -> None:
    from tooling.cli import main

    with webhook_receiver() as hook, smtp_receiver() as (smtp, mails):
        monkeypatch.setenv("NBA_ORCH_ALERT_WEBHOOK_URL", hook.url)
        monkeypatch.setenv("NBA_ORCH_SMTP_URL", smtp)
        monkeypatch.setenv("NBA_ORCH_ALERT_EMAIL_TO", "oncall@example.org")
        assert main(["alerts", "test"]) == 0
        out = json.loads(capsys.readouterr().out)
        assert [(c["channel"], c["result"]) for c in out["channels"]] == [("webhook", "ok"), ("email", "ok")]
        assert "localsecretpath" not in json.dumps(out)
        assert len(hook.bodies) == 1 and len(mails) == 1 and mails[0]["Subject"] == "TEST nba-orch notification"
    monkeypatch.setenv("NBA_ORCH_SMTP_URL", smtp)  # the SMTP server is gone now: that channel fails, and says so
    with webhook_receiver() as hook:
        monkeypatch.setenv("NBA_ORCH_ALERT_WEBHOOK_URL", hook.url)
        assert main(["alerts", "test"]) == 1
        out = json.loads(capsys.readouterr().out)
        assert out["channels"][0]["result"] == "ok" and out["channels"][1]["result"].startswith("smtp: ")


def test_a_step_committed_but_not_published_is_published_by_the_next_tick(rt, monkeypatch) -> None:
    from shared.adapters import pubsub

    sub = ensure_pull_subscription(rt, "alerts", f"{rt.topic('alerts')}-t{uuid.uuid4().hex[:6]}")
    for i in range(8):
        run_ledger.write(rt, CFG, run_row(T0 + timedelta(minutes=10 * i), error_type="blocked"))
    real = pubsub.publish_many

    def down(*a, **k):
        raise ConnectionError("pubsub down")

    monkeypatch.setattr(pubsub, "publish_many", down)
    first = T0 + timedelta(minutes=75)
    with pytest.raises(ConnectionError):
        tick(rt, first)  # the alert is stored (opened) but its event never left
    monkeypatch.setattr(pubsub, "publish_many", real)
    again = tick(rt, first)  # the redelivery: nothing new to apply, but the stored step is sent
    assert again["opened"] == 0 and again["republished"] == 1
    msgs = pull_all(rt, "alerts", sub, expect=2)
    assert sorted(json.loads(m.data)["event"] for m in msgs) == ["flush", "opened"]
    assert tick(rt, first + timedelta(minutes=15))["republished"] == 0


def test_status_and_report_over_a_range_of_days(rt, monkeypatch, capsys, tmp_path) -> None:
    from tooling.cli import main

    for k, v in rt.env().items():
        monkeypatch.setenv(k, v)
    assert main(["status", "--from", "2026-01-09", "--to", "2026-01-10"]) == 1  # nothing ran on those days
    out = json.loads(capsys.readouterr().out)
    assert [d["date"] for d in out["days"]] == ["2026-01-09", "2026-01-10"]
    assert "schedule_locked" in out["days"][0]["failed_checks"]
    assert main(["report", "--from", "2026-01-09", "--to", "2026-01-10", "--out", str(tmp_path / "r.html")]) == 0
    assert "r-2026-01-10.html" in (tmp_path / "r.html").read_text()
    assert (tmp_path / "r-2026-01-09.html").exists()
    with pytest.raises(SystemExit) as exc:
        main(["status", "--date", "2026-01-09", "--to", "2026-01-10"])
    assert exc.value.code == 2
