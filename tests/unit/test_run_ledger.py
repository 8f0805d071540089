"""The run ledger's records (pure): what the scrapers file and how the controller reads them back."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from shared import run_ledger
from shared.config import load_config
from shared.controller.state import parts_for, run_days, runs_from_records

CFG = load_config()


def row(scraper: str = "nbac_injury_report", at: datetime = datetime(2025, 1, 16, 6, 0, tzinfo=UTC), **kw) -> dict:
    """A scraper_execution_log row shaped as shared.scrapers.core.log_row builds it."""
    return {
        "execution_id": kw.pop("execution_id", "e" * 20),
        "request_id": "r1",
        "scraper_name": scraper,
        "workflow": "injury_discovery",
        "status": kw.pop("status", "success"),
        "triggered_at": at,
        "gcs_path": "gs://b/nba-com/injury-report/x.pdf",
        "error_message": None,
        "data_summary": kw.pop(
            "summary", {"record_count": 52, "pages": 3, "quota": {"requests_remaining": 9}, "game_ids": ["1"]}
        ),
        "opts": {"params": kw.pop("params", {"date": "2025-01-15"}), "url": "https://example/x"},
    }


def listed(r: dict) -> tuple[str, dict[str, str]]:
    rec = run_ledger.record_of(r)
    return run_ledger.record_name(CFG, rec), {"run": json.dumps(rec)}


def test_a_record_keeps_what_the_controller_needs_and_nothing_else():
    rec = run_ledger.record_of(row())
    assert rec == {
        "v": 1,
        "execution_id": "e" * 20,
        "scraper_name": "nbac_injury_report",
        "workflow": "injury_discovery",
        "status": "success",
        "triggered_at": "2025-01-16T06:00:00Z",
        "params": {"date": "2025-01-15"},
        "data_summary": {"record_count": 52, "quota": {"requests_remaining": 9}, "game_ids": ["1"]},
    }  # no url, no gcs path, no error text, no pages: those are audit, in BigQuery


def test_a_record_is_filed_under_the_operational_day_of_its_logical_time():
    # 01:00 ET on 2025-01-16 belongs to the operational day 2025-01-15 (it runs 05:00 -> 05:00 ET)
    name = run_ledger.record_name(CFG, run_ledger.record_of(row(at=datetime(2025, 1, 16, 6, 0, tzinfo=UTC))))
    assert name == f"_nba-orch/runs/2025-01-15/nbac_injury_report/{'e' * 20}.json"
    later = run_ledger.record_name(CFG, run_ledger.record_of(row(at=datetime(2025, 1, 16, 10, 0, tzinfo=UTC))))
    assert later.startswith("_nba-orch/runs/2025-01-16/")
    assert run_ledger.scraper_of(name) == "nbac_injury_report"
    assert run_ledger.scraper_of("_nba-orch/runs/2025-01-15/stray.json") is None


@pytest.mark.parametrize(
    ("meta", "why"),
    [
        ({"run": "{not json"}, "not JSON"),
        ({"run": "[1]"}, "not a JSON object"),
        ({"run": json.dumps({"v": 2, "scraper_name": "x", "status": "s", "triggered_at": "t"})}, "schema version 2"),
        ({"run": json.dumps({"v": 1, "scraper_name": "x"})}, "missing status, triggered_at"),
        ({"run": json.dumps({"v": 1, "scraper_name": "x", "status": "s", "triggered_at": "noon"})}, "bad triggered_at"),
        (
            {
                "run": json.dumps(
                    {
                        "v": 1,
                        "scraper_name": "x",
                        "status": "s",
                        "triggered_at": "2025-01-16T06:00:00Z",
                        "params": "date=2025-01-15",
                    }
                )
            },
            "params is not an object",
        ),
        ({}, "no record in its metadata"),
    ],
)
def test_an_unreadable_record_says_why(meta, why):
    with pytest.raises(run_ledger.UnreadableRecord, match=why):
        run_ledger.parse("_nba-orch/runs/2025-01-15/x/e.json", meta)


def test_a_record_without_metadata_is_read_from_its_body():
    rec = run_ledger.record_of(row())
    got = run_ledger.parse("n", {}, json.dumps(rec).encode())
    assert got["triggered_at"] == datetime(2025, 1, 16, 6, 0, tzinfo=UTC) and got["status"] == "success"


def test_the_controller_reads_the_runs_it_needs_within_its_window():
    tick = datetime(2025, 1, 16, 17, 0, tzinfo=UTC)  # 12:00 ET: the operational day 2025-01-16 only
    assert run_days(CFG, tick) == [datetime(2025, 1, 16).date()]
    assert run_days(CFG, datetime(2025, 1, 16, 14, 0, tzinfo=UTC)) == [datetime(2025, 1, 15).date(), tick.date()]
    records = [
        listed(row(at=datetime(2025, 1, 16, 13, 0, tzinfo=UTC), execution_id="a" * 20)),  # 08:00 ET: read
        listed(row(at=datetime(2025, 1, 16, 18, 0, tzinfo=UTC), execution_id="b" * 20)),  # after the tick
        listed(row(at=datetime(2025, 1, 16, 9, 0, tzinfo=UTC), execution_id="c" * 20)),  # before the day
        listed(row("nbac_player_list", at=datetime(2025, 1, 16, 13, 0, tzinfo=UTC), execution_id="d" * 20)),
        listed(row("espn_scoreboard", at=datetime(2025, 1, 16, 13, 0, tzinfo=UTC), execution_id="f" * 20)),
    ]
    runs, errors = runs_from_records(CFG, tick, records, parts_for(CFG))
    assert errors == {}
    assert sorted((r.scraper, r.at.hour) for r in runs) == [("nbac_injury_report", 13), ("nbac_player_list", 13)]
    injury = next(r for r in runs if r.scraper == "nbac_injury_report")
    assert (injury.records, dict(injury.params), injury.summary["quota"]) == (
        52,
        {"date": "2025-01-15"},
        {"requests_remaining": 9},
    )


def test_in_its_window_the_recovery_reads_its_night_and_nobody_else_does():
    from shared.controller.state import build_snapshot, log_since, to_run

    six = datetime(2025, 1, 16, 11, 0, tzinfo=UTC)  # 06:00 ET: the morning after the night of the 15th
    assert log_since(CFG, six) == datetime(2025, 1, 15, 10, 0, tzinfo=UTC)  # the night's day start, 05:00 ET
    # 07:00 ET: outside the window, back to the freshness limit (6 h)
    assert log_since(CFG, datetime(2025, 1, 16, 12, 0, tzinfo=UTC)) == datetime(2025, 1, 16, 6, 0, tzinfo=UTC)
    night = run_ledger.record_of(
        row("nbac_team_boxscore", at=datetime(2025, 1, 16, 3, 0, tzinfo=UTC), params={"game_id": "0022400561"})
    )  # the 22:00 ET window of the 15th
    name = run_ledger.record_name(CFG, night)
    assert name.startswith("_nba-orch/runs/2025-01-15/")
    runs, errors = runs_from_records(CFG, six, [(name, {"run": json.dumps(night)})], parts_for(CFG))
    assert errors == {} and [r.scraper for r in runs] == ["nbac_team_boxscore"]
    snap, _ = build_snapshot(CFG, six, runs=runs, ledger=[], games=[])
    assert snap.history["morning_recovery"].runs == (to_run(run_ledger.parse(name, {"run": json.dumps(night)})),)
    assert snap.history["post_game_window_3"].runs == ()  # the windows of the 16th's day never see it


def test_an_unreadable_record_is_an_error_for_every_workflow_that_needs_its_scraper():
    tick = datetime(2025, 1, 16, 17, 0, tzinfo=UTC)
    good = listed(row(at=datetime(2025, 1, 16, 13, 0, tzinfo=UTC)))
    bad_name = "_nba-orch/runs/2025-01-16/nbac_player_boxscore/x.json"
    ignored = ("_nba-orch/runs/2025-01-16/espn_scoreboard/y.json", {"run": "{"})  # no workflow reads it
    runs, errors = runs_from_records(CFG, tick, [good, (bad_name, {"run": "{"}), ignored], parts_for(CFG))
    assert [r.scraper for r in runs] == ["nbac_injury_report"]
    # every post-game window and the morning recovery read nbac_player_boxscore: all four are told, nobody else
    assert sorted(errors) == ["morning_recovery", "post_game_window_1", "post_game_window_2", "post_game_window_3"]
    assert all(bad_name in e and "not JSON" in e for e in errors.values())


def test_a_record_too_large_for_metadata_is_fetched_once():
    tick = datetime(2025, 1, 16, 17, 0, tzinfo=UTC)
    rec = run_ledger.record_of(row(at=datetime(2025, 1, 16, 13, 0, tzinfo=UTC)))
    name = run_ledger.record_name(CFG, rec)
    fetched = []

    def body(n: str) -> bytes:
        fetched.append(n)
        return json.dumps(rec).encode()

    runs, errors = runs_from_records(CFG, tick, [(name, {})], parts_for(CFG), body=body)
    assert fetched == [name] and [r.scraper for r in runs] == ["nbac_injury_report"] and errors == {}
