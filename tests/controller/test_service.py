"""The controller against the emulators: run records and the schedule read from GCS, decisions written to
BigQuery, requests published; duplicate ticks, the repeated fall-back hour, an unreadable run record of one
workflow, and the ledger unavailable."""

from __future__ import annotations

import dataclasses
import json
import uuid
from datetime import UTC, datetime

import pytest

from shared.clients import subscriber
from shared.controller import service
from tests.conftest import pull_all
from tests.controller.conftest import decision_rows, et, log_run
from tooling.provision import ensure_pull_subscription

pytestmark = pytest.mark.emulators


def tap(rt) -> str:
    """A new pull subscription on the requests topic: it sees only what is published from now on."""
    return ensure_pull_subscription(rt, "scraper_requests", f"{rt.topic('scraper_requests')}-t{uuid.uuid4().hex[:6]}")


def received(rt, sub: str, expect: int) -> list[dict]:
    msgs = pull_all(rt, "scraper_requests", sub, expect=expect, timeout=15)
    return [{"body": json.loads(m.data), "attrs": dict(m.attributes)} for m in msgs]


def by_workflow(rows: list[dict]) -> dict[str, dict]:
    return {r["workflow_name"]: r for r in rows}


def test_an_hour_tick_writes_decisions_and_publishes_requests(ctl_rt, cfg):
    sub = tap(ctl_rt)
    tick = et("2025-01-15", "13:00")
    result = service.run_tick(ctl_rt, cfg, tick, triggered_by="test")
    rows = by_workflow(decision_rows(ctl_rt, tick))
    assert set(rows) == {"schedule_freshness", *cfg.workflows}
    assert {n: r["action"] for n, r in rows.items()} == {
        "schedule_freshness": "SKIP",  # morning_operations (late) scrapes the schedule at this tick
        "morning_operations": "RUN",
        "betting_lines": "RUN",
        "post_game_window_1": "SKIP",
        "post_game_window_2": "SKIP",
        "post_game_window_3": "SKIP",
        "morning_recovery": "SKIP",
        "injury_discovery": "RUN",
        "referee_discovery": "RUN",
    }
    bl = rows["betting_lines"]
    assert bl["decision_id"] == "betting_lines@2025-01-15T13" and bl["priority"] == "CRITICAL"
    # the first game's (19:00 tip) T-6h snapshot; the 09:00 opening line was missed (no tick since)
    assert bl["context"]["games_today"] == 11 and bl["context"]["slots_taken"] == ["0022400561/t-6h"]
    ctx = {"snapshot_type": "regular", "snapshot_games": {"NYKPHI": "regular"}}
    assert bl["context"]["requests"] == [{"scraper": "oddsa_events", "params": {"date": "2025-01-15"}, "context": ctx}]
    assert bl["scrapers_triggered"] == ["oddsa_events"] and bl["target_games"] == ["0022400561"]
    assert bl["next_check_time"] == et("2025-01-15", "13:15") and bl["triggered_by"] == "test"
    assert rows["morning_operations"]["alert_level"] == "WARNING"

    msgs = received(ctl_rt, sub, result.published)
    # morning operations, odds events, referees, and the injury reports due within catch_up_hours (10, 11 AM, 12 PM)
    assert result.published == len(msgs) == 34 + 1 + 1 + 3
    ids = {m["body"]["request_id"] for m in msgs}
    assert ids == {r.request_id for r in result.requests} and len(ids) == len(msgs)
    events = next(m for m in msgs if m["body"]["scraper_name"] == "oddsa_events")
    assert events["attrs"] == {
        "scraper_name": "oddsa_events",
        "workflow": "betting_lines",
        "request_id": events["body"]["request_id"],
    }
    assert events["body"]["as_of"] == "2025-01-15T18:00:00Z" and events["body"]["source"] == "CONTROLLER"
    assert events["body"]["context"]["follow_ups"] == ["oddsa_player_props", "oddsa_game_lines"]
    assert events["body"]["context"]["snapshot_type"] == "regular"
    assert result.snapshot.schedule_file.endswith("20250115_095500.json")


