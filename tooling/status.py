"""The day's health report: the checks our users ran by hand on their first day, now automatic.

`collect` reads one operational day (05:00 ET on D to 05:00 ET on D+1) from BigQuery; `evaluate` is pure and
turns those rows into checks and per-workflow figures, so it is tested without any cloud. The checks are SLA
rules of shared/config/alerts.yaml (shared.alerts.sla), the same mechanism the ticks alert on.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from shared import rules
from shared.alerts import sla
from shared.config import Config
from shared.runtime import Runtime


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
    alerts: list[dict[str, Any]] = field(default_factory=list)  # newest state of each alert of the day
    games: list[Any] = field(default_factory=list)  # the day's games (shared.nba.schedule.Game), for the lines
    games_error: str | None = None  # why the schedule could not be read (the lines then show no tips)


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
        "error_type, error_message, recovery, notification_message_id, data_summary, opts "
        "FROM {dataset}.scraper_execution_log "
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
    data.alerts = list_alerts(rt, cfg, d)
    data.games, data.games_error = day_games(rt, cfg, d)
    if check_files:
        data.unnotified_files = unnotified_files(rt, data, cfg)
    return data


def day_games(rt: Runtime, cfg: Config, d: date) -> tuple[list[Any], str | None]:
    """The games of operational day `d` from the newest schedule file, or none and why (a report of a day
    whose schedule is unreadable still draws everything else)."""
    from shared.controller.state import load_games

    try:
        games, _ = load_games(rt, d)
    except (FileNotFoundError, ValueError) as exc:
        return [], str(exc)
    return list(rules.day_games(cfg, d, games)), None


def _bucket(t: datetime, minutes: int = 15) -> datetime:
    return t.replace(minute=t.minute - t.minute % minutes, second=0, microsecond=0)


# Worst first: the status a (lane, tick) mark and a line snapshot carry when several runs share them.
STATUS_RANK = {"failed": 5, "ABORT": 5, "no_data": 3, "RUN": 1, "SKIP": 1, "success": 0}


def worst(statuses: list[str]) -> str:
    return max(statuses, key=lambda st: STATUS_RANK.get(st, 2)) if statuses else ""


def line_snapshots(cfg: Config, data: DayData) -> list[dict[str, Any]]:
    """Each game's betting-lines snapshots against its tip (pure): per game its tip and every snapshot (the
    runs labelled with a `snapshot_type` for the game's teams, one per type and 15-minute tick) with its
    minutes before the tip and the worst status of its runs. A labelled run of a game not in the schedule
    gets its own entry without a tip."""
    snaps: dict[tuple[str, str, datetime], dict[str, Any]] = {}
    for e in data.executions:
        kind = _json_field(e.get("data_summary"), "snapshot_type")
        teams = _json_field(_json_field(e.get("opts"), "params"), "teams")
        if not kind or not teams or e.get("source") == "RECOVERY":
            continue
        key = (teams, kind, _bucket(e["triggered_at"]))
        s = snaps.setdefault(key, {"snapshot_type": kind, "at": e["triggered_at"], "runs": []})
        s["at"] = min(s["at"], e["triggered_at"])
        s["runs"].append({"scraper_name": e["scraper_name"], "status": e["status"], "execution_id": e["execution_id"]})
    out = {
        g.teams: {"game_id": g.game_id, "teams": g.teams, "tip": g.commence_utc, "snapshots": []}
        for g in sorted(data.games, key=lambda g: (g.commence_utc, g.game_id))
    }
    for (teams, _, _), s in sorted(snaps.items(), key=lambda kv: kv[1]["at"]):
        game = out.setdefault(teams, {"game_id": None, "teams": teams, "tip": None, "snapshots": []})
        tip = game["tip"]
        minutes = int((tip - s["at"]).total_seconds() // 60) if tip else None  # whole minutes, not more
        status = worst([r["status"] for r in s["runs"]])
        game["snapshots"].append({**s, "minutes_before_tip": minutes, "status": status})
    return list(out.values())


def failing_rows(cfg: Config, data: DayData) -> dict[str, list[tuple[str, str]]]:
    """Per check, the rows that fail it as (anchor id, label) (pure), so each FAIL line links to them. The
    tick checks fail on rows that do not exist: their detail names the missing ticks instead."""
    crit = {n for n, s in cfg.scrapers.items() if s.critical}
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in data.decisions:
        label = f"{r['workflow_name']} at {_et(cfg, r['decision_time'])}"
        if not (r.get("reason") or "").strip():
            out["decisions_have_reasons"].append((anchor("decision", r["decision_id"]), label))
        if r.get("alert_level") == "CRITICAL":
            out["no_critical_errors"].append((anchor("decision", r["decision_id"]), f"CRITICAL {label}"))
    for e in data.executions:
        if e["status"] == "failed" and e["scraper_name"] in crit:
            label = f"{e['scraper_name']} failed at {_et(cfg, e['triggered_at'])} ({e.get('error_type') or '?'})"
            out["no_critical_errors"].append((anchor("exec", e["execution_id"]), label))
    for i, name in enumerate(data.unnotified_files or []):
        out["files_without_notification"].append((f"file-{i}", name))
    return dict(out)


def anchor(kind: str, key: str) -> str:
    """A stable HTML id for a row: `kind-` and the key with anything but [A-Za-z0-9_-] replaced."""
    import re

    return f"{kind}-" + re.sub(r"[^A-Za-z0-9_-]", "_", str(key))


def _et(cfg: Config, t: datetime) -> str:
    return rules.local(cfg, t).strftime("%H:%M ET")


def newest_per_alert(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The newest row of each alert (key + opened_at): its current state (pure)."""
    best: dict[tuple[str, str], dict[str, Any]] = {}
    order = {"opened": 0, "repeated": 1, "resolved": 2}
    for r in rows:
        k = (r["key"], str(r["opened_at"]))
        rank = (r["event_time"], order.get(r["event"], 0), r.get("count") or 0)
        cur = best.get(k)
        if cur is None or rank > (cur["event_time"], order.get(cur["event"], 0), cur.get("count") or 0):
            best[k] = r
    return sorted(best.values(), key=lambda r: (r["opened_at"], r["key"]))


