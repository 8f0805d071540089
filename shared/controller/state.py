"""The reads behind a tick: BigQuery records and the schedule from GCS, turned into a `Snapshot`.

Speed and isolation, both:
- One query per tick. Every workflow's needs (its scrapers' runs today, its earlier RUN decisions, the Odds
  API quota), the schedule freshness and this slot's existing decisions are parts of ONE `UNION ALL`
  statement, two table scans in all; the schedule file is read from GCS at the same time in a thread and
  parsed once per process (cached by object name: files are create-only, a new schedule is a new name).
- If that query fails, each part is run on its own, so a fault confined to one workflow's read ABORTs that
  workflow only (CRITICAL), never the others, and never as a silent skip. The slot's existing decisions are
  the exception: without them the controller cannot tell a first delivery from a redelivery, so a failure
  there raises and Pub/Sub redelivers the tick.

All windows are instants computed in ET by `shared.rules` (the operational day starts 05:00 ET), never
`CURRENT_DATE()` (UTC) inside SQL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared import rules
from shared.config import Config
from shared.controller.model import History, Run, Snapshot
from shared.controller.params import published_scrapers, unit_of
from shared.nba.schedule import Game
from shared.runtime import Runtime

# How far back the records are read: the freshness check reports ages up to this, the quota is the newest
# reading within it (older readings are stale), RUN decisions cover any frequency up to a day.
LOOKBACK = timedelta(hours=48)
DECISION_LOOKBACK = timedelta(hours=26)

Query = Callable[[Runtime, str, dict[str, Any]], list[dict[str, Any]]]


class SlotReadError(RuntimeError):
    """This slot's existing decisions could not be read: deciding now could duplicate a RUN, so retry."""


@dataclass(frozen=True)
class Part:
    """What one owner (a workflow, "freshness" or "slot") needs from the records."""

    owner: str
    evidence: frozenset[str] = frozenset()  # scrapers whose runs of the operational day count
    summaries: frozenset[str] = frozenset()  # ...of which the data_summary is needed (per-date coverage)
    fresh: frozenset[str] = frozenset()  # scrapers whose runs of the last LOOKBACK count (freshness)
    odds: frozenset[str] = frozenset()  # scrapers whose newest recorded quota counts
    decisions: frozenset[str] = frozenset()  # workflows whose RUN decisions count
    slot_ids: tuple[str, ...] = ()


def parts_for(cfg: Config, decision_ids: Mapping[str, str]) -> list[Part]:
    """The reads of every enabled workflow, the freshness check and the slot (pure)."""
    parts = [Part("slot", slot_ids=tuple(decision_ids.values()))]
    sched = str(cfg.controller.get("schedule_scraper", "nbac_schedule_api"))
    parts.append(Part("freshness", fresh=frozenset({sched})))
    for wf in cfg.enabled_workflows():
        pub = published_scrapers(cfg, wf)
        odds = frozenset(s for s in wf.scrapers if cfg.scrapers[s].source == "odds_api")
        if wf.decision_type == "game_aware":
            parts.append(Part(wf.name, odds=odds, decisions=frozenset({wf.name})))
            continue
        per_day = frozenset(s for s in pub if unit_of(cfg.scrapers[s]) == "day")
        summaries = per_day if wf.decision_type == "game_aware_yesterday" else frozenset()
        decisions = frozenset({wf.name}) if wf.decision_type != "self_aware" else frozenset()
        parts.append(Part(wf.name, evidence=frozenset(pub), summaries=summaries, odds=odds, decisions=decisions))
    return parts


def _merge(owner: str, parts: Iterable[Part]) -> Part:
    ps = list(parts)
    return Part(
        owner,
        evidence=frozenset().union(*(p.evidence for p in ps)),
        summaries=frozenset().union(*(p.summaries for p in ps)),
        fresh=frozenset().union(*(p.fresh for p in ps)),
        odds=frozenset().union(*(p.odds for p in ps)),
        decisions=frozenset().union(*(p.decisions for p in ps)),
        slot_ids=tuple(i for p in ps for i in p.slot_ids),
    )