def test_a_redelivered_tick_decides_nothing_again(ctl_rt, cfg):
    tick = et("2025-01-15", "14:00")
    first = service.run_tick(ctl_rt, cfg, tick)
    sub = tap(ctl_rt)
    # the same tick again, a few seconds later (Scheduler retry / Pub/Sub redelivery)
    second = service.run_tick(ctl_rt, cfg, datetime(2025, 1, 15, 19, 0, 4, tzinfo=UTC))
    assert (second.written, len(second.reused)) == (0, 9)
    assert [d.to_json() for d in second.decisions] == [d.to_json() for d in first.decisions]
    assert len(decision_rows(ctl_rt, tick)) == 9
    # the slot is marked written (its rows in, its requests published): nothing is published again
    assert second.published == 0
    assert subscriber(ctl_rt.project).pull(subscription=sub, max_messages=10, timeout=2).received_messages == []


def test_the_repeated_fall_back_hour_is_one_slot(ctl_rt, cfg, schedule_gz):
    first = service.run_tick(ctl_rt, cfg, datetime(2024, 11, 3, 5, 0, tzinfo=UTC))  # 01:00 EDT
    second = service.run_tick(ctl_rt, cfg, datetime(2024, 11, 3, 6, 0, tzinfo=UTC))  # 01:00 EST, an hour later
    assert first.slot == second.slot == "2024-11-03T01"
    assert second.written == 0
    rows = decision_rows(ctl_rt, datetime(2024, 11, 3, 5, tzinfo=UTC), datetime(2024, 11, 3, 6, 30, tzinfo=UTC))
    w2 = [r for r in rows if r["workflow_name"] == "post_game_window_2"]
    assert len(rows) == 9 and [r["action"] for r in w2] == ["RUN"]
    assert w2[0]["context"]["game_night"] == "2024-11-02"


def test_records_drive_the_decisions(ctl_rt, cfg):
    day = "2025-01-20"  # MLK day: first tip 12:00
    # morning_operations' 34 requests all logged as the scrapers log them
    six = et(day, "06:00")
    first = service.evaluate(ctl_rt, cfg, six)
    morning = next(d for d in first.decisions if d.workflow == "morning_operations")
    for p in morning.requests:
        log_run(ctl_rt, p.scraper, six, dict(p.params), workflow="morning_operations")
    # an odds call at 07:00 left 120 credits (under the reserve of 500)
    quota = {"record_count": 8, "quota": {"requests_remaining": 120, "requests_used": 19880}}
    log_run(ctl_rt, "oddsa_events", et(day, "07:00"), {"date": day}, summary=quota)
    result = service.run_tick(ctl_rt, cfg, et(day, "08:00"))
    got = {d.workflow: d for d in result.decisions}
    assert got["morning_operations"].reason.startswith("already succeeded today (34 requests done")
    assert got["schedule_freshness"].reason.startswith("schedule fresh: last successful nbac_schedule_api run at 06:00")
    bl = got["betting_lines"]
    assert bl.action == "SKIP" and bl.alert_level == "WARNING" and "budget: " in bl.reason
    assert "(120 remaining)" in bl.reason and bl.context["odds_requests_remaining"] == 120
    # the quota recovers (a newer reading): the slots due at 09:00 are taken, and never again at 10:00 (the
    # slot ledger keeps what each RUN took)
    log_run(ctl_rt, "oddsa_events", et(day, "08:30"), {"date": day}, summary={"quota": {"requests_remaining": 9000}})
    nine = {d.workflow: d for d in service.run_tick(ctl_rt, cfg, et(day, "09:00")).decisions}
    assert nine["betting_lines"].action == "RUN"
    ten = {d.workflow: d for d in service.run_tick(ctl_rt, cfg, et(day, "10:00")).decisions}
    assert not set(ten["betting_lines"].context.get("slots_taken") or ()) & set(
        nine["betting_lines"].context["slots_taken"]
    )
    # the injury series: the 11 AM report is on record (asked at 12:00 by an earlier delivery); the 9 and 10 AM
    # ones are due and missing (the 10:00 and 11:00 ticks asked for them and their runs were lost); the 7 and
    # 8 AM ones are overdue by more than catch_up_hours (2 h) and given up, loudly
    eleven = {"date": day, "hour": "11", "period": "AM"}
    log_run(ctl_rt, "nbac_injury_report", et(day, "12:00"), eleven, summary={"record_count": 52})
    twelve = {d.workflow: d for d in service.run_tick(ctl_rt, cfg, et(day, "12:00")).decisions}
    inj = twelve["injury_discovery"]
    assert [p.params["hour"] for p in inj.requests] == ["9", "10"] and inj.alert_level == "WARNING"
    assert inj.reason.endswith("2 missing for over 2 h given up")
    # referees: attempts made at 08, 09 and 10; the 11:00 tick never came, so attempt 4 is made at 12:00
    assert (twelve["referee_discovery"].action, twelve["referee_discovery"].reason) == (
        "RUN",
        "discovery attempt 4 of 6",
    )


