"""The controller's edge: one tick = read, decide, claim the slot, record, publish.

Order, and why:
1. Read (concurrently): the controller's slot ledger and the scrapers' run ledger in GCS, the schedule.
2. Decide (pure), unless the ledger already holds this slot's decisions: then those are used as they are.
3. Claim the slot: create its ledger object with the decisions, `if_generation_match=0`. This is the commit
   point: exactly one delivery of a tick wins, even two at the same instant; a loser takes the winner's
   decisions. Every RUN keeps its exact requests in its decision, so the slot's requests are fixed here.
4. Write the decisions to `workflow_decisions` (insertId = decision_id) and publish the requests, at the
   same time (both follow from the claim, neither from the other).
5. Evaluate the SLAs (shared.alerts.service), by the delivery that claimed the slot, while step 4 runs on
   the I/O pool (its reads do not depend on this tick's rows or requests, and it reuses the run records
   step 1 listed; measured by tests/benchmarks/bench_controller.py, it is half the tick's cost when run after
   step 4): alerts open, count or resolve; a failure there is logged and never fails the tick. The tick
   returns after both.
A redelivered tick (or the repeated fall-back 01:00, or a crash after step 3) finds the claim, decides
nothing again, writes the rows that are missing and publishes the recorded requests once more: the same
request ids (deterministic from decision id + scraper + parameters), which the scrapers function treats as
duplicates (its own claim per request id). So a slot has exactly one decision set and one RUN per workflow,
and nothing decided is lost between the steps.

Idempotency key: the slot, "<ET hour>" (`rules.tick_key`); decision ids are "<workflow>@<slot>".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared import log
from shared.config import Config, get_config
from shared.contracts import COMPACT_JSON, SCHEMA_VERSION, PubSubMessage, ScraperRequest, decode_tick
from shared.controller import state
from shared.controller.decide import decide_tick, decision_id, slot_tick
from shared.controller.model import FRESHNESS, Decision, Snapshot
from shared.controller.params import follow_ups_of
from shared.controller.state import Reads
from shared.edge import is_final_attempt
from shared.errors import AlreadyExists, RetryLater
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
    reads: Reads | None = None

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
    """Every decision id of the slot (the freshness check first, then each enabled workflow)."""
    names = [FRESHNESS, *(wf.name for wf in cfg.enabled_workflows())]
    return {n: decision_id(cfg, n, tick) for n in names}


def request_body(r: ScraperRequest) -> bytes:
    """The message body of a request: `ScraperRequest.to_json()` without its deep copy (a hundred requests a
    tick), equal to it (tested)."""
    body = {
        "scraper_name": r.scraper_name,
        "params": r.params,
        "request_id": r.request_id,
        "workflow": r.workflow,
        "source": r.source,
        "triggered_by": r.triggered_by,
        "decision_id": r.decision_id,
        "as_of": iso_utc(r.as_of) if r.as_of else None,
        "context": r.context,
        "v": SCHEMA_VERSION,
    }
    return COMPACT_JSON.encode(body).encode()


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
            ctx.update(p.context)
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


class SlotInProgress(RetryLater):
    """Another delivery of this tick holds the slot and has not finished writing: redeliver later."""


def evaluate(
    rt: Runtime | None,
    cfg: Config,
    as_of: datetime,
    *,
    games: Sequence[Game] | None = None,
    schedule_file: str | None = None,
    lister: state.Lister | None = None,
) -> TickResult:
    """Read and decide, without writing anything (the pure part plus the reads). Raises
    state.LedgerUnavailable when a ledger cannot be listed."""
    tick = slot_tick(cfg, as_of)
    kw = {"lister": lister} if lister is not None else {}
    reads = state.read_snapshot(rt, cfg, tick, games=games, schedule_file=schedule_file, **kw)
    return _result(cfg, tick, as_of, reads)


def _result(cfg: Config, tick: datetime, as_of: datetime, reads: Reads) -> TickResult:
    existing = {r["decision_id"]: Decision.from_row(r) for r in reads.recorded or []}
    decisions = decide_tick(cfg, reads.snapshot, existing)
    return TickResult(
        tick=tick,
        as_of=as_of,
        slot=decision_ids(cfg, tick)[FRESHNESS].split("@", 1)[1],
        decisions=decisions,
        snapshot=reads.snapshot,
        requests=requests_of(cfg, decisions),
        reused=sorted(existing),
        reads=reads,
    )


def _missing_rows(rt: Runtime, tick: datetime, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The recorded decisions not yet in `workflow_decisions` (a redelivery after a crash, or a race)."""
    from shared.adapters.bigquery import query

    found = query(
        rt,
        f"SELECT decision_id FROM {{dataset}}.{TABLE} WHERE decision_time = @tick AND decision_id IN UNNEST(@ids)",
        {"tick": tick, "ids": [r["decision_id"] for r in rows]},
    )
    have = {r["decision_id"] for r in found}
    return [r for r in rows if r["decision_id"] not in have]


