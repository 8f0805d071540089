"""The dashboards' BigQuery views (shared/bq_views.py) on the BigQuery emulator, over rows written by the real
writers: the locker's replace_day (expected schedule), the controller's Decision rows, scraper run rows through
the BigQuery adapter, and alerts opened and resolved by real ticks (shared.alerts.service)."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from shared import run_ledger
from shared.adapters import bigquery as bq
from shared.adapters.pubsub import publish
from shared.alerts import service, sla
from shared.bq_views import VIEWS, ensure_views, render
from shared.clients import bigquery_client
from shared.config import get_config
from shared.controller.model import Decision
from shared.locker.service import replace_day

pytestmark = pytest.mark.emulators

CFG = get_config()
D = date(2026, 1, 10)
T0 = datetime(2026, 1, 10, 15, 0, tzinfo=UTC)  # 10:00 ET
NEXT_DAY_EARLY = datetime(2026, 1, 11, 9, 30, tzinfo=UTC)  # 04:30 ET: still operational day D
NEXT_DAY = datetime(2026, 1, 11, 10, 30, tzinfo=UTC)  # 05:30 ET: operational day D + 1
SOURCE = CFG.scrapers["nbac_player_list"].source
ACFG = sla.AlertsConfig(
    tuple(r for r in sla.load_alerts_config().rules if r.name in ("source_not_blocked", "dead_letters_empty")),
    sla.load_alerts_config().notify,
)


def view(rt, name: str) -> list[dict]:
    rows = bq.query(rt, f"SELECT * FROM `{rt.project}.{rt.dataset}.{name}` ORDER BY 1")
    return rows


def expected_row(workflow: str, at: datetime) -> dict:
    return {
        "date": D.isoformat(),
        "locked_at": "2026-01-10T10:00:00Z",
        "workflow_name": workflow,
        "expected_run_time": at.isoformat(),
        "reason": "test",
        "scrapers": ["nbac_player_list"],
        "games_today": 5,
        "priority": "HIGH",
        "schedule_version": "v1",
        "generated_by": "schedule_locker",
        "environment": "test",
    }


def decision(workflow: str, at: datetime, action: str, level: str = "NONE") -> dict:
    d = Decision(uuid.uuid4().hex, workflow, at, action, "test", "HIGH", alert_level=level)
    return d.row(environment="test", triggered_by="test")


def run(at: datetime, status: str, seconds: float, *, source: str = SOURCE, recovery: bool = False) -> dict:
    return {
        "execution_id": uuid.uuid4().hex,
        "scraper_name": "nbac_player_list",
        "workflow": "morning_operations",
        "status": status,
        "triggered_at": at,
        "duration_seconds": seconds,
        "source": source,
        "recovery": recovery,
    }


def ledger_row(at: datetime, *, error_type: str | None = None, status: str = "failed") -> dict:
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


def test_the_views_count_what_the_writers_wrote(rt) -> None:
    assert ensure_views(bigquery_client(rt.project), rt.project, rt.dataset, CFG) == list(VIEWS)
    ensure_views(bigquery_client(rt.project), rt.project, rt.dataset, CFG)  # idempotent
    # expected: three workflows, four runs; decided: two of them (one decision after midnight, same day)
    replace_day(
        rt,
        D,
        [
            expected_row("morning_operations", T0),
            expected_row("betting_lines", T0),
            expected_row("betting_lines", T0 + timedelta(hours=2)),
            expected_row("post_game_window_3", NEXT_DAY_EARLY),
        ],
    )
    decisions = [
        decision("morning_operations", T0, "RUN"),
        decision("betting_lines", T0, "SKIP"),
        decision("betting_lines", T0 + timedelta(hours=2), "RUN"),
        decision("morning_operations", NEXT_DAY_EARLY, "ABORT", "CRITICAL"),
        decision("morning_operations", NEXT_DAY, "RUN"),
    ]
    bq.insert_rows(rt, "workflow_decisions", decisions, [r["decision_id"] for r in decisions])
    runs = [run(T0 + timedelta(minutes=i), "success", float(i)) for i in range(1, 11)]
    runs += [run(T0, "failed", 30.0), run(T0, "success", 999.0, recovery=True), run(NEXT_DAY, "no_data", 2.0)]
    bq.insert_rows(rt, "scraper_execution_log", runs, [r["execution_id"] for r in runs])
    # alerts by real ticks: a blocked source opens and resolves (30 min); a dead letter opens and stays open
    for i in range(8):
        run_ledger.write(rt, CFG, ledger_row(T0 + timedelta(minutes=10 * i), error_type="blocked"))
    publish(rt, "dead_letter", json.dumps({"x": 1}).encode(), {"scraper_name": "nbac_player_list"})
    opened = T0 + timedelta(minutes=75)
    tick = lambda now: service.evaluate_tick(rt, CFG, now, "cleanup", acfg=ACFG)  # noqa: E731
    assert tick(opened)["opened"] == 2
    run_ledger.write(rt, CFG, ledger_row(opened + timedelta(minutes=20), status="success"))
    assert tick(opened + timedelta(minutes=30))["resolved"] == 1

    health = {r["day"]: r for r in view(rt, "day_health")}
    assert sorted(health) == [D, D + timedelta(days=1)]
    h = health[D]
    assert (h["expected_workflows"], h["expected_runs"], h["decided_workflows"], h["undecided_workflows"]) == (
        3,
        4,
        2,
        1,
    )
    assert (h["run_workflows"], h["run_decisions"], h["skip_decisions"], h["abort_decisions"]) == (2, 2, 1, 1)
    assert h["critical_decisions"] == 1
    assert (h["runs"], h["runs_success"], h["runs_failed"], h["runs_no_data"]) == (11, 10, 1, 0)  # no recovery
    assert (h["alerts_opened"], h["alerts_resolved"], h["alerts_open"]) == (2, 1, 1)
    assert h["ok"] is False
    nxt = health[D + timedelta(days=1)]
    assert (nxt["runs"], nxt["runs_no_data"], nxt["run_decisions"], nxt["expected_workflows"]) == (1, 1, 1, 0)
    assert nxt["ok"] is True

    misses = {r["rule"]: r for r in view(rt, "sla_misses")}
    blocked = misses["source_not_blocked"]
    assert (blocked["day"], blocked["subject"], blocked["severity"]) == (D, SOURCE, "ERROR")
    assert blocked["opened_at"] == opened and blocked["resolved_at"] == opened + timedelta(minutes=30)
    assert blocked["duration_minutes"] == 30.0 and blocked["still_open"] is False and blocked["count"] == 1
    dead = misses["dead_letters_empty"]
    assert dead["still_open"] is True and dead["duration_minutes"] is None and dead["day"] == D
    assert dead["detail"] == "1 message(s) in the dead-letter subscription"

    by = {(r["day"], r["source"], r["scraper_name"], r["status"]): r for r in view(rt, "runs_by_source_status")}
    ok = by[(D, SOURCE, "nbac_player_list", "success")]
    assert ok["runs"] == 10 and ok["p50_duration_seconds"] in (5.0, 6.0) and ok["p95_duration_seconds"] == 10.0
    assert by[(D, SOURCE, "nbac_player_list", "failed")]["runs"] == 1
    assert by[(D + timedelta(days=1), SOURCE, "nbac_player_list", "no_data")]["p50_duration_seconds"] == 2.0
    assert len(by) == 3


def test_render_fills_every_placeholder() -> None:
    for name in VIEWS:
        sql = render(name, "p", "ds", CFG)
        assert "{" not in sql and "`p.ds." in sql and "'America/New_York'" in sql and "INTERVAL 300 MINUTE" in sql
