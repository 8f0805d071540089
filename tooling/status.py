"""The day's health report: the checks our users ran by hand on their first day, now automatic.

`collect` reads one operational day (05:00 ET on D to 05:00 ET on D+1) from BigQuery; `evaluate` is pure and
turns those rows into checks and per-workflow figures, so it is tested without any cloud.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared import rules
from shared.config import Config
from shared.runtime import Runtime
from shared.timeutil import to_et


@dataclass
class DayData:
    date: date
    start: datetime
    end: datetime
    expected: list[dict[str, Any]] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    executions: list[dict[str, Any]] = field(default_factory=list)
    cleanups: list[dict[str, Any]] = field(default_factory=list)
    unnotified_files: list[str] | None = None  # None: not checked


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def to_json(self) -> dict[str, Any]:
        return {"check": self.name, "ok": self.ok, "detail": self.detail}


def collect(rt: Runtime, cfg: Config, d: date, *, check_files: bool = True) -> DayData:
    """Read the operational day's rows (and, when asked, the files still without notification)."""
    from shared.adapters.bigquery import query

    start, end = rules.operational_day_bounds(cfg, d)
    window = {"start": start, "end": end}
    data = DayData(date=d, start=start, end=end)
    data.expected = query(
        rt,
        "SELECT workflow_name, expected_run_time, locked_at, reason, scrapers, games_today "
        "FROM {dataset}.daily_expected_schedule WHERE date = @d ORDER BY expected_run_time",
        {"d": d},
    )
    data.decisions = query(
        rt,
        "SELECT decision_id, decision_time, workflow_name, action, reason, alert_level, scrapers_triggered, "
        "target_games FROM {dataset}.workflow_decisions WHERE decision_time >= @start AND decision_time < @end "
        "ORDER BY decision_time",
        window,
    )
    data.executions = query(
        rt,
        "SELECT execution_id, scraper_name, workflow, status, triggered_at, completed_at, source, gcs_path, "
        "error_type, error_message, recovery, notification_message_id FROM {dataset}.scraper_execution_log "
        "WHERE triggered_at >= @start AND triggered_at < @end ORDER BY triggered_at",
        window,
    )
    data.cleanups = query(
        rt,
        "SELECT cleanup_id, cleanup_time, files_checked, missing_files_found, republished_count, dry_run "
        "FROM {dataset}.cleanup_operations WHERE cleanup_time >= @start AND cleanup_time < @end "
        "ORDER BY cleanup_time",
        window,
    )
    if check_files:
        data.unnotified_files = unnotified_files(rt, data, cfg)
    return data


def unnotified_files(rt: Runtime, data: DayData, cfg: Config | None = None) -> list[str]:
    """Raw files of the day's runs (logical time in the day) that no recorded notification covers.

    Lists the catalogue's dated prefixes for the day, like cleanup does, so a file whose run left no row at
    all (a crash before the log) is found too; a parsed JSON beside a PDF rides on the PDF's notification.
    """
    from shared.adapters import gcs
    from shared.config import get_config
    from shared.paths.listing import PathCatalogue, match_path, scope_for
    from shared.timeutil import parse_instant

    cfg = cfg or get_config()
    from shared.cleanup.reconcile import normalise_path

    notified = {  # a failed run notifies without a file (gcs_path null)
        normalise_path(e["gcs_path"], rt.bucket)
        for e in data.executions
        if e.get("gcs_path") and e.get("notification_message_id")
    }
    catalogue = PathCatalogue.from_config(cfg)
    out = []
    for lp in catalogue.listing(scope_for(data.start, data.end), lambda p: gcs.list_folders(rt, p)):
        for name, created, meta in gcs.iter_objects(rt, lp.prefix):
            try:
                at = parse_instant(meta["triggered_at"]) if meta.get("triggered_at") else created
            except ValueError:
                at = created
            if not data.start <= at < data.end or name in notified:
                continue
            found = match_path(name, lp.templates, meta.get("scraper_name"))
            if found is not None and found[0].role == "gcs_path":
                out.append(name)
    return sorted(out)


def _slot(cfg: Config, t: datetime) -> str:
    return rules.tick_key(cfg, t)


