"""The schedule locker: at 05:00 ET, write the day's expected workflow runs to `daily_expected_schedule`, once.

Pure part: the target date, schedule freshness, parsing the schedule file, and the rows (`plan`, which is
`shared.rules.expected_runs` plus the lock columns). Edge part (below the line): find or scrape the schedule
file in GCS, claim the day, write the rows.

Lock semantics, and why this design
- The claim is a GCS object `_nba-orch/locks/daily_expected_schedule/{date}.json`, created with
  `if_generation_match=0`: exactly one locker wins, even when two run at the same instant (Scheduler
  redelivery, a manual re-publish, two people). BigQuery cannot give that: concurrent INSERT statements
  (and MERGEs with only an INSERT clause) may both commit. The claim holds the winner's exact rows.
- The rows are written by ONE MERGE statement that deletes the day's old rows and inserts the new ones
  (`ON FALSE ... WHEN NOT MATCHED BY SOURCE AND date = @d THEN DELETE ... WHEN NOT MATCHED THEN INSERT`).
  A single DML statement is atomic in BigQuery, so a reader sees the old day or the new day, never half of
  one; mutating DML statements on a table are serialised. The table is only ever written by DML (never
  streamed), so the streaming buffer never blocks the DELETE part.
- A second run for a locked day changes nothing and returns the existing lock. If the winner crashed between
  its claim and its write, the next run writes the claimed rows (the same ones: idempotent).
- `force` rewrites the claim with the new rows, then replaces the day with the same single statement. If
  another writer changed the claim meanwhile, the day is settled to the claim's current rows, so the table
  ends matching the claim.
- Keys: one claim per date; rows keyed by (date, workflow_name, expected_run_time); `schedule_version` says
  which schedule file and which plan produced them (deterministic: same inputs, same version).

Errors: bad input (a date before 1946-11-01 or more than 400 days after `as_of`, an unparseable schedule file) raises
`PermanentError` (logged and acknowledged); a missing or failing dependency (BigQuery, GCS, upstream) raises
anything else, so Pub/Sub redelivers.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from shared import claims, log
from shared.bucket_layout import object_name
from shared.config import PRIORITIES, Config
from shared.contracts import PubSubMessage, decode_tick
from shared.edge import is_final_attempt
from shared.errors import AlreadyExists, PermanentError
from shared.locker.plan import TABLE, LockRequest, LockResult, Plan, plan, target_date
from shared.nba.schedule_store import (
    Schedule,
    ScheduleUnavailable,
    is_fresh,
    newest_schedule,
    read_schedule,
    schedule_prefix,
    stamp_of,
)
from shared.rules import operational_day_bounds
from shared.runtime import Runtime
from shared.timeutil import iso_utc, parse_instant, season_of

# ---------------------------------------------------------------------------------------------------------
# Edge: the schedule file (GCS, or the scraper run in-process)

Scrape = Callable[[Runtime, Config, date, datetime, bool], str]


def scrape_schedule(rt: Runtime, cfg: Config, d: date, as_of: datetime, final_attempt: bool) -> str:
    """Run the schedule scraper in-process (logged like any run, source LOCKER); returns the file's name.

    The request id is deterministic (date + as_of), so a redelivered tick reuses the first run's file. When
    the scraper fails and releases its catalogue fallbacks (the stats API blocked: nbac_schedule_cdn), they
    run here too, in order, until one serves: an unreadable schedule would ABORT every game workflow, so
    the day cannot wait for the scrapers function. The served file must hold `d`'s season.
    """
    from shared.contracts import ScraperRequest
    from shared.scrapers.service import execute  # lazy: the scraper framework is heavy and rarely needed here

    name = cfg.controller.schedule_scraper
    request = ScraperRequest.create(
        name,
        {"season": season_of(d)[0]},
        scope=f"schedule_locker:{d.isoformat()}:{iso_utc(as_of)}",
        workflow="schedule_locker",
        source="LOCKER",
        triggered_by="schedule_locker",
        as_of=as_of,
    )
    outcome = execute(rt, request, final_attempt=final_attempt, config=cfg)
    failures = []
    pending = []
    while outcome.status != "success":
        failures.append(f"{outcome.scraper_name} ended {outcome.status}: {outcome.error_message or 'no file'}")
        pending.extend(f for f in outcome.follow_ups if f.context.get("fallback_for") == outcome.scraper_name)
        if not pending:
            break
        outcome = execute(rt, pending.pop(0), final_attempt=final_attempt, config=cfg)
    path = outcome.object_name or outcome.gcs_path
    if outcome.status != "success" or not path:
        raise ScheduleUnavailable(f"schedule scraper {'; '.join(failures) or name + ' wrote no file'}")
    prefix = f"gs://{rt.bucket}/"
    path = path[len(prefix) :] if path.startswith(prefix) else path
    if not path.startswith(schedule_prefix(d)):
        raise ScheduleUnavailable(
            f"{outcome.scraper_name} served {path}, not a schedule of {d.isoformat()}'s season "
            f"({schedule_prefix(d)}); {'; '.join(failures)}"
        )
    if failures:
        log.warning(
            f"schedule_locker: the schedule of {d.isoformat()} comes from the fallback {outcome.scraper_name}: "
            + "; ".join(failures),
            date=d.isoformat(),
            served_by=outcome.scraper_name,
            schedule_file=path,
        )
    return path


def load_schedule(
    rt: Runtime,
    cfg: Config,
    d: date,
    as_of: datetime,
    *,
    scrape: Scrape = scrape_schedule,
    allow_scrape: bool = True,
    final_attempt: bool = False,
) -> Schedule:
    """The newest stored schedule if fresh, or taken after day `d` was over (it has the day as played: a past
    day needs no new scrape); otherwise scrape one first (a dry run uses a stale one instead)."""
    newest = newest_schedule(rt, d)
    scraped = stale = False
    if newest is not None and (is_fresh(newest[1], as_of) or newest[1] >= operational_day_bounds(cfg, d)[1]):
        name, stamp = newest
    elif allow_scrape:
        log.info(
            "schedule_locker: no fresh schedule file, running the schedule scraper",
            newest=newest[0] if newest else None,
            date=d.isoformat(),
        )
        name = scrape(rt, cfg, d, as_of, final_attempt)
        stamp, scraped = stamp_of(name) or as_of, True
    elif newest is not None:
        (name, stamp), stale = newest, True
    else:
        where = f"gs://{rt.bucket}/{schedule_prefix(d)}"
        raise PermanentError(f"no schedule file under {where}, and a dry run does not scrape")
    return Schedule(name, stamp, read_schedule(rt, name), scraped, stale)


# ---------------------------------------------------------------------------------------------------------
# Edge: the claim (GCS) and the rows (BigQuery)


def lock_name(d: date) -> str:
    return object_name("schedule_locks", d.isoformat())


def read_lock(rt: Runtime, d: date) -> tuple[dict[str, Any], int] | None:
    """The claim of day `d` and its generation, or None."""
    found = claims.read(rt, lock_name(d))
    return None if found is None else (found.json(), found.generation)


def _claim_body(p: Plan, locked_at: datetime, generated_by: str) -> bytes:
    return json.dumps(
        {
            "v": 1,
            "date": p.date.isoformat(),
            "locked_at": iso_utc(locked_at),
            "schedule_version": p.schedule_version,
            "schedule_source": p.schedule_source,
            "games_scheduled": p.games_scheduled,
            "workflows_evaluated": p.workflows_evaluated,
            "generated_by": generated_by,
            "rows": p.rows,
        },
        separators=(",", ":"),
    ).encode()


def write_claim(rt: Runtime, d: date, body: bytes, *, create_only: bool) -> int:
    """Write the claim; create-only raises AlreadyExists when another locker claimed the day first."""
    if not create_only:
        return claims.overwrite(rt, lock_name(d), body).generation
    claim = claims.acquire(rt, lock_name(d), body)
    if not claim.won:
        raise AlreadyExists(lock_name(d))
    return claim.generation


def table_state(rt: Runtime, d: date) -> dict[tuple[str, str], int]:
    """(schedule_version, locked_at) -> row count of day `d` in the table (empty when the day has no rows)."""
    from shared.adapters.bigquery import query

    rows = query(
        rt,
        f"SELECT schedule_version, locked_at, COUNT(*) AS n FROM {{dataset}}.{TABLE} WHERE date = @d "
        "GROUP BY schedule_version, locked_at",
        {"d": d},
    )
    return {(str(r["schedule_version"]), iso_utc(r["locked_at"])): int(r["n"]) for r in rows}


def read_rows(rt: Runtime, d: date) -> list[dict[str, Any]]:
    from shared.adapters.bigquery import query

    rows = query(
        rt,
        f"SELECT * FROM {{dataset}}.{TABLE} WHERE date = @d ORDER BY expected_run_time, workflow_name",
        {"d": d},
    )
    out = []
    for r in rows:
        r = dict(r)
        for k in ("locked_at", "expected_run_time"):
            if isinstance(r.get(k), datetime):
                r[k] = iso_utc(r[k])
        if isinstance(r.get("date"), date):
            r["date"] = r["date"].isoformat()
        r["scrapers"] = list(r.get("scrapers") or [])
        out.append(r)
    return sorted(out, key=_row_order)


def _row_order(r: dict[str, Any]) -> tuple[str, int, str]:
    """The plan's order (shared.rules.expected_runs): time, then priority, then workflow."""
    prio = r.get("priority")
    rank = PRIORITIES.index(prio) if prio in PRIORITIES else len(PRIORITIES)
    return (r["expected_run_time"], rank, r["workflow_name"])


