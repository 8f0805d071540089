"""The alerts' edge at the controller and cleanup ticks: read the day's state cheaply, evaluate the SLAs,
apply the life cycle to the stored alerts, then audit, log and publish every event.

Reads (all GCS listings the ticks already make or as cheap): the scrapers' run ledger (today and yesterday),
the schedule (cached per process), the tick markers (`_nba-orch/ticks/<day>/<role>/`, one tiny object per
tick that ran, written here) and the stored alerts (`_nba-orch/alerts/`, state in each object's metadata);
and, at cleanup's ticks only (`CLOCK_ROLE`), one peek of the dead-letter subscription
(shared.alerts.dead_letters: pulled, released at once). No BigQuery query per tick.

Cleanup is the clock of the two duties that need no more than one run per quarter hour, the dead-letter peek
and the notifier's flush message: it ticks every 15 minutes around the clock, on the controller's quarter
marks, so the controller doing them too would add cost without adding resolution (measured by
tests/benchmarks/bench_controller.py: the peek's waiting pull was 52 ms of the controller's evaluation, up to
1 s in Google Cloud on an empty subscription; the flush 12 ms, the publisher's batching wait). At the
controller's ticks `dead_letters_empty` has no input and is not judged (an open dead-letter alert is neither
counted nor resolved there), and only the events themselves are published.

Source of truth: one GCS object per alert key (shared.claims: created create-only, changed by
compare-and-swap), so the controller's and cleanup's concurrent ticks never both open, count or resolve the
same step; a conflict re-reads the key and re-applies its transition. Transitions are monotonic in the
tick's logical time (shared.alerts.lifecycle), so a redelivered tick changes nothing. Each stored step
carries its token in metadata (`event`) and, once its row is written and its message published, `published`:
a tick that finds a step not yet published (a crash between the steps) publishes it again, under the same
token (BigQuery insertId and the notifier both dedupe on it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from shared import log, rules, run_ledger
from shared.alerts import dead_letters, lifecycle, sla
from shared.alerts.lifecycle import Alert, Event
from shared.bucket_layout import object_name, prefix
from shared.config import Config
from shared.runtime import Runtime
from shared.timeutil import iso_utc

TABLE = "alerts"
CLOCK_ROLE = "cleanup"  # whose ticks peek the dead letters and flush the notifier (see above)
_LOG = {"INFO": "INFO", "WARNING": "WARNING", "ERROR": "ERROR", "CRITICAL": "CRITICAL"}


def alert_object(key: str) -> str:
    return object_name("alerts", key)


# ---------------------------------------------------------------------------------------------------------
# Reads


def record_tick(rt: Runtime, cfg: Config, role: str, as_of: datetime) -> None:
    """Mark that `role`'s tick of `as_of` ran (create-only; a redelivery finds it)."""
    from shared.adapters.gcs import AlreadyExists, create_object

    d = rules.operational_day_of(cfg, as_of)
    name = object_name("ticks", d.isoformat(), role, as_of.strftime("%Y%m%dT%H%M%SZ"))
    try:
        create_object(rt, name, b"{}", metadata={"as_of": iso_utc(as_of)})
    except AlreadyExists:
        pass


def _ticks_of(rt: Runtime, cfg: Config, d: date) -> tuple[frozenset[str], frozenset[datetime]]:
    from shared.adapters.gcs import iter_objects
    from shared.timeutil import parse_instant

    ctrl, clean = set(), set()
    for name, _c, meta in iter_objects(rt, f"{prefix('ticks')}{d.isoformat()}/"):
        try:
            at = parse_instant(meta["as_of"])
        except (KeyError, ValueError):
            continue
        if "/master_controller/" in name:
            ctrl.add(rules.tick_key(cfg, at))
        elif "/cleanup/" in name:
            clean.add(at)
    return frozenset(ctrl), frozenset(clean)


def _run_facts(cfg: Config, records: Sequence[run_ledger.Listed]) -> list[sla.RunFact]:
    out = []
    for name, meta in records:
        if not meta.get("run"):
            continue  # an oversized record (rare): its body is not fetched for the SLAs
        try:
            rec = run_ledger.parse(name, meta)
        except run_ledger.UnreadableRecord:
            continue
        summary, params = rec["data_summary"], rec["params"]
        ids = set(summary.get("game_ids") or ()) | ({str(params["game_id"])} if params.get("game_id") else set())
        spec = cfg.scrapers.get(rec["scraper_name"])
        out.append(
            sla.RunFact(
                scraper=rec["scraper_name"],
                at=rec["triggered_at"],
                status=rec["status"],
                source=spec.source if spec else "",
                error_type=rec.get("error_type"),
                schema_drift=bool(summary.get("schema_drift")),
                game_ids=frozenset(str(i) for i in ids),
                snapshot_type=summary.get("snapshot_type"),
                teams=params.get("teams"),
            )
        )
    return out