def evaluate(cfg: Config, data: DayData) -> dict[str, Any]:
    """Checks and per-workflow figures for one operational day (pure)."""
    checks: list[Check] = []
    tz = cfg.timezone
    lock_time = datetime.combine(data.date, cfg.schedule_lock_time, tzinfo=tz)

    # 1. Schedule locked at 05:00 with at least 5 rows.
    locked = [r["locked_at"] for r in data.expected if r.get("locked_at")]
    if not data.expected:
        checks.append(Check("schedule_locked", False, "no expected-schedule rows for the day"))
    else:
        first = min(locked)
        on_time = lock_time <= first < lock_time + timedelta(hours=1)
        enough = len(data.expected) >= 5
        checks.append(
            Check("schedule_locked", on_time and enough, f"{len(data.expected)} rows locked at {to_et(first):%H:%M} ET")
        )

    # 2. The controller ran at every configured hour.
    ticks = rules.controller_ticks(cfg, data.date)
    seen_slots = {_slot(cfg, r["decision_time"]) for r in data.decisions}
    missing = [to_et(t).strftime("%H:%M") for t in ticks if _slot(cfg, t) not in seen_slots]
    checks.append(
        Check(
            "controller_every_hour",
            not missing,
            f"{len(ticks) - len(missing)} of {len(ticks)} controller hours have decisions"
            + (f"; missing {', '.join(missing)}" if missing else ""),
        )
    )

    # 3. Every decision logged with a reason.
    no_reason = [r["decision_id"] for r in data.decisions if not (r.get("reason") or "").strip()]
    checks.append(
        Check(
            "decisions_have_reasons",
            bool(data.decisions) and not no_reason,
            f"{len(data.decisions)} decisions, {len(no_reason)} without a reason",
        )
    )

    # 4. Cleanup ran every interval.
    interval = cfg.cleanup.interval_minutes
    expected_slots = int((data.end - data.start).total_seconds() // 60 // interval)
    cleanup_slots = {
        int((r["cleanup_time"] - data.start).total_seconds() // 60 // interval)
        for r in data.cleanups
        if not r.get("dry_run")
    }
    checks.append(
        Check(
            "cleanup_every_interval",
            len(cleanup_slots) >= expected_slots,
            f"cleanup ran in {len(cleanup_slots)} of {expected_slots} {interval}-minute slots",
        )
    )

    # 5. Files without notification at the end.
    if data.unnotified_files is not None:
        n = len(data.unnotified_files)
        checks.append(
            Check(
                "files_without_notification",
                n == 0,
                f"{n} file(s) without a notification" + (f": {data.unnotified_files[:5]}" if n else ""),
            )
        )

    # 6. Critical errors.
    critical = [r for r in data.decisions if r.get("alert_level") == "CRITICAL"]
    crit_scrapers = {n for n, s in cfg.scrapers.items() if s.critical}
    failed_critical = [e for e in data.executions if e["status"] == "failed" and e["scraper_name"] in crit_scrapers]
    checks.append(
        Check(
            "no_critical_errors",
            not critical and not failed_critical,
            f"{len(critical)} CRITICAL decision(s), {len(failed_critical)} failed critical scraper run(s)",
        )
    )

    per_wf: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"expected": 0, "run": 0, "skip": 0, "abort": 0, "executions": Counter()}
    )
    for r in data.expected:
        per_wf[r["workflow_name"]]["expected"] += 1
    for r in data.decisions:
        per_wf[r["workflow_name"]][r["action"].lower()] += 1
    for e in data.executions:
        per_wf[e.get("workflow") or "MANUAL"]["executions"][e["status"]] += 1
    workflows = {name: {**v, "executions": dict(v["executions"])} for name, v in sorted(per_wf.items())}
    return {
        "date": data.date.isoformat(),
        "ok": all(c.ok for c in checks),
        "checks": [c.to_json() for c in checks],
        "workflows": workflows,
        "totals": {
            "expected_runs": len(data.expected),
            "decisions": len(data.decisions),
            "executions": dict(Counter(e["status"] for e in data.executions)),
            "cleanup_runs": len(data.cleanups),
            "republished": sum(int(r.get("republished_count") or 0) for r in data.cleanups),
        },
        "failures": [
            {
                "scraper_name": e["scraper_name"],
                "error_type": e.get("error_type"),
                "error_message": (e.get("error_message") or "")[:200],
                "triggered_at": e["triggered_at"],
            }
            for e in data.executions
            if e["status"] == "failed"
        ],
    }
