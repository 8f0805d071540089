"""Faults injected by NBA_ORCH_FAULTS (the simulation's switch): a crash at each step of a scraper run is
resumed by the redelivery, and a crash whose message is acknowledged anyway is repaired by cleanup. Either
way every file ends with exactly one success row and one notification."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.config import get_config
from shared.contracts import Tick
from shared.scrapers import service
from tests.scrapers.conftest import completions, data_objects, request, rows, run_records
from tooling import faults

BOX_AS_OF = datetime(2024, 1, 16, 4, 0, tzinfo=UTC)  # 2024-01-15 23:00 ET: that night's box scores
BOX = request("bdl_box_scores", {"date": "2024-01-15"}, workflow="post_game_window_1", as_of=BOX_AS_OF)


@pytest.fixture(autouse=True)
def _fresh_faults():
    faults.install()
    faults.reset()
    yield
    faults.reset()


@pytest.mark.parametrize("point", faults.POINTS)
def test_crash_at_each_step_is_resumed_by_redelivery(srt, replay, monkeypatch, point):
    monkeypatch.setenv("NBA_ORCH_FAULTS", f"{point}:bdl_box_scores:crash:1")
    with pytest.raises(faults.InjectedCrash, match=point):
        service.execute(srt, BOX)
    outcome = service.execute(srt, BOX)  # the redelivery
    assert outcome.status == "success" and outcome.record_count == 11
    assert len(data_objects(srt)) == 1
    (row,) = rows(srt)
    assert row["status"] == "success" and row["notification_message_id"]
    notes = completions(srt, expect=2, timeout=1.0)
    assert len(notes) == 1 and notes[0]["message_id"] == row["notification_message_id"]
    assert [r["execution_id"] for r in run_records(srt)] == [row["execution_id"]]  # filed once
    assert replay.hits("api.balldontlie.io") == (2 if point == "after_fetch" else 1)


def test_lost_run_after_the_write_is_repaired_once_by_cleanup(srt, replay, monkeypatch):
    from shared.cleanup.service import run_cleanup

    monkeypatch.setenv("NBA_ORCH_FAULTS", "after_write:bdl_box_scores:lose:1")
    with pytest.raises(faults.InjectedLoss):
        service.execute(srt, BOX)
    (name,) = data_objects(srt)
    assert rows(srt) == [] and completions(srt, expect=1, timeout=0.5) == []
    cfg = get_config()
    first = run_cleanup(srt, cfg, Tick(as_of=BOX_AS_OF + timedelta(minutes=45)))
    assert first["republished_count"] == 1, first
    (note,) = completions(srt, expect=2, timeout=1.0)
    assert note["body"]["recovery"] is True and note["body"]["gcs_path"].endswith(name)
    assert note["body"]["original_execution_id"] == service.core.execution_id(BOX.request_id)
    second = run_cleanup(srt, cfg, Tick(as_of=BOX_AS_OF + timedelta(minutes=60)))
    assert second["republished_count"] == 0 and completions(srt, expect=1, timeout=0.5) == []
    recovery = [r for r in rows(srt) if r["recovery"]]
    assert len(recovery) == 1 and recovery[0]["notification_message_id"] == note["message_id"]


def test_bad_fault_rule_is_refused(monkeypatch):
    monkeypatch.setenv("NBA_ORCH_FAULTS", "before_lunch:x:crash")
    with pytest.raises(ValueError, match="bad rule"):
        faults.check("after_fetch", "x", "r")