def read_states(
    rt: Runtime,
    cfg: Config,
    now: datetime,
    *,
    peek_dead_letters: bool = True,
    listed: Mapping[date, Sequence[run_ledger.Listed]] | None = None,
) -> list[sla.DayState]:
    """The states of today's and yesterday's operational days, from GCS listings (concurrently); the
    dead-letter backlog too when `peek_dead_letters` (else None: that rule is not judged). `listed`: run
    records of some of those days already listed at this tick (the controller's own reads), not listed again."""
    from shared.controller.state import load_games, pool

    today = rules.operational_day_of(cfg, now)
    days = [today - timedelta(days=1), today]
    io = pool()
    given = listed or {}
    run_fs = [None if d in given else io.submit(lambda d=d: list(run_ledger.list_day(rt, d))) for d in days]
    tick_fs = [io.submit(_ticks_of, rt, cfg, d) for d in days]
    # the backlog now (None: unreadable or not peeked here, the SLA not judged)
    dead_f = io.submit(dead_letters.peek_count, rt) if peek_dead_letters else None
    games: tuple[Any, ...] | None
    try:
        games, _ = load_games(rt, today)
    except Exception:  # noqa: BLE001 - no schedule: the game SLAs are not evaluated (schedule_fresh is)
        games = None
    runs = tuple(
        r for d, f in zip(days, run_fs, strict=True) for r in _run_facts(cfg, given[d] if f is None else f.result())
    )
    ticks = [tf.result() for tf in tick_fs]
    # Ticks are expected from the first one this installation recorded (a new deploy is not a missed day).
    keys = {k for ctrl, _ in ticks for k in ctrl}
    first = min([t for _, clean in ticks for t in clean] + [_key_instant(cfg, k) for k in keys], default=now)
    dead = dead_f.result() if dead_f is not None else None
    quality = _quality_counts(rt, today)
    return [
        sla.DayState(
            day=d,
            games=games,
            runs=runs,
            controller_ticks=ctrl,
            cleanup_ticks=clean,
            ticks_since=first,
            dead_letters=dead,
            quality=quality if d == today else None,
        )
        for d, (ctrl, clean) in zip(days, ticks, strict=True)
    ]


def _quality_counts(rt: Runtime, today: date) -> dict[str, tuple[int, int]] | None:
    """The cross-source counts of the suspect window (None, one WARNING: unreadable, the rule not judged)."""
    from shared.quality.config import load_quality_config
    from shared.quality.window import read_window

    try:
        return read_window(rt, load_quality_config(), today)
    except Exception as exc:  # noqa: BLE001 - an input missing is "not judged", never a false OK
        from shared import log

        log.warning(f"alerts: cross-source counts unreadable: {type(exc).__name__}")
        return None


def _key_instant(cfg: Config, key: str) -> datetime:
    """The instant of a controller tick key "YYYY-MM-DDTHH", or "YYYY-MM-DDTHH:MM" for a quarter tick
    (`rules.tick_key`; its first occurrence)."""
    from datetime import time

    d, hm = key.split("T")
    h, _, m = hm.partition(":")
    at = rules.wall_instant(cfg, date.fromisoformat(d), time(int(h), int(m or 0)))
    return at or datetime.max.replace(tzinfo=cfg.timezone)


def read_alerts(rt: Runtime) -> tuple[dict[str, Alert], list[Event]]:
    """The stored alerts by key, and the steps stored but not yet published (a crash between the commit and
    the publish): one listing, the state riding in each object's metadata."""
    from shared.adapters.gcs import iter_objects

    alerts, unpublished = {}, []
    for _name, _c, meta in iter_objects(rt, prefix("alerts")):
        try:
            a = Alert.from_json(json.loads(meta["alert"]))
        except (KeyError, ValueError, TypeError):
            continue
        alerts[a.key] = a
        if meta.get("event") and meta.get("event") != meta.get("published") and meta.get("kind") in lifecycle.EVENTS:
            unpublished.append(Event(meta["kind"], a))
    return alerts, unpublished


def list_alerts(rt: Runtime) -> dict[str, Alert]:
    """The stored alerts by key."""
    return read_alerts(rt)[0]


# ---------------------------------------------------------------------------------------------------------
# Writes


def _commit(rt: Runtime, ev: sla.Evaluation, event: Event, now: datetime) -> Event | None:
    """Store one step with a create or a compare-and-swap; on a conflict re-read the key and re-apply its
    transition (another tick may have done it already: then None)."""
    from shared import claims

    name = alert_object(event.alert.key)
    results = {r.key: r for r in ev.results}
    for _ in range(5):
        current = claims.read(rt, name)
        stored = Alert.from_json(json.loads(current.data)) if current is not None else None
        scoped = stored is not None and lifecycle.in_scope(stored, ev)
        again = lifecycle.step(stored, results.get(event.alert.key), now, scoped, ev.days)
        if again is None:
            return None
        event = again
        body = json.dumps(event.alert.to_json(), separators=(",", ":"))
        meta = {"alert": body, "event": event.token, "kind": event.event}
        try:
            if current is None:
                if claims.acquire(rt, name, body.encode(), metadata=meta).won:
                    return event
            else:
                claims.swap(rt, current, body.encode(), metadata=meta)
                return event
        except claims.ClaimConflict:
            pass
    raise claims.ClaimConflict(f"alert {event.alert.key} kept changing")


