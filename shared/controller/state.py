"""The reads behind a tick, and the controller's own ledger: what a `Snapshot` is built from.

Two stores, each for what it does well:
- The ledger (GCS, in the data bucket under `_nba-orch/controller/`): one object per decided slot,
  `{operational day}/{slot}.json`, created with `if_generation_match=0`. Creating it is the atomic claim of
  the slot (exactly one delivery of a tick wins, even two at the same instant, which BigQuery's best-effort
  insertId cannot promise); its body holds the slot's decisions (and so every request a RUN publishes);
  its metadata names the workflows that RAN and the newest Odds API quota reading the controller knew. One
  listing of today's and yesterday's prefixes gives every earlier RUN (cadence, discovery attempts, "already
  ran in this window") and tells whether this slot is already decided. `workflow_decisions` in BigQuery is
  the audit record, written from the same decisions.
- The scrapers' records (BigQuery `scraper_execution_log`): ONE simple query per tick returns the runs of
  the scrapers the enabled workflows need, from the operational day's start (05:00 ET, computed by
  `shared.rules`; never `CURRENT_DATE()` in UTC) or `schedule_freshness_hours` back, whichever is earlier.
  If it fails, each workflow's scrapers are read on their own, so a fault confined to one workflow's read
  ABORTs that workflow only (CRITICAL); when every read fails, the snapshot says so and the service lets
  Pub/Sub redeliver the tick (ABORTs are recorded on the last delivery attempt).

The query is deliberately plain (no JSON functions, no unions): every read is a round trip, and the emulator
used for local runs, like BigQuery itself, spends most of a small query's time on the statement, not on
the rows. The schedule file is read from GCS at the same time (parsed once per process, cached by name:
schedule files are create-only, a new schedule is a new name).
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
from shared.controller.model import FRESHNESS, History, Run, Snapshot
from shared.controller.params import published_scrapers
from shared.nba.schedule import Game
from shared.runtime import Runtime
from shared.timeutil import iso_utc, parse_instant

LEDGER_PREFIX = "_nba-orch/controller/"
# RUN decisions older than this do not matter to any rule (cadence, attempts, windows).
DECISION_LOOKBACK = timedelta(hours=26)

LOG_SQL = (
    "SELECT scraper_name, status, triggered_at, opts, data_summary FROM {dataset}.scraper_execution_log "
    "WHERE triggered_at >= @since AND triggered_at <= @tick AND scraper_name IN UNNEST(@names)"
)

Query = Callable[[Runtime, str, dict[str, Any]], list[dict[str, Any]]]


class LedgerUnavailable(RuntimeError):
    """The ledger could not be listed: without it the controller cannot tell a redelivery, so retry."""


# ---------------------------------------------------------------------------------------------------------
# What each workflow reads (pure)


@dataclass(frozen=True)
class Part:
    """The scrapers whose runs one owner (a workflow, or "schedule_freshness") needs."""

    owner: str
    evidence: frozenset[str] = frozenset()  # runs of the operational day
    odds: frozenset[str] = frozenset()  # quota readings


def parts_for(cfg: Config) -> list[Part]:
    sched = str(cfg.controller.get("schedule_scraper", "nbac_schedule_api"))
    parts = [Part(FRESHNESS, evidence=frozenset({sched}))]
    for wf in cfg.enabled_workflows():
        odds = frozenset(s for s in wf.scrapers if cfg.scrapers[s].source == "odds_api")
        evidence = frozenset() if wf.decision_type == "game_aware" else frozenset(published_scrapers(cfg, wf))
        parts.append(Part(wf.name, evidence, odds))
    return parts


def log_since(cfg: Config, tick: datetime) -> datetime:
    """Where the log read starts: the operational day's start, or the freshness limit back if earlier."""
    day_start, _ = rules.operational_day_bounds(cfg, rules.operational_day_of(cfg, tick))
    return min(day_start, tick - timedelta(hours=float(cfg.controller.get("schedule_freshness_hours", 6))))


# ---------------------------------------------------------------------------------------------------------
# Rows -> runs (pure)


def _json(value: Any) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return {}
    return value if isinstance(value, dict) else {}


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def to_run(row: Mapping[str, Any]) -> Run:
    """A log row as the scrapers write it (opts.params, data_summary.record_count) -> Run."""
    opts, summary = _json(row.get("opts")), _json(row.get("data_summary"))
    params = opts.get("params") if isinstance(opts.get("params"), dict) else {}
    keep = {k: summary[k] for k in ("game_ids", "team_tricodes", "quota") if k in summary}
    return Run(
        scraper=str(row["scraper_name"]),
        at=row["triggered_at"],
        status=str(row["status"]),
        params={str(k): str(v) for k, v in params.items()},
        summary=keep,
        records=_int(summary.get("record_count")),
    )


