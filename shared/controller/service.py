"""The controller's edge: one tick = read, decide, record, publish.

Order, and why: the decisions are written BEFORE their requests are published, and a RUN keeps its exact
requests in its context. A redelivered tick (or the repeated fall-back 01:00, or a crash between the write
and the publish) finds this slot's decisions already recorded, decides nothing again, and publishes the
recorded requests once more: the same request ids (deterministic from decision id + scraper + parameters),
which the scrapers function treats as duplicates (its claim per request id). So a slot has exactly one
decision set and one RUN per workflow, and no request is lost between the two steps.

Idempotency key: `decision_id` = "<workflow>@<ET hour slot>" (`decide.decision_id`), also the BigQuery
insertId. Two deliveries racing within the same second can both miss each other's rows (streaming inserts
dedupe by insertId only on a best-effort basis); they then write identical decisions with identical request
ids, so the scrapers still run once.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared import log
from shared.config import Config, get_config
from shared.contracts import PubSubMessage, ScraperRequest, decode_tick
from shared.controller import state
from shared.controller.decide import decide_tick, decision_id, slot_tick
from shared.controller.model import FRESHNESS, Decision, Snapshot
from shared.controller.params import follow_ups_of
from shared.nba.schedule import Game
from shared.runtime import Runtime
from shared.timeutil import iso_utc

TABLE = "workflow_decisions"


@dataclass
class TickResult:
    tick: datetime
    as_of: datetime
    slot: str
    decisions: list[Decision]
    snapshot: Snapshot
    requests: list[ScraperRequest] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)  # decision ids found already recorded for this slot
    written: int = 0
    published: int = 0
    dry_run: bool = False

    def summary(self) -> dict[str, Any]:
        actions = Counter(d.action for d in self.decisions)
        return {
            "slot": self.slot,
            "tick": iso_utc(self.tick),
            "as_of": iso_utc(self.as_of),
            "dry_run": self.dry_run,
            "decisions": {a: actions.get(a, 0) for a in ("RUN", "SKIP", "ABORT")},
            "run": [d.workflow for d in self.decisions if d.action == "RUN"],
            "abort": [d.workflow for d in self.decisions if d.action == "ABORT"],
            "alerts": {d.workflow: d.alert_level for d in self.decisions if d.alert_level != "NONE"},
            "decisions_written": self.written,
            "already_decided": len(self.reused),
            "requests": len(self.requests),
            "requests_published": self.published,
            "schedule_file": self.snapshot.schedule_file,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "decision_list": [d.to_json() for d in self.decisions],
            "request_list": [r.to_json() for r in self.requests],
        }


def decision_ids(cfg: Config, tick: datetime) -> dict[str, str]:
    names = [FRESHNESS, *(wf.name for wf in cfg.enabled_workflows())]
    return {n: decision_id(cfg, n, tick) for n in names}


def requests_of(cfg: Config, decisions: Sequence[Decision]) -> list[ScraperRequest]:
    """The scraper requests of every RUN, with deterministic ids and the context follow-ups need."""
    out = []
    for d in decisions:
        if d.action != "RUN":
            continue
        wf = cfg.workflows.get(d.workflow)
        for p in d.requests:
            ctx: dict[str, Any] = {"decision_id": d.decision_id, "workflow": d.workflow, "tick": iso_utc(d.tick)}
            if d.context.get("day"):
                ctx["day"] = d.context["day"]
            follow = follow_ups_of(cfg, wf, p.scraper) if wf is not None else []
            if follow:
                ctx["follow_ups"] = follow
            out.append(
                ScraperRequest.create(
                    p.scraper,
                    dict(p.params),
                    scope=d.decision_id,
                    workflow=d.workflow,
                    source="CONTROLLER",
                    triggered_by="master_controller",
                    decision_id=d.decision_id,
                    as_of=d.tick,
                    context=ctx,
                )
            )
    return out


def evaluate(
    rt: Runtime | None,
    cfg: Config,
    as_of: datetime,
    *,
    games: Sequence[Game] | None = None,
    schedule_file: str | None = None,
    query: state.Query | None = None,
) -> TickResult:
    """Read and decide, without writing anything (the pure part plus the reads)."""
    tick = slot_tick(cfg, as_of)
    ids = decision_ids(cfg, tick)
    kw = {"query": query} if query is not None else {}
    snap, rows = state.read_snapshot(rt, cfg, tick, ids, games=games, schedule_file=schedule_file, **kw)
    existing = {r["decision_id"]: Decision.from_row(r) for r in rows}
    decisions = decide_tick(cfg, snap, existing)
    return TickResult(
        tick=tick,
        as_of=as_of,
        slot=ids[FRESHNESS].split("@", 1)[1],
        decisions=decisions,
        snapshot=snap,
        requests=requests_of(cfg, decisions),
        reused=sorted(existing),
    )


def run_tick(
    rt: Runtime,
    cfg: Config,
    as_of: datetime,
    *,
    dry_run: bool = False,
    triggered_by: str = "tick",
    games: Sequence[Game] | None = None,
    query: state.Query | None = None,
) -> TickResult:
    """One tick: evaluate, write the new decisions, publish every RUN's requests (see the module docstring)."""
    result = evaluate(rt, cfg, as_of, games=games, query=query)
    result.dry_run = dry_run
    new = [d for d in result.decisions if d.decision_id not in result.reused]
    if not dry_run:
        from shared.adapters import bigquery as bq
        from shared.adapters import pubsub

        if new:
            rows = [d.row(environment=rt.environment, triggered_by=triggered_by) for d in new]
            bq.insert_rows(rt, TABLE, rows, row_ids=[d.decision_id for d in new])
            result.written = len(rows)
        if result.requests:
            messages = [
                (json.dumps(r.to_json(), separators=(",", ":")).encode(), r.attributes()) for r in result.requests
            ]
            result.published = len(pubsub.publish_many(rt, "scraper_requests", messages))
    _log(result)
    return result


def _log(result: TickResult) -> None:
    for d in result.decisions:
        if d.alert_level in ("WARNING", "CRITICAL") and d.decision_id not in result.reused:
            emit = log.error if d.alert_level == "CRITICAL" else log.warning
            emit(
                f"master_controller: {d.workflow} {d.action} ({d.alert_level}): {d.reason}",
                workflow=d.workflow,
                decision_id=d.decision_id,
                action=d.action,
                alert_level=d.alert_level,
            )


def handle_message(msg: PubSubMessage, *, rt: Runtime | None = None, cfg: Config | None = None) -> dict[str, Any]:
    """The Cloud Function's work: "now" is the tick's as_of, else its publish time (never the wall clock)."""
    tick = decode_tick(msg)
    result = run_tick(
        rt or Runtime.from_env(),
        cfg or get_config(),
        tick.as_of,
        dry_run=tick.dry_run,
        triggered_by=f"pubsub:{msg.message_id}" if msg.message_id else "pubsub",
    )
    return result.summary()