_MERGE = """
MERGE {table} T
USING (SELECT r.* FROM UNNEST(@rows) AS r) S
ON FALSE
WHEN NOT MATCHED BY SOURCE AND T.date = @d THEN DELETE
WHEN NOT MATCHED THEN INSERT
  (date, locked_at, workflow_name, expected_run_time, reason, scrapers, games_today, priority, schedule_version,
   generated_by, environment)
VALUES (S.date, S.locked_at, S.workflow_name, S.expected_run_time, S.reason, S.scrapers, S.games_today, S.priority,
        S.schedule_version, S.generated_by, S.environment)
"""


def replace_day(rt: Runtime, d: date, rows: list[dict[str, Any]]) -> None:
    """Replace every row of day `d` with `rows` in ONE statement (atomic: no moment with half a day)."""
    from google.cloud import bigquery

    from shared.clients import bigquery_client

    def struct(r: dict[str, Any]) -> Any:
        S, A = bigquery.ScalarQueryParameter, bigquery.ArrayQueryParameter
        return bigquery.StructQueryParameter(
            None,
            S("date", "DATE", date.fromisoformat(r["date"])),
            S("locked_at", "TIMESTAMP", parse_instant(r["locked_at"])),
            S("workflow_name", "STRING", r["workflow_name"]),
            S("expected_run_time", "TIMESTAMP", parse_instant(r["expected_run_time"])),
            S("reason", "STRING", r["reason"]),
            A("scrapers", "STRING", list(r["scrapers"])),
            S("games_today", "INT64", int(r["games_today"])),
            S("priority", "STRING", r["priority"]),
            S("schedule_version", "STRING", r["schedule_version"]),
            S("generated_by", "STRING", r["generated_by"]),
            S("environment", "STRING", r["environment"]),
        )

    client = bigquery_client(rt.project)
    params: list[Any] = [bigquery.ScalarQueryParameter("d", "DATE", d)]
    if rows:
        params.append(bigquery.ArrayQueryParameter("rows", "STRUCT", [struct(r) for r in rows]))
        sql = _MERGE.format(table=f"`{rt.table(TABLE)}`")
    else:  # a day with nothing expected: the replacement is just the delete
        sql = f"DELETE FROM `{rt.table(TABLE)}` WHERE date = @d"
    client.query_and_wait(sql, job_config=bigquery.QueryJobConfig(query_parameters=params))