def event_row(event: Event, evaluated_by: str, environment: str) -> dict[str, Any]:
    a = event.alert
    return {
        "key": a.key,
        "rule": a.rule,
        "subject": a.subject,
        "severity": a.severity,
        "event": event.event,
        "event_time": a.changed_at,
        "opened_at": a.opened_at,
        "last_seen": a.last_seen,
        "count": a.count,
        "resolved_at": a.resolved_at,
        "detail": a.detail[:1000],
        "day": a.day,
        "evaluated_by": evaluated_by,
        "environment": environment,
    }


def event_message(event: Event) -> tuple[bytes, dict[str, str]]:
    """The alerts topic's message: the alert's state and the step (the notifier's input)."""
    body = {**event.alert.to_json(), "event": event.event, "token": event.token, "at": iso_utc(event.alert.changed_at)}
    attrs = {"alert_key": event.alert.key, "alert_rule": event.alert.rule, "alert_event": event.event}
    return json.dumps(body, separators=(",", ":")).encode(), attrs


def log_event(event: Event) -> None:
    """The contract with the log-based metrics: one line per step, at the alert's own severity."""
    a = event.alert
    log.log(
        _LOG[a.severity],
        f"alert {event.event}: [{a.severity}] {a.rule} {a.subject}: {a.detail}",
        alert_key=a.key,
        alert_rule=a.rule,
        alert_subject=a.subject,
        alert_severity=a.severity,
        alert_event=event.event,
        alert_count=a.count,
    )


def flush_message(now: datetime) -> tuple[bytes, dict[str, str]]:
    """Every tick's last message: the notifier sends the digests that are due even when no alert changed."""
    return json.dumps({"event": "flush", "at": iso_utc(now)}).encode(), {"alert_event": "flush"}


def publish_events(
    rt: Runtime, events: Sequence[Event], evaluated_by: str, now: datetime, *, flush: bool = True
) -> None:
    """Audit rows (insertId = the step's token), then the events (and, with `flush`, one flush message) on the
    alerts topic, then each stored step marked published."""
    from shared.adapters import bigquery as bq
    from shared.adapters import pubsub
    from shared.adapters.gcs import add_metadata

    if events:
        rows = [event_row(e, evaluated_by, rt.environment) for e in events]
        bq.insert_rows(rt, TABLE, rows, [e.token for e in events])
    messages = [event_message(e) for e in events] + ([flush_message(now)] if flush else [])
    if messages:
        pubsub.publish_many(rt, "alerts", messages)
    for e in events:
        add_metadata(rt, alert_object(e.alert.key), {"published": e.token})


def evaluate_tick(
    rt: Runtime,
    cfg: Config,
    now: datetime,
    role: str,
    *,
    acfg: sla.AlertsConfig | None = None,
    states: list[sla.DayState] | None = None,
    listed: Mapping[date, Sequence[run_ledger.Listed]] | None = None,
) -> dict[str, Any]:
    """One evaluation at `role`'s tick of `now` (see the module docstring); `listed` as in read_states.
    Returns a short summary."""
    acfg = acfg or sla.load_alerts_config()
    record_tick(rt, cfg, role, now)
    if states is None:
        states = read_states(rt, cfg, now, peek_dead_letters=role == CLOCK_ROLE, listed=listed)
    ev = sla.evaluate(cfg, acfg, states, now)
    stored, unpublished = read_alerts(rt)
    # a crash between an earlier commit and its publish (a concurrent tick's step may be sent twice: the
    # notifier and BigQuery dedupe on its token)
    pending = [e for e in unpublished if e.alert.changed_at <= now]
    done: list[Event] = []
    for e in lifecycle.apply(stored, ev, now):
        committed = _commit(rt, ev, e, now)
        if committed is not None:
            done.append(committed)
    for e in done:
        log_event(e)
    publish_events(rt, pending + done, role, now, flush=role == CLOCK_ROLE)
    counts = {k: sum(e.event == k for e in done) for k in lifecycle.EVENTS}
    return {"breaches": len(ev.breaches), **counts, "republished": len(pending)}


def evaluate_safely(
    rt: Runtime,
    cfg: Config,
    now: datetime,
    role: str,
    *,
    listed: Mapping[date, Sequence[run_ledger.Listed]] | None = None,
) -> dict[str, Any] | None:
    """evaluate_tick for a role's tick: an alerting failure is logged (ERROR) and never fails the role's own
    work; the next tick evaluates the same state again (the rules are functions of state, not of events)."""
    try:
        return evaluate_tick(rt, cfg, now, role, listed=listed)
    except Exception as exc:  # noqa: BLE001 - see the docstring
        log.error(f"{role}: alert evaluation failed: {type(exc).__name__}: {exc}", function=role, error_type="alerts")
        return None
