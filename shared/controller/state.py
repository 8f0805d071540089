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
- The scrapers' records (the run ledger, `shared.run_ledger`): every finished scraper run is filed by the
  scrapers as a small object under `_nba-orch/runs/<operational day>/`, its record in the metadata. One
  listing per day returns the runs the enabled workflows need, from the operational day's start (05:00 ET,
  computed by `shared.rules`; never a UTC date) or `schedule_freshness_hours` back, whichever is earlier
  (so the day before is listed only for ticks before 11:00 ET). A record that cannot be read (damaged, or a
  schema version this code does not know) ABORTs the workflows that need its scraper (CRITICAL); a listing
  that fails raises LedgerUnavailable, and the service lets Pub/Sub redeliver the tick (on the last
  delivery attempt it records an ABORT per workflow in BigQuery, so the gap is explained).
  `scraper_execution_log` in BigQuery stays the audit record of the runs: it used to be read here, one
  query per tick, which cost two thirds of a tick (docs/controller.md, "The records read").

All listings and the schedule read run concurrently: a tick's reads take one GCS round trip plus the
parsing. The schedule file is parsed once per process, cached by name (schedule files are create-only, a
new schedule is a new name).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared import rules, run_ledger
from shared.bucket_layout import prefix
from shared.config import Config
from shared.controller.model import FRESHNESS, History, Run, Snapshot
from shared.controller.params import published_scrapers
from shared.errors import AlreadyExists
from shared.nba.schedule import Game
from shared.runtime import Runtime
from shared.timeutil import iso_utc, parse_instant

LEDGER_PREFIX = prefix("controller_slots")
# RUN decisions older than this do not matter to any rule (cadence, attempts, windows).
DECISION_LOOKBACK = timedelta(hours=26)


class LedgerUnavailable(RuntimeError):
    """A ledger (the controller's slots, or the scrapers' runs) could not be listed: the tick cannot be
    decided (nor a redelivery told apart), so it is retried."""


# ---------------------------------------------------------------------------------------------------------
# What each workflow reads (pure)


@dataclass(frozen=True)
class Part:
    """The scrapers whose runs one owner (a workflow, or "schedule_freshness") needs."""

    owner: str
    evidence: frozenset[str] = frozenset()  # runs of the operational day
    odds: frozenset[str] = frozenset()  # quota readings
    news: frozenset[str] = frozenset()  # injury report runs whose `injury_triggers` ask for a re-snapshot
    recovery: bool = False  # a recovery workflow: in its window, it reads its game night's runs too


def with_fallbacks(cfg: Config, scrapers: Iterable[str]) -> frozenset[str]:
    """The scrapers and every catalogue fallback of theirs: a fallback's run can do its primary's work."""
    return frozenset(n for s in scrapers for n in (s, *cfg.fallbacks_of(s)))


def parts_for(cfg: Config) -> list[Part]:
    sched = cfg.controller.schedule_scraper
    parts = [Part(FRESHNESS, evidence=with_fallbacks(cfg, [sched]))]
    reports = with_fallbacks(
        cfg, [s for wf in cfg.enabled_workflows() if wf.decision_type == "report_series" for s in wf.scrapers]
    )
    for wf in cfg.enabled_workflows():
        odds = frozenset(s for s in wf.scrapers if cfg.scrapers[s].source == "odds_api")
        evidence = (
            frozenset()
            if wf.decision_type in ("game_aware", "game_tip_offsets")
            else with_fallbacks(cfg, published_scrapers(cfg, wf))
        )
        news = reports if wf.decision_type == "game_tip_offsets" else frozenset()
        parts.append(Part(wf.name, evidence, odds, news, wf.decision_type == "recovery"))
    return parts


def part_start(cfg: Config, part: Part, tick: datetime) -> datetime:
    """Where a part's runs start: its operational day's start, or, for a recovery inside its window, the start
    of the game night it recovers (the previous operational day: the night's post-game windows ran then)."""
    day_start, _ = rules.operational_day_bounds(cfg, rules.operational_day_of(cfg, tick))
    night = rules.recovery_target(cfg, cfg.workflows[part.owner], tick) if part.recovery else None
    return min(day_start, rules.operational_day_bounds(cfg, night)[0]) if night is not None else day_start