def test_post_game_targets_come_from_the_log(ctl_rt, cfg, games):
    from shared import rules

    night = rules.day_games(cfg, datetime(2025, 1, 25).date(), games)
    w1 = et("2025-01-25", "22:00")
    # window 1: every game's box scores logged (the NBA.com ones per game); the early games were over, so
    # they count at 01:00
    for g in night:
        log_run(ctl_rt, "nbac_team_boxscore", w1, {"game_id": g.game_id, "game_date": "2025-01-25"})
        for name in ("nbac_player_boxscore", "nbac_cdn_boxscore"):
            log_run(ctl_rt, name, w1, {"game_id": g.game_id, "date": "2025-01-25"})
    ids = [g.game_id for g in night]
    log_run(ctl_rt, "bdl_box_scores", w1, {"date": "2025-01-25"}, summary={"game_ids": ids})
    result = service.evaluate(ctl_rt, cfg, et("2025-01-26", "01:00"))
    w2 = next(d for d in result.decisions if d.workflow == "post_game_window_2")
    over = [g.game_id for g in night if (w1 - g.commence_utc).total_seconds() >= 3 * 3600]
    assert over and w2.action == "RUN"
    assert set(w2.target_games) == set(ids) - set(over)
    team = [dict(p.params)["game_id"] for p in w2.requests if p.scraper == "nbac_team_boxscore"]
    assert team == [g for g in ids if g not in over]


def test_an_unreadable_run_record_aborts_only_the_workflows_that_need_it(ctl_rt, cfg):
    """A run record of injury_discovery's scraper written by a newer schema (a rolling deploy), and a damaged
    one of referee_discovery's: those two ABORT (CRITICAL) naming the record and why; every other decides."""
    from shared import run_ledger
    from shared.adapters.gcs import create_object

    day = run_ledger.day_prefix(datetime(2025, 1, 29).date())
    newer = json.dumps({"v": 2, "scraper_name": "nbac_injury_report", "status": "success"})
    create_object(ctl_rt, f"{day}nbac_injury_report/newer.json", newer.encode(), metadata={"run": newer})
    create_object(ctl_rt, f"{day}nbac_referee_assignments/damaged.json", b"", metadata={"run": "{not json"})
    tick = et("2025-01-30", "01:00")  # operational day 2025-01-29 (its game night's second window)
    result = service.run_tick(ctl_rt, cfg, tick, final_attempt=False)
    rows = by_workflow(decision_rows(ctl_rt, tick))
    for workflow, why in (
        ("injury_discovery", "nbac_injury_report/newer.json: schema version 2, this code reads 1"),
        ("referee_discovery", "nbac_referee_assignments/damaged.json: not JSON"),
    ):
        bad = rows[workflow]
        assert (bad["action"], bad["alert_level"]) == ("ABORT", "CRITICAL")
        assert "could not read this workflow's records" in bad["reason"] and why in bad["reason"]
    others = {n: r["action"] for n, r in rows.items() if n not in ("injury_discovery", "referee_discovery")}
    assert "ABORT" not in others.values() and others["post_game_window_2"] == "RUN"
    assert result.published == len(result.requests) > 0


def test_a_record_too_large_for_metadata_is_read_from_its_body(ctl_rt, cfg):
    """A run whose record does not fit in custom metadata (limit 8 KiB) is filed in the body only; the
    controller still sees it (here: the referee assignments found, so no further discovery attempt)."""
    from shared import run_ledger
    from shared.adapters.gcs import get_metadata

    at = et("2025-01-22", "09:00")
    summary = {"record_count": 9, "game_ids": [f"00224{i:05d}" for i in range(800)]}
    log_run(ctl_rt, "nbac_referee_assignments", at, {"date": "2025-01-22"}, summary=summary)
    names = [n for n, _ in run_ledger.list_day(ctl_rt, datetime(2025, 1, 22).date())]
    assert len(names) == 1 and "run" not in (get_metadata(ctl_rt, names[0]) or {})
    got = {d.workflow: d for d in service.evaluate(ctl_rt, cfg, et("2025-01-22", "10:00")).decisions}
    assert got["referee_discovery"].action == "SKIP" and "already found today" in got["referee_discovery"].reason