def quota_of(run: Run) -> int | None:
    q = run.summary.get("quota")
    return _int(q.get("requests_remaining")) if isinstance(q, dict) else None


# ---------------------------------------------------------------------------------------------------------
# The ledger (GCS)


@dataclass(frozen=True)
class LedgerEntry:
    """One decided slot, from the ledger listing (name and metadata only)."""

    name: str
    tick: datetime
    runs: tuple[str, ...] = ()
    odds: tuple[int, datetime] | None = None


def ledger_name(cfg: Config, tick: datetime) -> str:
    d = rules.operational_day_of(cfg, tick)
    return f"{LEDGER_PREFIX}{d.isoformat()}/{rules.tick_key(cfg, tick)}.json"


def ledger_metadata(tick: datetime, runs: Iterable[str], odds: tuple[int, datetime] | None) -> dict[str, str]:
    meta = {"tick": iso_utc(tick), "run": ",".join(runs)}
    if odds is not None:
        meta.update(odds_remaining=str(odds[0]), odds_at=iso_utc(odds[1]))
    return meta


def _entry(name: str, meta: Mapping[str, str] | None) -> LedgerEntry | None:
    meta = meta or {}
    try:
        tick = parse_instant(meta["tick"])
    except (KeyError, ValueError):
        return None  # not written by this controller: ignored
    odds = None
    if meta.get("odds_remaining") and meta.get("odds_at"):
        try:
            odds = (int(meta["odds_remaining"]), parse_instant(meta["odds_at"]))
        except ValueError:
            odds = None
    return LedgerEntry(name, tick, tuple(w for w in meta.get("run", "").split(",") if w), odds)


def list_ledger(rt: Runtime, cfg: Config, tick: datetime) -> list[LedgerEntry]:
    """The decided slots of the tick's operational day and the day before."""
    from shared.clients import storage_client

    d = rules.operational_day_of(cfg, tick)
    client = storage_client(rt.project)
    out = []
    for day in (d - timedelta(days=1), d):
        for blob in client.list_blobs(rt.bucket, prefix=f"{LEDGER_PREFIX}{day.isoformat()}/"):
            entry = _entry(blob.name, blob.metadata)
            if entry is not None:
                out.append(entry)
    return out


def read_ledger(rt: Runtime, name: str) -> list[dict[str, Any]] | None:
    """The decision rows recorded in a ledger object (None if it does not exist)."""
    from shared.adapters.gcs import read_object

    data = read_object(rt, name)
    if data is None:
        return None
    return list(json.loads(data).get("decisions") or [])


def claim_slot(rt: Runtime, name: str, rows: list[dict[str, Any]], metadata: dict[str, str]) -> None:
    """Create the slot's ledger object: the atomic claim. Raises shared.adapters.gcs.AlreadyExists."""
    from shared.adapters.bigquery import encode_row, json_columns
    from shared.adapters.gcs import create_object

    body = {"v": 1, "decisions": [encode_row(r, json_columns("workflow_decisions")) for r in rows]}
    create_object(rt, name, json.dumps(body, separators=(",", ":")).encode(), metadata=metadata)


# ---------------------------------------------------------------------------------------------------------
# The scrapers' records (BigQuery)