# Column list shared by every branch of the UNION ALL.
_COLS = "kind, name, status, at, num, a, b, c, d, e, f"

_RUNS_SQL = """
SELECT 'run' AS kind, scraper_name AS name, status, triggered_at AS at,
  SAFE_CAST(JSON_VALUE(data_summary, '$.record_count') AS INT64) AS num,
  TO_JSON_STRING(opts) AS a,
  IF(scraper_name IN UNNEST(@sum), TO_JSON_STRING(data_summary), NULL) AS b,
  CAST(NULL AS STRING) AS c, CAST(NULL AS STRING) AS d, CAST(NULL AS STRING) AS e, CAST(NULL AS TIMESTAMP) AS f
FROM {dataset}.scraper_execution_log
WHERE triggered_at >= @since AND triggered_at <= @tick AND status IN ('success', 'no_data')
  AND ((scraper_name IN UNNEST(@ev) AND triggered_at >= @day_start) OR scraper_name IN UNNEST(@fresh))
"""

_QUOTA_SQL = """
SELECT * FROM (
  SELECT 'quota' AS kind, scraper_name AS name, status, triggered_at AS at,
    SAFE_CAST(JSON_VALUE(data_summary, '$.quota.requests_remaining') AS INT64) AS num,
    CAST(NULL AS STRING) AS a, CAST(NULL AS STRING) AS b, CAST(NULL AS STRING) AS c, CAST(NULL AS STRING) AS d,
    CAST(NULL AS STRING) AS e, CAST(NULL AS TIMESTAMP) AS f
  FROM {dataset}.scraper_execution_log
  WHERE triggered_at >= @since AND triggered_at <= @tick AND scraper_name IN UNNEST(@odds)
    AND JSON_VALUE(data_summary, '$.quota.requests_remaining') IS NOT NULL
  ORDER BY triggered_at DESC, completed_at DESC LIMIT 1)
"""

_DECISIONS_SQL = """
SELECT IF(decision_id IN UNNEST(@ids), 'slot', 'decision') AS kind, workflow_name AS name, action AS status,
  decision_time AS at, CAST(NULL AS INT64) AS num, decision_id AS a,
  IF(decision_id IN UNNEST(@ids), TO_JSON_STRING(context), NULL) AS b,
  IF(decision_id IN UNNEST(@ids), reason, NULL) AS c,
  IF(decision_id IN UNNEST(@ids), CONCAT(IFNULL(priority, ''), '|', IFNULL(alert_level, '')), NULL) AS d,
  IF(decision_id IN UNNEST(@ids), ARRAY_TO_STRING(target_games, ','), NULL) AS e,
  next_check_time AS f
FROM {dataset}.workflow_decisions
WHERE decision_time >= @dsince AND decision_time <= @tick
  AND ((action = 'RUN' AND workflow_name IN UNNEST(@wfs) AND decision_time < @tick) OR decision_id IN UNNEST(@ids))
"""


def build_query(cfg: Config, part: Part, tick: datetime) -> tuple[str, dict[str, Any]]:
    """The SQL and parameters of one part (or of all parts merged): only the branches it needs."""
    day_start, _ = rules.operational_day_bounds(cfg, rules.operational_day_of(cfg, tick))
    params: dict[str, Any] = {"tick": tick}
    branches = []
    if part.evidence or part.fresh:
        branches.append(_RUNS_SQL)
        params.update(
            since=min(day_start, tick - LOOKBACK),
            day_start=day_start,
            ev=sorted(part.evidence),
            fresh=sorted(part.fresh),
            sum=sorted(part.summaries) or [""],
        )
    if part.odds:
        branches.append(_QUOTA_SQL)
        params.setdefault("since", min(day_start, tick - LOOKBACK))
        params["odds"] = sorted(part.odds)
    if part.decisions or part.slot_ids:
        branches.append(_DECISIONS_SQL)
        params.update(
            dsince=min(day_start, tick - DECISION_LOOKBACK),
            wfs=sorted(part.decisions) or [""],
            ids=list(part.slot_ids) or [""],
        )
    return "UNION ALL".join(branches), params


