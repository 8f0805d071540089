"""What the report draws, computed from the day's rows (pure, so it is tested without a browser).

- `timeline`: lanes grouped per workflow (its expected runs, its decisions, then its scrapers; cleanup last)
  and ONE mark per (lane, controller tick) carrying the count of rows and the worst status among them. Every
  fan-out run of a scraper at one tick lands on one position: drawn one by one, the last one hid the others
  (8 of 9 non-success runs of a generated day sat under a success mark). Marks are ordered worst last, so
  where two marks touch the worse one is drawn on top.
- `failing_rows`: for each failed check, the rows behind it (their table anchors).
- `line_snapshots`: each game's betting-line snapshots against its tip (issue 18): type, label, minutes before.
- `console_links`: Cloud Console / Logs Explorer links of a row, for a deployed project only.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from shared import rules
from shared.config import Config
from tooling.status import DayData

# Worse is higher: the worst status of a mark's rows gives its colour and its place on top.
SEVERITY = {
    "SKIP": 0,
    "expected": 0,
    "cleanup": 0,
    "success": 1,
    "RUN": 1,
    "no_data": 2,
    "ABORT": 4,
    "failed": 4,
}
UNKNOWN_SEVERITY = 3  # a status the report does not know is never hidden under a success
OTHER_WORKFLOWS = "other runs"
CONSOLE = "https://console.cloud.google.com"


def severity(kind: str) -> int:
    return SEVERITY.get(kind, UNKNOWN_SEVERITY)


def anchor(kind: str, key: Any) -> str:
    """The HTML id of a table row: `exec-<execution_id>`, `dec-<decision_id>`, `exp-<n>`, `file-<n>`..."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(key))
    return f"{kind}-{safe}"


def _utc(v: Any) -> datetime:
    if isinstance(v, str):
        v = datetime.fromisoformat(v.replace("Z", "+00:00"))
    return v.astimezone(UTC)