def test_ledger_unavailable_is_redelivered_then_recorded(ctl_rt, cfg):
    from google.api_core.exceptions import ServiceUnavailable

    from shared.controller import state

    def down(rt, day):
        raise ServiceUnavailable("storage unavailable")

    tick = et("2025-01-16", "04:00")
    with pytest.raises(state.LedgerUnavailable, match="storage unavailable"):
        service.run_tick(ctl_rt, cfg, tick, lister=down, final_attempt=False)
    assert decision_rows(ctl_rt, tick) == []  # nothing claimed, nothing written: the redelivery decides
    last = service.run_tick(ctl_rt, cfg, tick, lister=down, final_attempt=True)
    assert {d.action for d in last.decisions} == {"ABORT"} and {d.alert_level for d in last.decisions} == {"CRITICAL"}
    assert all("storage unavailable" in d.reason for d in last.decisions)
    assert len(decision_rows(ctl_rt, tick)) == 9 and last.published == 0


def test_a_claimed_slot_is_completed_from_its_ledger(ctl_rt, cfg, monkeypatch):
    """Another delivery claimed the slot and crashed before writing its rows: while its lease runs this one
    backs off (Pub/Sub redelivers); after it, this one writes them and publishes the claimed requests,
    deciding nothing itself."""
    from shared.controller import state

    tick = et("2025-01-18", "06:00")
    winner = service.evaluate(ctl_rt, cfg, tick)
    rows = [d.row(environment=ctl_rt.environment, triggered_by="winner") for d in winner.decisions]
    state.claim_slot(
        ctl_rt, state.ledger_name(cfg, tick), rows, state.ledger_metadata(tick, ["morning_operations"], None)
    )
    sub = tap(ctl_rt)
    with pytest.raises(service.SlotInProgress):  # the winner may still be writing: no second set of rows
        service.run_tick(ctl_rt, cfg, tick, triggered_by="second")
    assert decision_rows(ctl_rt, tick) == []
    expired = dataclasses.replace(cfg, leases=dataclasses.replace(cfg.leases, controller_slot_seconds=0.0))
    result = service.run_tick(ctl_rt, expired, tick, triggered_by="second")  # ...until its lease has run out
    assert result.written == 9 and sorted(result.reused) == sorted(d.decision_id for d in winner.decisions)
    assert {r["triggered_by"] for r in decision_rows(ctl_rt, tick)} == {"winner"}
    msgs = received(ctl_rt, sub, len(winner.requests))
    assert {m["body"]["request_id"] for m in msgs} == {r.request_id for r in winner.requests}
    again = service.run_tick(ctl_rt, cfg, tick)
    assert again.written == 0 and len(decision_rows(ctl_rt, tick)) == 9


def test_dry_run_writes_and_publishes_nothing(ctl_rt, cfg):
    sub = tap(ctl_rt)
    tick = et("2025-01-15", "22:00")
    result = service.run_tick(ctl_rt, cfg, tick, dry_run=True)
    assert result.requests and (result.written, result.published) == (0, 0)
    assert decision_rows(ctl_rt, tick) == []
    resp = subscriber(ctl_rt.project).pull(subscription=sub, max_messages=10, timeout=2)
    assert list(resp.received_messages) == []


def test_no_schedule_aborts_game_workflows_and_scrapes_it(rt, cfg):
    from tooling.provision import ensure_pull_subscription

    sub = ensure_pull_subscription(rt, "scraper_requests")
    result = service.run_tick(rt, cfg, et("2025-01-15", "15:00"))
    got = {d.workflow: d for d in result.decisions}
    assert got["betting_lines"].action == "ABORT" and "no schedule file under gs://" in got["betting_lines"].reason
    assert got["morning_operations"].action == "RUN"  # self_aware does not need the games
    assert got["schedule_freshness"].action == "SKIP"  # ...and scrapes the schedule at this tick
    msgs = received(rt, sub, result.published)
    assert "nbac_schedule_api" in {m["body"]["scraper_name"] for m in msgs}