def _default_query(rt: Runtime, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    from shared.adapters.bigquery import query

    return query(rt, sql, params)


def read_runs(
    rt: Runtime, cfg: Config, tick: datetime, parts: Sequence[Part], *, query: Query = _default_query
) -> tuple[list[Run], dict[str, str], bool]:
    """(runs, read error per failed owner, whether every read failed); see the module docstring."""
    params = {"since": log_since(cfg, tick), "tick": tick}
    names = sorted({s for p in parts for s in p.evidence | p.odds})
    try:
        return [to_run(r) for r in query(rt, LOG_SQL, {**params, "names": names})], {}, False
    except Exception as exc:
        batched = f"{type(exc).__name__}: {str(exc)[:300]}"
    runs: dict[tuple[str, datetime, str], Run] = {}
    errors: dict[str, str] = {}
    for p in parts:
        own = sorted(p.evidence | p.odds)
        if not own:
            continue
        try:
            for r in query(rt, LOG_SQL, {**params, "names": own}):
                run = to_run(r)
                runs[(run.scraper, run.at, json.dumps(dict(run.params), sort_keys=True))] = run
        except Exception as exc:
            errors[p.owner] = f"{type(exc).__name__}: {str(exc)[:500]}"
    every = bool(errors) and len(errors) == len([p for p in parts if p.evidence | p.odds])
    if every:
        errors = {owner: f"{err} (batched read: {batched})" for owner, err in errors.items()}
    return list(runs.values()), errors, every


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


# ---------------------------------------------------------------------------------------------------------
# The snapshot


@dataclass
class Reads:
    """Everything read for a tick: the snapshot, this slot's recorded decisions (None: not decided yet), and
    whether every record read failed (the service then lets Pub/Sub redeliver)."""

    snapshot: Snapshot
    recorded: list[dict[str, Any]] | None = None
    ledger_name: str = ""
    all_reads_failed: bool = False
    known_odds: tuple[int, datetime] | None = None
    ledger: list[LedgerEntry] = field(default_factory=list)


def build_snapshot(
    cfg: Config,
    tick: datetime,
    *,
    runs: Sequence[Run],
    ledger: Sequence[LedgerEntry],
    errors: Mapping[str, str] | None = None,
    games: Sequence[Game] | None,
    games_error: str | None = None,
    schedule_file: str | None = None,
) -> tuple[Snapshot, tuple[int, datetime] | None]:
    """The snapshot from the reads (pure); also the newest Odds API quota reading known at the tick."""
    errors = errors or {}
    d = rules.operational_day_of(cfg, tick)
    day_start, _ = rules.operational_day_bounds(cfg, d)
    earlier = [e for e in ledger if tick - DECISION_LOOKBACK <= e.tick < tick]
    readings = [(q, r.at) for r in runs if (q := quota_of(r)) is not None]
    readings += [e.odds for e in earlier if e.odds is not None]
    history: dict[str, History] = {}
    for p in parts_for(cfg):
        if p.owner == FRESHNESS:
            continue
        if p.owner in errors:
            history[p.owner] = History(error=errors[p.owner])
            continue
        own_quota = [(q, r.at) for r in runs if r.scraper in p.odds and (q := quota_of(r)) is not None]
        if p.odds:
            own_quota += [e.odds for e in earlier if e.odds is not None]
        remaining, at = max(own_quota, key=lambda x: x[1]) if own_quota else (None, None)
        history[p.owner] = History(
            runs=tuple(r for r in runs if r.scraper in p.evidence and r.at >= day_start),
            run_decisions=tuple(sorted(e.tick for e in earlier if p.owner in e.runs)),
            odds_remaining=remaining,
            odds_remaining_at=at,
        )
    sched = str(cfg.controller.get("schedule_scraper", "nbac_schedule_api"))
    fresh = [r.at for r in runs if r.scraper == sched and r.status == "success"]
    near = {d - timedelta(days=1), d, d + timedelta(days=1)}  # every rule looks at most one night away
    snap = Snapshot(
        tick=tick,
        games=tuple(g for g in games if g.game_date in near) if games is not None else None,
        history=history,
        last_schedule_success=max(fresh, default=None),
        games_error=games_error,
        freshness_error=errors.get(FRESHNESS),
        schedule_file=schedule_file,
    )
    return snap, max(readings, key=lambda x: x[1]) if readings else None


def read_snapshot(
    rt: Runtime | None,
    cfg: Config,
    tick: datetime,
    *,
    games: Sequence[Game] | None = None,
    schedule_file: str | None = None,
    query: Query = _default_query,
) -> Reads:
    """Read everything for `tick` (ledger, records, schedule: concurrently) and build the snapshot.

    `games` (e.g. from a schedule file on disk) replaces the GCS read; `rt=None` means no reachable stack:
    an empty history (a dry run without records).
    """
    if rt is None:
        snap, _ = build_snapshot(
            cfg,
            tick,
            runs=(),
            ledger=(),
            games=games,
            games_error=None if games is not None else "no schedule file given and no stack to read",
            schedule_file=schedule_file,
        )
        return Reads(snap)
    d = rules.operational_day_of(cfg, tick)
    name = ledger_name(cfg, tick)
    with ThreadPoolExecutor(max_workers=2) as pool:
        ledger_f = pool.submit(list_ledger, rt, cfg, tick)
        games_f = pool.submit(load_games, rt, d) if games is None else None
        runs, errors, every = read_runs(rt, cfg, tick, parts_for(cfg), query=query)
        try:
            ledger = ledger_f.result()
        except Exception as exc:
            raise LedgerUnavailable(f"cannot list the controller ledger: {type(exc).__name__}: {exc}") from exc
        games_error = None
        if games_f is not None:
            try:
                games, schedule_file = games_f.result()
            except Exception as exc:
                games_error = f"{type(exc).__name__}: {exc}"
    recorded = read_ledger(rt, name) if any(e.name == name for e in ledger) else None
    snap, known_odds = build_snapshot(
        cfg,
        tick,
        runs=runs,
        ledger=ledger,
        errors=errors,
        games=games,
        games_error=games_error,
        schedule_file=schedule_file,
    )
    return Reads(snap, recorded, name, every, known_odds, ledger)