def _bucket(cfg: Config, t: datetime) -> datetime:
    """The controller tick a row belongs to (every `controller.tick_minutes`; ET offsets are whole hours, so
    flooring in UTC is flooring in ET)."""
    step = cfg.controller.tick_minutes * 60
    t = _utc(t)
    return datetime.fromtimestamp(int(t.timestamp()) // step * step, UTC)


def _et(cfg: Config, t: datetime) -> str:
    return rules.local(cfg, _utc(t)).strftime("%H:%M")


def timeline(cfg: Config, data: DayData) -> dict[str, Any]:
    """Lanes (grouped per workflow) and one mark per (lane, tick) with its count and worst status."""
    rows: list[tuple[str, str, str, str, datetime, str, str]] = []  # group, lane, label, kind, at, title, anchor
    for i, r in enumerate(data.expected):
        wf = r["workflow_name"]
        rows.append(
            (
                wf,
                f"{wf}/expected",
                "expected",
                "expected",
                r["expected_run_time"],
                r.get("reason") or "",
                anchor("exp", i),
            )
        )
    for r in data.decisions:
        wf = r["workflow_name"]
        rows.append(
            (
                wf,
                f"{wf}/decision",
                "decision",
                r["action"],
                r["decision_time"],
                f"{r['action']} - {r.get('reason') or ''}",
                anchor("dec", r["decision_id"]),
            )
        )
    for r in data.executions:
        wf = r.get("workflow") or "MANUAL"
        error = f" ({r['error_type']})" if r.get("error_type") else ""
        rows.append(
            (
                wf,
                f"{wf}/{r['scraper_name']}",
                r["scraper_name"],
                r["status"],
                r["triggered_at"],
                f"{r['status']}{error}",
                anchor("exec", r["execution_id"]),
            )
        )
    for r in data.cleanups:
        rows.append(
            (
                "cleanup",
                "cleanup/cleanup",
                "cleanup",
                "cleanup",
                r["cleanup_time"],
                f"checked {r.get('files_checked')}, republished {r.get('republished_count')}",
                anchor("cleanup", r["cleanup_id"]),
            )
        )

    known = list(cfg.workflows)
    groups = sorted(
        {g for g, *_ in rows}, key=lambda g: (g == "cleanup", g not in known, known.index(g) if g in known else 0, g)
    )
    lanes: list[dict[str, Any]] = []
    for g in groups:
        mine = {(lane, label) for gg, lane, label, *_ in rows if gg == g}
        order = sorted(mine, key=lambda x: (x[1] != "expected", x[1] != "decision", x[1]))
        if g != "cleanup":
            lanes.append({"key": f"{g}/", "label": g, "heading": True})
        lanes += [{"key": lane, "label": label, "heading": False, "group": g} for lane, label in order]

    cells: dict[tuple[str, datetime], list[tuple[str, str, str]]] = defaultdict(list)
    for _g, lane, _label, kind, at, title, a in rows:
        cells[(lane, _bucket(cfg, at))].append((kind, title, a))
    marks = []
    for (lane, tick), got in cells.items():
        counts: dict[str, int] = defaultdict(int)
        for kind, _, _ in got:
            counts[kind] += 1
        worst = max(counts, key=lambda k: (severity(k), counts[k]))
        lane_label = next(x["label"] for x in lanes if x["key"] == lane)
        head = f"{lane_label} at {_et(cfg, tick)} ET ({_utc(tick).strftime('%H:%M')} UTC)"
        if len(got) == 1:
            title = f"{head}: {got[0][1]}"
        else:
            parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items(), key=lambda kv: -severity(kv[0])))
            detail = "; ".join(sorted({t for k, t, _ in got if severity(k) >= 2}))[:300]
            title = f"{head}: {len(got)} rows: {parts}" + (f" - {detail}" if detail else "")
        marks.append(
            {
                "lane": lane,
                "t": tick.isoformat(),
                "kind": worst,
                "count": len(got),
                "counts": dict(counts),
                "title": title,
                "rows": [a for _, _, a in got],
            }
        )
    marks.sort(key=lambda m: (severity(m["kind"]), m["t"], m["lane"]))  # worst drawn last: on top
    return {"lanes": lanes, "marks": marks, "statuses": sorted({m for mk in marks for m in mk["counts"]})}


def failing_rows(cfg: Config, data: DayData, check: str) -> list[dict[str, str]]:
    """The rows behind a failed check, as (anchor, text) for its FAIL line; empty for a check about rows
    that are missing (controller or cleanup ticks: its detail names the missing ones)."""
    out: list[dict[str, str]] = []
    if check == "decisions_have_reasons":
        out = [
            {"anchor": anchor("dec", r["decision_id"]), "text": f"{r['decision_id']}: no reason"}
            for r in data.decisions
            if not (r.get("reason") or "").strip()
        ]
    elif check == "no_critical_errors":
        critical = {n for n, s in cfg.scrapers.items() if s.critical}
        out = [
            {"anchor": anchor("dec", r["decision_id"]), "text": f"{r['decision_id']}: CRITICAL {r.get('reason') or ''}"}
            for r in data.decisions
            if r.get("alert_level") == "CRITICAL"
        ] + [
            {
                "anchor": anchor("exec", r["execution_id"]),
                "text": f"{r['scraper_name']} at {_et(cfg, r['triggered_at'])} ET: failed ({r.get('error_type')})",
            }
            for r in data.executions
            if r["status"] == "failed" and r["scraper_name"] in critical
        ]
    elif check == "files_without_notification":
        out = [{"anchor": anchor("file", i), "text": name} for i, name in enumerate(data.unnotified_files or [])]
    elif check == "schedule_locked":
        out = [
            {"anchor": anchor("exp", i), "text": f"{r['workflow_name']} locked at {r.get('locked_at') or 'never'}"}
            for i, r in enumerate(data.expected)
            if not r.get("locked_at")
        ]
    return out


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def _label(wf: Any, kind: str, minutes: float) -> str:
    """A snapshot's label: its type, or for a `regular` one the configured offset it stands for (t-3h)."""
    if kind != "regular" or wf is None:
        return kind
    offsets = [s for s in wf.snapshots if s.snapshot_type == "regular" and s.before_minutes is not None]
    if not offsets:
        return kind
    return min(offsets, key=lambda s: abs(s.before_minutes - minutes)).name