def log_since(cfg: Config, tick: datetime) -> datetime:
    """Where the log read starts: the operational day's start, or the freshness limit back if earlier, or a
    recovery's game night inside its window (`part_start`)."""
    day_start, _ = rules.operational_day_bounds(cfg, rules.operational_day_of(cfg, tick))
    starts = [part_start(cfg, p, tick) for p in parts_for(cfg) if p.recovery]
    return min([day_start, tick - timedelta(hours=cfg.controller.schedule_freshness_hours), *starts])


# ---------------------------------------------------------------------------------------------------------
# Rows -> runs (pure)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def to_run(record: Mapping[str, Any]) -> Run:
    """A run record as `shared.run_ledger.parse` returns it (params and data_summary checked) -> Run."""
    summary, params = record["data_summary"], record["params"]
    keep = {k: summary[k] for k in ("game_ids", "team_tricodes", "quota", "injury_triggers") if k in summary}
    return Run(
        scraper=str(record["scraper_name"]),
        at=record["triggered_at"],
        status=str(record["status"]),
        params={str(k): str(v) for k, v in params.items()},
        summary=keep,
        records=_int(summary.get("record_count")),
    )


def injury_news(runs: Iterable[Run], games: Iterable[Game]) -> dict[str, datetime]:
    """Game id -> the newest injury report run whose changes ask for a re-snapshot of it (its summary's
    `injury_triggers`, matchups "AWY@HOM" matched to the games given: the operational day's)."""
    by_matchup = {f"{g.away}@{g.home}": g.game_id for g in games if g.teams_known}
    out: dict[str, datetime] = {}
    for r in runs:
        triggers = r.summary.get("injury_triggers")
        if r.status != "success" or not isinstance(triggers, list):
            continue
        for m in triggers:
            gid = by_matchup.get(str(m))
            if gid is not None and (gid not in out or out[gid] < r.at):
                out[gid] = r.at
    return out


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
    slots: tuple[str, ...] = ()  # "<workflow>:<game id>/<snapshot>" taken by this slot's RUNs


def taken_slots_of(decisions: Iterable[Any]) -> list[str]:
    """The tip slots this tick's RUN decisions take (decision context `slots_taken`), as ledger entries."""
    return [f"{d.workflow}:{k}" for d in decisions if d.action == "RUN" for k in d.context.get("slots_taken") or ()]


def ledger_name(cfg: Config, tick: datetime) -> str:
    d = rules.operational_day_of(cfg, tick)
    return f"{LEDGER_PREFIX}{d.isoformat()}/{rules.tick_key(cfg, tick)}.json"


def ledger_metadata(
    tick: datetime, runs: Iterable[str], odds: tuple[int, datetime] | None, slots: Iterable[str] = ()
) -> dict[str, str]:
    meta = {"tick": iso_utc(tick), "run": ",".join(runs)}
    slots = list(slots)
    if slots:  # 15 games x ~35 characters: well inside GCS's 8 KiB of custom metadata
        meta["tip_slots"] = ",".join(slots)
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
    runs = tuple(w for w in meta.get("run", "").split(",") if w)
    return LedgerEntry(name, tick, runs, odds, tuple(x for x in meta.get("tip_slots", "").split(",") if x))


def ledger_days(cfg: Config, tick: datetime) -> list[date]:
    """The operational days whose decided slots a tick reads: its own and the day before (26 h lookback)."""
    d = rules.operational_day_of(cfg, tick)
    return [d - timedelta(days=1), d]


def list_ledger(rt: Runtime, day: date) -> list[LedgerEntry]:
    """The decided slots of one operational day (one listing, names and metadata only)."""
    from shared.adapters.gcs import iter_objects

    out = []
    for name, _created, meta in iter_objects(rt, f"{LEDGER_PREFIX}{day.isoformat()}/"):
        entry = _entry(name, meta)
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
    """Create the slot's ledger object: the atomic claim (shared.claims). Raises shared.errors.AlreadyExists
    when another delivery claimed the slot first."""
    from shared import claims
    from shared.adapters.bigquery import encode_row, json_columns

    body = {"v": 1, "decisions": [encode_row(r, json_columns("workflow_decisions")) for r in rows]}
    if not claims.acquire(rt, name, json.dumps(body, separators=(",", ":")).encode(), metadata=metadata).won:
        raise AlreadyExists(name)