def _materialized(state: dict[tuple[str, str], int], claim: dict[str, Any]) -> bool:
    """The table holds exactly the claim's rows: one (version, locked_at) group of the claimed size."""
    rows = claim.get("rows") or []
    return state == ({(claim["schedule_version"], claim["locked_at"]): len(rows)} if rows else {})


def _from_claim(status: str, d: date, claim: dict[str, Any], rows: list[dict[str, Any]] | None = None) -> LockResult:
    return LockResult(
        status=status,
        date=d,
        rows=rows if rows is not None else list(claim.get("rows") or []),
        locked_at=claim.get("locked_at"),
        schedule_version=claim.get("schedule_version"),
        games_scheduled=claim.get("games_scheduled"),
        workflows_evaluated=claim.get("workflows_evaluated"),
        schedule_source=claim.get("schedule_source"),
    )


def _settle(rt: Runtime, d: date, status: str, *, attempts: int = 3) -> LockResult:
    """Make the table match the current claim and return that lock.

    Finishes a lock whose writer crashed between claim and rows, and resolves concurrent forces: after
    writing, the claim is read again and, if another writer changed it meanwhile, the table is settled again.
    """
    for _ in range(attempts):
        found = read_lock(rt, d)
        if found is None:  # deleted by hand between two steps: nothing to settle against
            raise ScheduleUnavailable(f"the claim of {d.isoformat()} disappeared while locking; retrying")
        claim, generation = found
        if _materialized(table_state(rt, d), claim):
            return _from_claim(status, d, claim)
        replace_day(rt, d, list(claim.get("rows") or []))
        again = read_lock(rt, d)
        if again is not None and again[1] == generation:
            log.warning(
                f"schedule_locker: the rows of {d.isoformat()} did not match its claim (an interrupted or "
                "concurrent lock); wrote the claimed rows",
                date=d.isoformat(),
                schedule_version=claim.get("schedule_version"),
            )
            return _from_claim("completed" if status == "already_locked" else status, d, claim)
    raise ScheduleUnavailable(f"the claim of {d.isoformat()} kept changing while locking (concurrent forces)")