def run_tick(
    rt: Runtime,
    cfg: Config,
    as_of: datetime,
    *,
    dry_run: bool = False,
    triggered_by: str = "tick",
    games: Sequence[Game] | None = None,
    lister: state.Lister | None = None,
    final_attempt: bool = True,
) -> TickResult:
    """One tick (see the module docstring). When a ledger cannot be listed, a delivery that will be retried
    (`final_attempt=False`) raises state.LedgerUnavailable; the last one records why every workflow ABORTs."""
    from shared import claims
    from shared.adapters import bigquery as bq
    from shared.adapters import pubsub

    try:
        result = evaluate(rt, cfg, as_of, games=games, lister=lister)
    except state.LedgerUnavailable as exc:
        if not final_attempt or dry_run:
            raise
        return _record_unreadable(rt, cfg, as_of, str(exc), triggered_by)
    reads = result.reads
    assert reads is not None
    result.dry_run = dry_run
    if dry_run:
        _log(result)
        return result

    rows: list[dict[str, Any]]
    if reads.recorded is None:
        rows = [d.row(environment=rt.environment, triggered_by=triggered_by) for d in result.decisions]
        runs = [d.workflow for d in result.decisions if d.action == "RUN"]
        try:
            meta = state.ledger_metadata(result.tick, runs, reads.known_odds, state.taken_slots_of(result.decisions))
            state.claim_slot(rt, reads.ledger_name, rows, meta)
            fresh = True
        except AlreadyExists:  # a concurrent delivery decided this slot first: its decisions stand
            reads.recorded = state.read_ledger(rt, reads.ledger_name) or []
            result = _result(cfg, result.tick, as_of, reads)
            fresh = False
    else:
        fresh = False
    if not fresh:
        # The winner marks the slot "written" once its rows are in. Until then a concurrent delivery must not
        # write them too (streaming insert ids are only best-effort deduplication): it comes back later,
        # unless the claim is older than the lease (`leases.controller_slot_seconds`: the winner crashed), when
        # it completes the slot itself. The lease is wall-clock time (real processes), unlike the decisions.
        claimed = claims.read(rt, reads.ledger_name)
        if claimed is not None and claimed.metadata.get("written"):
            _log(result)
            return result
        now = _wall_now()
        if claimed is not None and claimed.live(cfg.leases.controller_slot_seconds, now):
            age = claimed.age_seconds(now)
            raise SlotInProgress(f"slot {reads.ledger_name} is being written by another delivery ({age:.0f} s ago)")
        rows = _missing_rows(rt, result.tick, list(reads.recorded or []))

    messages = [(request_body(r), r.attributes()) for r in result.requests]
    io = state.pool()  # the writes go to the pool, so this thread (the delivery's log context) evaluates
    insert = io.submit(bq.insert_rows, rt, TABLE, rows, [r["decision_id"] for r in rows]) if rows else None
    published = io.submit(pubsub.publish_many, rt, "scraper_requests", messages) if messages else None
    if fresh:  # the SLAs at this tick (a redelivery would change nothing: alerts are monotonic in time)
        from shared.alerts.service import evaluate_safely

        evaluate_safely(rt, cfg, result.tick, "master_controller", listed=reads.listed)  # never raises
    try:
        if published is not None:
            result.published = len(published.result())
    finally:
        if insert is not None:
            insert.result()  # an insert failure raises here (after the publishes: they are idempotent)
            result.written = len(rows)
    claims.mark(rt, reads.ledger_name, {"written": "1"})
    _log(result)
    return result


def _record_unreadable(rt: Runtime, cfg: Config, as_of: datetime, reason: str, triggered_by: str) -> TickResult:
    """The last delivery of a tick whose ledgers cannot be listed: an ABORT (CRITICAL) per workflow, written
    to `workflow_decisions` (insertId = decision id) so the gap is explained. The slot cannot be claimed (GCS
    is what failed); nothing is published."""
    from shared.adapters import bigquery as bq

    tick = slot_tick(cfg, as_of)
    result = _result(cfg, tick, as_of, Reads(state.unreadable_snapshot(cfg, tick, reason)))
    rows = [d.row(environment=rt.environment, triggered_by=triggered_by) for d in result.decisions]
    bq.insert_rows(rt, TABLE, rows, [r["decision_id"] for r in rows])
    result.written = len(rows)
    _log(result)
    return result


def _wall_now() -> datetime:
    """Wall-clock time, for the slot lease only (decisions use the tick's as_of)."""
    from datetime import UTC

    return datetime.now(UTC)


def _log(result: TickResult) -> None:
    for d in result.decisions:
        if d.alert_level in ("WARNING", "CRITICAL") and d.decision_id not in result.reused:
            emit = log.critical if d.alert_level == "CRITICAL" else log.warning
            emit(
                f"master_controller: {d.workflow} {d.action} ({d.alert_level}): {d.reason}",
                workflow=d.workflow,
                decision_id=d.decision_id,
                action=d.action,
                alert_level=d.alert_level,
            )


def handle(msg: PubSubMessage, *, rt: Runtime | None = None, cfg: Config | None = None) -> dict[str, Any]:
    """The Cloud Function's work: "now" is the tick's as_of, else its publish time (never the wall clock).

    A delivery whose attempt number is unknown is not treated as the last one (Pub/Sub retries it)."""
    cfg = cfg or get_config()
    tick = decode_tick(msg)
    result = run_tick(
        rt or Runtime.from_env(),
        cfg,
        tick.as_of,
        dry_run=tick.dry_run,
        triggered_by=f"pubsub:{msg.message_id}" if msg.message_id else "pubsub",
        final_attempt=is_final_attempt(msg.delivery_attempt, cfg.pubsub.max_delivery_attempts),
    )
    return result.summary()