def _json(text: Any) -> dict[str, Any]:
    if text is None or text == "":
        return {}
    value = json.loads(text) if isinstance(text, str) else text
    return value if isinstance(value, dict) else {}


@dataclass
class Records:
    """The rows of the query, sorted by kind (what `Snapshot` is built from)."""

    runs: list[Run] = field(default_factory=list)
    run_decisions: dict[str, list[datetime]] = field(default_factory=dict)
    quota: dict[str, tuple[int, datetime]] = field(default_factory=dict)  # scraper -> (remaining, at)
    slot: list[dict[str, Any]] = field(default_factory=list)


def parse_rows(rows: Iterable[Mapping[str, Any]]) -> Records:
    out = Records()
    for r in rows:
        kind = r["kind"]
        if kind == "run":
            opts = _json(r.get("a"))
            params = opts.get("params") if isinstance(opts.get("params"), dict) else {}
            out.runs.append(
                Run(
                    scraper=r["name"],
                    at=r["at"],
                    status=r["status"],
                    params={str(k): str(v) for k, v in params.items()},
                    summary=_json(r.get("b")),
                    records=r.get("num"),
                )
            )
        elif kind == "quota":
            if r.get("num") is not None:
                out.quota[r["name"]] = (int(r["num"]), r["at"])
        elif kind == "decision":
            out.run_decisions.setdefault(r["name"], []).append(r["at"])
        elif kind == "slot":
            priority, _, alert = (r.get("d") or "|").partition("|")
            out.slot.append(
                {
                    "decision_id": r["a"],
                    "workflow_name": r["name"],
                    "action": r["status"],
                    "decision_time": r["at"],
                    "context": _json(r.get("b")),
                    "reason": r.get("c"),
                    "priority": priority or None,
                    "alert_level": alert or None,
                    "target_games": [g for g in (r.get("e") or "").split(",") if g],
                    "next_check_time": r.get("f"),
                }
            )
    return out


