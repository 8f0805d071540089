"""Fixtures for the master controller tests: the real 2024-25 schedule recording (read in place), a simulated
history of scraper runs and decisions for the pure tests, and one provisioned runtime per test module (with
the schedule stored in its bucket) for the emulator tests."""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

import pytest

from shared import rules
from shared.config import load_config
from shared.controller.decide import decide_tick
from shared.controller.model import Run
from shared.controller.state import LedgerEntry, build_snapshot, log_since, taken_slots_of
from shared.timeutil import et_at, parse_date

RECORDING = "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz"
SCHEDULE_NAME = "nba-com/schedule/2024-25/20250115_095500.json"


def et(day: str, hhmm: str) -> datetime:
    """An ET wall-clock time as a UTC instant (the first occurrence of a repeated fall-back time)."""
    hh, mm = (int(x) for x in hhmm.split(":"))
    return et_at(parse_date(day), time(hh, mm))


@pytest.fixture(scope="session")
def cfg():
    return load_config()


@pytest.fixture(scope="session")
def schedule_gz(upstream_dir) -> bytes:
    return (upstream_dir / RECORDING).read_bytes()


@pytest.fixture(scope="session")
def games(schedule_gz):
    from shared.nba.schedule import parse_schedule

    return tuple(parse_schedule(json.loads(gzip.decompress(schedule_gz))))


@dataclass
class World:
    """A pure stand-in for the records: scraper runs and RUN decisions, turned into a Snapshot per tick.

    `step(tick)` decides a tick, records it in the ledger (as the service claims a slot) and makes every RUN's
    requests succeed at the tick (or, for the scrapers in `empty`, return no records), as the scrapers
    function would log them. `decide(tick)` only decides; `claim(decisions)` records decisions in the ledger
    without any run (decided, but every request failed).
    """

    cfg: Any
    games: tuple
    runs: list = field(default_factory=list)
    decisions: list = field(default_factory=list)
    empty: frozenset[str] = frozenset()
    ledger: dict = field(default_factory=dict)
    known_odds: Any = None

    def snapshot(self, tick: datetime, *, errors: dict[str, str] | None = None, games: Any = "default"):
        """The snapshot the service would build from these records (the same `build_snapshot`)."""
        since = log_since(self.cfg, tick)
        snap, self.known_odds = build_snapshot(
            self.cfg,
            tick,
            runs=[r for r in self.runs if since <= r.at <= tick],
            ledger=list(self.ledger.values()),
            errors=errors,
            games=self.games if games == "default" else games,
        )
        return snap

    def decide(self, tick: datetime, **kw):

        return decide_tick(self.cfg, self.snapshot(tick, **kw))

    def record(self, decisions: Iterable) -> None:

        for x in decisions:
            self.decisions.append(x)
            if x.action != "RUN":
                continue
            for p in x.requests:
                night = x.context.get("game_night") or x.context.get("day")
                ids = [g.game_id for g in rules.day_games(self.cfg, datetime.fromisoformat(night).date(), self.games)]
                n = 0 if p.scraper in self.empty else 5
                self.runs.append(
                    Run(p.scraper, x.tick, "success", dict(p.params), {"record_count": n, "game_ids": ids}, n)
                )

    def claim(self, decisions: Iterable) -> None:
        decisions = list(decisions)
        tick = decisions[0].tick
        runs = tuple(x.workflow for x in decisions if x.action == "RUN")
        slots = tuple(taken_slots_of(decisions))
        self.ledger[tick] = LedgerEntry(f"slot-{tick.isoformat()}", tick, runs, self.known_odds, slots)
        self.decisions.extend(decisions)

    def step(self, tick: datetime, **kw):
        """Decide the tick, claim it in the ledger (with the RUNs and the quota known), record the runs."""
        out = self.decide(tick, **kw)
        runs = tuple(x.workflow for x in out if x.action == "RUN")
        slots = tuple(taken_slots_of(out))
        self.ledger[tick] = LedgerEntry(f"slot-{tick.isoformat()}", tick, runs, self.known_odds, slots)
        self.record(out)
        return out


@pytest.fixture
def world(cfg, games):
    return World(cfg, games)


def legacy_config(cfg):
    """The configuration before issue 18: hourly ticks, betting_lines as a game_aware workflow (every 2 h in
    08:00-20:00 ET from 6 h before the first tip), so the game_aware rule keeps its tests."""
    import dataclasses

    from shared.config import TimeWindow, Workflow

    wf = Workflow(
        name="betting_lines",
        decision_type="game_aware",
        scrapers=cfg.workflows["betting_lines"].scrapers,
        priority="CRITICAL",
        depends_on=("morning_operations",),
        window_before_game_hours=6,
        business_hours=TimeWindow(time(8), time(20)),
        frequency_hours=2,
    )
    ctrl = dataclasses.replace(cfg.controller, tick_minutes=60)
    return dataclasses.replace(cfg, workflows={**cfg.workflows, "betting_lines": wf}, controller=ctrl)


@pytest.fixture
def legacy_world(cfg, games):
    return World(legacy_config(cfg), games)


# ---------------------------------------------------------------------------------------------------------
# Emulator fixtures


@pytest.fixture(scope="module")
def ctl_rt(stack, schedule_gz):
    """A runtime with isolated names, provisioned once per module, with the real schedule in its bucket."""
    from shared.adapters.gcs import bucket
    from shared.runtime import Runtime
    from tooling.provision import ensure_all, ensure_pull_subscription

    rt = Runtime.from_env().with_suffix("ctl" + uuid.uuid4().hex[:6])
    ensure_all(rt)
    ensure_pull_subscription(rt, "scraper_requests")
    bucket(rt).blob(SCHEDULE_NAME).upload_from_string(schedule_gz, content_type="application/json")
    return rt


def requests_sub(rt) -> str:
    from tooling.provision import PULL_SUFFIX, subscription_path

    return subscription_path(rt, rt.topic("scraper_requests") + PULL_SUFFIX)


def decision_rows(rt, slot_start: datetime, slot_end: datetime | None = None) -> list[dict[str, Any]]:
    from shared.adapters.bigquery import query

    end = slot_end or slot_start
    return query(
        rt,
        "SELECT * FROM {dataset}.workflow_decisions WHERE decision_time >= @a AND decision_time <= @b "
        "ORDER BY decision_time, workflow_name",
        {"a": slot_start, "b": end},
    )


def log_run(
    rt,
    scraper: str,
    at: datetime,
    params: dict,
    *,
    status: str = "success",
    summary: dict | None = None,
    workflow: str = "MANUAL",
) -> None:
    """A finished run, recorded as the scrapers record it: a scraper_execution_log row (shaped as
    shared.scrapers.core.log_row writes it) and its run ledger record, written from that row."""
    from shared import run_ledger
    from shared.adapters.bigquery import insert_rows
    from shared.config import get_config

    eid = uuid.uuid4().hex[:20]
    row = {
        "execution_id": eid,
        "request_id": eid,
        "scraper_name": scraper,
        "workflow": workflow,
        "status": status,
        "triggered_at": at,
        "completed_at": at + timedelta(seconds=2),
        "duration_seconds": 2.0,
        "source": "CONTROLLER",
        "environment": "local",
        "data_summary": summary or {"record_count": 1},
        "opts": {"params": params},
        "recovery": False,
    }
    run_ledger.write(rt, get_config(), row)
    insert_rows(rt, "scraper_execution_log", [row], row_ids=[eid])