def line_snapshots(cfg: Config, data: DayData, workflow: str = "betting_lines") -> list[dict[str, Any]]:
    """Each game of the day with its tip and its line snapshots (runs labelled with a snapshot_type, matched
    by the request's teams), each with its minutes before the tip; the props and game lines of one tick are
    one snapshot. Empty without a readable schedule."""
    if data.games is None:
        return []
    wf = cfg.workflows.get(workflow)
    by_teams: dict[str, dict[tuple[str, datetime], dict[str, Any]]] = defaultdict(dict)
    for r in data.executions:
        kind = (_json(r.get("data_summary")) or {}).get("snapshot_type")
        teams = ((_json(r.get("opts")) or {}).get("params") or {}).get("teams")
        if not kind or not teams:
            continue
        at = _utc(r["triggered_at"])
        snap = by_teams[teams].setdefault(
            (kind, _bucket(cfg, at)), {"snapshot_type": kind, "at": at, "statuses": defaultdict(int), "rows": []}
        )
        snap["at"] = min(snap["at"], at)
        snap["statuses"][r["status"]] += 1
        snap["rows"].append(anchor("exec", r["execution_id"]))
    out = []
    for g in rules.day_games(cfg, data.date, data.games):
        snaps = []
        for s in sorted(by_teams.get(g.teams, {}).values(), key=lambda s: s["at"]):
            minutes = (g.commence_utc - s["at"]).total_seconds() / 60
            worst = max(s["statuses"], key=severity)
            snaps.append(
                {
                    "snapshot_type": s["snapshot_type"],
                    "label": _label(wf, s["snapshot_type"], minutes),
                    "at": s["at"].isoformat(),
                    "at_et": _et(cfg, s["at"]),
                    "minutes_before_tip": round(minutes),
                    "status": worst,
                    "rows": s["rows"],
                }
            )
        out.append(
            {
                "game_id": g.game_id,
                "game": f"{g.away}@{g.home}",
                "teams": g.teams,
                "tip": g.commence_utc.isoformat(),
                "tip_et": _et(cfg, g.commence_utc),
                "snapshots": snaps,
            }
        )
    return out


def console_links(data: DayData, kind: str, row: dict[str, Any]) -> dict[str, str]:
    """Cloud Console links of one row (its logs, its object, its table) when the day was read from a deployed
    project; none for the local emulators, whose rows have no console."""
    if not data.deployed or not data.project:
        return {}
    p = quote(data.project)

    def logs(query: str, at: Any) -> str:
        t = _utc(at)
        span = f"{(t - timedelta(minutes=5)).isoformat()}/{(t + timedelta(minutes=30)).isoformat()}"
        return f"{CONSOLE}/logs/query;query={quote(query)};timeRange={quote(span, safe='')}?project={p}"

    def table(name: str) -> str:
        return f"{CONSOLE}/bigquery?project={p}&ws=!1m5!1m4!4m3!1s{p}!2s{quote(data.dataset or '')}!3s{name}"

    if kind == "exec":
        out = {
            "logs": logs(f'"{row["execution_id"]}"', row["triggered_at"]),
            "table": table("scraper_execution_log"),
        }
        if row.get("gcs_path") and data.bucket:
            path = str(row["gcs_path"]).removeprefix(f"gs://{data.bucket}/")
            out["object"] = f"{CONSOLE}/storage/browser/_details/{quote(data.bucket)}/{quote(path)}?project={p}"
        return out
    if kind == "dec":
        return {
            "logs": logs(f'labels.decision_id="{row["decision_id"]}"', row["decision_time"]),
            "table": table("workflow_decisions"),
        }
    return {}