def _default_query(rt: Runtime, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    from shared.adapters.bigquery import query

    return query(rt, sql, params)


def read_records(
    rt: Runtime, cfg: Config, tick: datetime, parts: Sequence[Part], *, query: Query = _default_query
) -> tuple[dict[str, Records], dict[str, str]]:
    """Records per owner, and the read error per owner that failed (see the module docstring)."""
    merged = _merge("all", parts)
    try:
        sql, params = build_query(cfg, merged, tick)
        records = parse_rows(query(rt, sql, params))
        return {p.owner: records for p in parts}, {}
    except Exception as exc:  # isolate: which part is at fault?
        first_error = f"{type(exc).__name__}: {exc}"
    out: dict[str, Records] = {}
    errors: dict[str, str] = {}
    for p in parts:
        try:
            sql, params = build_query(cfg, p, tick)
            out[p.owner] = parse_rows(query(rt, sql, params))
        except Exception as exc:
            errors[p.owner] = f"{type(exc).__name__}: {str(exc)[:500]}"
    if "slot" in errors:
        raise SlotReadError(f"cannot read this slot's decisions: {errors['slot']} (batched read: {first_error})")
    return out, errors


def history_for(owner: str, part: Part, records: Records, day_start: datetime) -> History:
    """One workflow's view of the records: its scrapers' runs of the operational day, and its decisions."""
    quotas = [records.quota[s] for s in part.odds if s in records.quota]
    remaining, at = max(quotas, key=lambda q: q[1]) if quotas else (None, None)
    return History(
        runs=tuple(r for r in records.runs if r.scraper in part.evidence and r.at >= day_start),
        run_decisions=tuple(sorted(records.run_decisions.get(owner, ()))),
        odds_remaining=remaining,
        odds_remaining_at=at,
    )


# ---------------------------------------------------------------------------------------------------------
# The schedule (GCS)

_GAMES_CACHE: dict[tuple[str, str], tuple[Game, ...]] = {}
_GAMES_LOCK = threading.Lock()


def load_games(rt: Runtime, d: date) -> tuple[tuple[Game, ...], str]:
    """The games of the newest schedule file of `d`'s season (the locker's choice of file), parsed once."""
    from shared.adapters.gcs import read_object
    from shared.locker import newest_schedule, parse_schedule_bytes, schedule_prefix

    newest = newest_schedule(rt, d)
    if newest is None:
        raise FileNotFoundError(f"no schedule file under gs://{rt.bucket}/{schedule_prefix(d)}")
    name = newest[0]
    key = (rt.bucket, name)
    with _GAMES_LOCK:
        hit = _GAMES_CACHE.get(key)
    if hit is not None:
        return hit, name
    data = read_object(rt, name)
    if data is None:
        raise FileNotFoundError(f"schedule file gs://{rt.bucket}/{name} disappeared before it was read")
    games = tuple(parse_schedule_bytes(data, f"gs://{rt.bucket}/{name}"))
    with _GAMES_LOCK:
        if len(_GAMES_CACHE) >= 4:
            _GAMES_CACHE.clear()
        _GAMES_CACHE[key] = games
    return games, name


def read_snapshot(
    rt: Runtime | None,
    cfg: Config,
    tick: datetime,
    decision_ids: Mapping[str, str],
    *,
    games: Sequence[Game] | None = None,
    schedule_file: str | None = None,
    query: Query = _default_query,
) -> tuple[Snapshot, list[dict[str, Any]]]:
    """The tick's snapshot and this slot's already recorded decision rows.

    `games` (e.g. from a schedule file on disk) replaces the GCS read; `rt=None` means no reachable stack:
    an empty history (a dry run without records).
    """
    d = rules.operational_day_of(cfg, tick)
    parts = parts_for(cfg, decision_ids)
    if rt is None:
        history = {p.owner: History() for p in parts}
        return Snapshot(
            tick,
            tuple(games) if games is not None else None,
            history,
            games_error=None if games is not None else "no schedule file given and no stack to read",
            schedule_file=schedule_file,
        ), []

    games_error: str | None = None
    with ThreadPoolExecutor(max_workers=1) as pool:
        fut = pool.submit(load_games, rt, d) if games is None else None
        records, errors = read_records(rt, cfg, tick, parts, query=query)
        if fut is not None:
            try:
                loaded, schedule_file = fut.result()
                games = loaded
            except Exception as exc:
                games_error = f"{type(exc).__name__}: {exc}"
    day_start, _ = rules.operational_day_bounds(cfg, d)
    history: dict[str, History] = {}
    for p in parts:
        if p.owner in ("slot", "freshness"):
            continue
        if p.owner in errors:
            history[p.owner] = History(error=errors[p.owner])
        else:
            history[p.owner] = history_for(p.owner, p, records[p.owner], day_start)
    fresh_runs: list[datetime] = []
    if "freshness" not in errors:
        fresh = next(p for p in parts if p.owner == "freshness").fresh
        fresh_runs = [r.at for r in records["freshness"].runs if r.scraper in fresh and r.status == "success"]
    snap = Snapshot(
        tick=tick,
        games=tuple(games) if games is not None else None,
        history=history,
        last_schedule_success=max(fresh_runs, default=None),
        games_error=games_error,
        freshness_error=errors.get("freshness"),
        schedule_file=schedule_file,
    )
    return snap, records["slot"].slot