# ---------------------------------------------------------------------------------------------------------
# The scrapers' records (the run ledger, GCS)


def run_days(cfg: Config, tick: datetime) -> list[date]:
    """The operational days whose run records a tick reads: its own, and the one before only when the
    freshness limit reaches back into it (ticks before 11:00 ET)."""
    d = rules.operational_day_of(cfg, tick)
    day_start, _ = rules.operational_day_bounds(cfg, d)
    return [d - timedelta(days=1), d] if log_since(cfg, tick) < day_start else [d]


def runs_from_records(
    cfg: Config,
    tick: datetime,
    records: Iterable[tuple[str, Mapping[str, str]]],
    parts: Sequence[Part],
    *,
    body: Callable[[str], bytes | None] = lambda name: None,
) -> tuple[list[Run], dict[str, str]]:
    """The runs the parts need, in [log_since, tick], from the listed run records (pure but for `body`,
    which fetches a record too large for its metadata). A record that cannot be read is an error for every
    owner that needs its scraper (that workflow ABORTs), never a silently missing run."""
    since = log_since(cfg, tick)
    names = {s for p in parts for s in p.evidence | p.odds | p.news}
    runs: list[Run] = []
    bad: dict[str, str] = {}
    for name, meta in records:
        scraper = run_ledger.scraper_of(name)
        if scraper is None or scraper not in names:
            continue
        try:
            rec = run_ledger.parse(name, meta, None if meta.get("run") else body(name))
        except run_ledger.UnreadableRecord as exc:
            bad.setdefault(scraper, f"unreadable run record: {exc}")
            continue
        if since <= rec["triggered_at"] <= tick:
            runs.append(to_run(rec))
    # Injury news is an extra for its readers: an unreadable report record costs that news, never the lines.
    errors = {
        p.owner: "; ".join(bad[s] for s in sorted(p.evidence | p.odds) if s in bad)
        for p in parts
        if bad.keys() & (p.evidence | p.odds)
    }
    return runs, errors


def _list_records(rt: Runtime, d: date) -> list[tuple[str, dict[str, str]]]:
    return list(run_ledger.list_day(rt, d))


Lister = Callable[[Runtime, date], list[tuple[str, dict[str, str]]]]

_POOL: ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def pool() -> ThreadPoolExecutor:
    """The process's I/O threads for a tick's concurrent calls, created on first use and kept (a warm
    instance does not start five threads per tick). Tasks never wait on other tasks of this pool."""
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="controller-io")
        return _POOL


# ---------------------------------------------------------------------------------------------------------
# The schedule (GCS)

_GAMES_CACHE: dict[tuple[str, str], tuple[Game, ...]] = {}
_GAMES_LOCK = threading.Lock()


def load_games(rt: Runtime, d: date) -> tuple[tuple[Game, ...], str]:
    """The games of the newest schedule file of `d`'s season (the locker's choice of file), parsed once."""
    from shared.adapters.gcs import read_object
    from shared.nba.schedule_store import newest_schedule, parse_schedule_bytes, schedule_prefix

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
    """Everything read for a tick: the snapshot, and this slot's recorded decisions (None: not decided yet)."""

    snapshot: Snapshot
    recorded: list[dict[str, Any]] | None = None
    ledger_name: str = ""
    known_odds: tuple[int, datetime] | None = None
    ledger: list[LedgerEntry] = field(default_factory=list)
    # the run records listed, per operational day (the SLA evaluation at this tick reuses them)
    listed: dict[date, list[run_ledger.Listed]] = field(default_factory=dict)