def list_alerts(rt: Runtime, cfg: Config, d: date, *, only_open: bool = False) -> list[dict[str, Any]]:
    """The alerts of operational day `d` (opened or changed in it, or about it), newest state of each."""
    from shared.adapters.bigquery import query

    start, end = rules.operational_day_bounds(cfg, d)
    rows = query(
        rt,
        "SELECT key, rule, subject, severity, event, event_time, opened_at, last_seen, count, resolved_at, detail "
        "FROM {dataset}.alerts WHERE (event_time >= @start AND event_time < @end) OR day = @d",
        {"start": start, "end": end, "d": d},
    )
    out = newest_per_alert(rows)
    return [r for r in out if r.get("resolved_at") is None] if only_open else out


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


# The checks of this report by their historical names -> the SLA rule (shared/config/alerts.yaml) behind each.
CHECK_RULES: dict[str, str] = {
    "schedule_locked": "schedule_locked",
    "controller_every_hour": "controller_ticks_ran",
    "decisions_have_reasons": "decisions_have_reasons",
    "cleanup_every_interval": "cleanup_ticks_ran",
    "files_without_notification": "files_without_notification",
    "no_critical_errors": "no_critical_errors",
}


def day_state(cfg: Config, data: DayData) -> sla.DayState:
    """The SLA state of the day from its audit rows (pure): what the ticks read from GCS, read here from
    BigQuery, plus what only this report reads (decisions, files without notification)."""
    locked = [r["locked_at"] for r in data.expected if r.get("locked_at")]
    crit_scrapers = {n for n, s in cfg.scrapers.items() if s.critical}
    runs = tuple(
        sla.RunFact(
            scraper=e["scraper_name"],
            at=e["triggered_at"],
            status=e["status"],
            source=cfg.scrapers[e["scraper_name"]].source if e["scraper_name"] in cfg.scrapers else "",
            error_type=e.get("error_type"),
            snapshot_type=_json_field(e.get("data_summary"), "snapshot_type"),
            teams=_json_field(_json_field(e.get("opts"), "params"), "teams"),
        )
        for e in data.executions
        if e.get("source") != "RECOVERY"
    )
    return sla.DayState(
        day=data.date,
        runs=runs,
        controller_ticks=frozenset(_slot(cfg, r["decision_time"]) for r in data.decisions),
        cleanup_ticks=frozenset(r["cleanup_time"] for r in data.cleanups if not r.get("dry_run")),
        schedule_lock=(min(locked) if locked else None, len(data.expected)),
        decisions=(len(data.decisions), sum(not (r.get("reason") or "").strip() for r in data.decisions)),
        unnotified_files=tuple(data.unnotified_files) if data.unnotified_files is not None else None,
        critical=(
            sum(r.get("alert_level") == "CRITICAL" for r in data.decisions),
            sum(e["status"] == "failed" and e["scraper_name"] in crit_scrapers for e in data.executions),
        ),
    )


def evaluate(cfg: Config, data: DayData, *, now: datetime | None = None) -> dict[str, Any]:
    """Checks (SLA results of the day, shared.alerts.sla) and per-workflow figures for one operational day
    (pure). `now` defaults to the day's end plus an hour: the whole day is judged."""
    now = now or data.end + timedelta(hours=1)
    ev = sla.evaluate(cfg, sla.load_alerts_config(), [day_state(cfg, data)], now)
    checks: list[Check] = []
    for name, rule in CHECK_RULES.items():
        got = [r for r in ev.results if r.rule == rule]
        if got:
            checks.append(Check(name, all(r.ok for r in got), "; ".join(r.detail for r in got)))

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
        "alerts": {
            "total": len(data.alerts),
            "open": sum(a.get("resolved_at") is None for a in data.alerts),
            "by_rule": dict(Counter(a["rule"] for a in data.alerts)),
        },
        "sla": [r.to_json() for r in sorted(ev.results, key=lambda r: (r.rule, r.subject))],
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


def overview(summaries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Several days at a glance (pure): per day, its SLA results and alerts in one row."""
    rows = []
    for s in summaries:
        sla_results = s.get("sla", [])
        rows.append(
            {
                "date": s["date"],
                "ok": s["ok"],
                "failed_checks": [c["check"] for c in s["checks"] if not c["ok"]],
                "sla_met": sum(r["ok"] for r in sla_results),
                "sla_missed": sum(not r["ok"] for r in sla_results),
                "alerts": s.get("alerts", {}).get("total", 0),
                "alerts_open": s.get("alerts", {}).get("open", 0),
            }
        )
    return rows


def _json_field(value: Any, key: str) -> Any:
    """One field of a JSON column as the client returns it (a dict, or JSON text); None when absent."""
    import json

    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value.get(key) if isinstance(value, dict) else None