def lock_schedule(
    rt: Runtime,
    cfg: Config,
    req: LockRequest,
    *,
    schedule: Schedule | None = None,
    scrape: Scrape = scrape_schedule,
) -> LockResult:
    """Lock day `req.date` (default: the ET date of `as_of`); see the module docstring for the semantics.

    `schedule` (e.g. read from a local file by the CLI) replaces the GCS lookup and the scraper.
    """
    d = target_date(req)
    final_attempt = req.final_attempt or is_final_attempt(req.delivery_attempt, cfg.pubsub.max_delivery_attempts)

    if not req.force and not req.dry_run:
        # A locked day is answered from the claim and the table alone: no schedule read, no scrape.
        if read_lock(rt, d) is not None:
            return _settle(rt, d, "already_locked")
        if table_state(rt, d):  # rows without a claim (written before claims existed): leave them
            rows = read_rows(rt, d)
            return LockResult(
                "already_locked",
                d,
                rows,
                rows[0]["locked_at"],
                rows[0]["schedule_version"],
                max(r["games_today"] or 0 for r in rows),
                None,
            )

    sched = schedule or load_schedule(
        rt, cfg, d, req.as_of, scrape=scrape, allow_scrape=not req.dry_run, final_attempt=final_attempt
    )
    p = plan(
        cfg,
        d,
        sched.games,
        locked_at=req.as_of,
        schedule_source=sched.source,
        generated_by=req.generated_by,
        environment=rt.environment,
    )
    notes = [f"schedule file {sched.source} is stale (stamp {iso_utc(sched.stamp)})"] if sched.stale else []

    def result(status: str) -> LockResult:
        return LockResult(
            status,
            d,
            p.rows,
            iso_utc(req.as_of),
            p.schedule_version,
            p.games_scheduled,
            p.workflows_evaluated,
            sched.source,
            sched.scraped,
            notes,
        )

    if req.dry_run:
        return result("dry_run")

    body = _claim_body(p, req.as_of, req.generated_by)
    if req.force:
        generation = write_claim(rt, d, body, create_only=False)
        status = "replaced"
    else:
        try:
            generation = write_claim(rt, d, body, create_only=True)
        except AlreadyExists:  # another locker won the race: its rows are the day's rows
            settled = _settle(rt, d, "already_locked")
            settled.scraped = sched.scraped
            return settled
        status = "locked"
    replace_day(rt, d, p.rows)
    current = read_lock(rt, d)
    if current is None or current[1] != generation:  # a concurrent force rewrote the claim meanwhile
        return _settle(rt, d, status)
    return result(status)


def handle(msg: PubSubMessage) -> dict[str, Any]:
    """The Cloud Function's work: lock the tick's day ("now" is its as_of, else its publish time)."""
    from shared.config import get_config

    tick = decode_tick(msg)
    result = lock_schedule(Runtime.from_env(), get_config(), LockRequest.from_tick(tick, msg.delivery_attempt))
    return result.summary()