def _newest(reading: tuple[int, datetime]) -> tuple[datetime, int]:
    """Order of quota readings: the latest logical time; among readings of the same time (the follow-ups of
    one tick share it) the lowest remaining, since credits only go down between resets."""
    return reading[1], -reading[0]


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
    today = rules.day_games(cfg, d, games) if games is not None else []
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
        remaining, at = max(own_quota, key=_newest) if own_quota else (None, None)
        news = (
            injury_news((r for r in runs if r.scraper in p.news and r.at >= day_start), today)
            if p.news and today
            else {}
        )
        start = part_start(cfg, p, tick) if p.recovery else day_start
        history[p.owner] = History(
            runs=tuple(r for r in runs if r.scraper in p.evidence and r.at >= start),
            run_decisions=tuple(sorted(e.tick for e in earlier if p.owner in e.runs)),
            odds_remaining=remaining,
            odds_remaining_at=at,
            taken_slots={
                x.split(":", 1)[1]: e.tick
                for e in sorted(earlier, key=lambda e: e.tick, reverse=True)
                for x in e.slots
                if x.startswith(f"{p.owner}:")
            },
            injury_news=news,
        )
    # The newest successful schedule run, of the schedule scraper or of a fallback standing in for it.
    serving = with_fallbacks(cfg, [cfg.controller.schedule_scraper])
    fresh = max((r for r in runs if r.scraper in serving and r.status == "success"), key=lambda r: r.at, default=None)
    near = {d - timedelta(days=1), d, d + timedelta(days=1)}  # every rule looks at most one night away
    snap = Snapshot(
        tick=tick,
        games=tuple(g for g in games if g.game_date in near) if games is not None else None,
        history=history,
        last_schedule_success=fresh.at if fresh else None,
        schedule_served_by=fresh.scraper if fresh else None,
        games_error=games_error,
        freshness_error=errors.get(FRESHNESS),
        schedule_file=schedule_file,
        first_slot=min((e.tick for e in earlier), default=None),
    )
    return snap, max(readings, key=_newest) if readings else None


def unreadable_snapshot(cfg: Config, tick: datetime, reason: str) -> Snapshot:
    """A snapshot in which nothing could be read: every workflow (and the freshness check) ABORTs."""
    errors = {p.owner: reason for p in parts_for(cfg)}
    snap, _ = build_snapshot(cfg, tick, runs=(), ledger=(), errors=errors, games=None, games_error=reason)
    return snap


def read_snapshot(
    rt: Runtime | None,
    cfg: Config,
    tick: datetime,
    *,
    games: Sequence[Game] | None = None,
    schedule_file: str | None = None,
    lister: Lister | None = None,
) -> Reads:
    """Read everything for `tick` (the slot ledger, the run records, the schedule: concurrently, one listing
    each) and build the snapshot. Raises LedgerUnavailable when a listing fails.

    `games` (e.g. from a schedule file on disk) replaces the GCS read; `rt=None` means no reachable stack:
    an empty history (a dry run without records). `lister` lists one day's run records (tests inject faults).
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
    lister = lister or _list_records
    io = pool()
    games_f = io.submit(load_games, rt, d) if games is None else None
    ledger_fs = [io.submit(list_ledger, rt, day) for day in ledger_days(cfg, tick)]
    days = run_days(cfg, tick)
    record_fs = [io.submit(lister, rt, day) for day in days]
    try:
        ledger = [e for f in ledger_fs for e in f.result()]
        listed = {day: f.result() for day, f in zip(days, record_fs, strict=True)}
        records = [r for day in days for r in listed[day]]
    except Exception as exc:
        for f in (games_f, *ledger_fs, *record_fs):
            if f is not None:
                f.cancel()  # do not leave queued reads behind
        raise LedgerUnavailable(f"cannot list the ledger: {type(exc).__name__}: {exc}") from exc
    games_error = None
    if games_f is not None:
        try:
            games, schedule_file = games_f.result()
        except Exception as exc:
            games_error = f"{type(exc).__name__}: {exc}"
    from shared.adapters.gcs import read_object

    runs, errors = runs_from_records(cfg, tick, records, parts_for(cfg), body=lambda n: read_object(rt, n))
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
    return Reads(snap, recorded, name, known_odds, ledger, listed)
