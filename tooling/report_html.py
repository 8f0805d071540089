"""`nba-orch report`: one self-contained HTML page for a day (no network, no external assets).

The page embeds the day's timeline as JSON and a small script draws it into an SVG. What is drawn is decided
here (pure, `timeline`): one mark per (lane, 15-minute tick) carrying the count and the worst status of its
rows, so a failed run is never hidden under a success of the same tick; lanes grouped per workflow (expected,
decision, then its scrapers), then cleanup, then each game's betting-lines snapshots against its tip. Tables
follow in ET (UTC on hover), each row with an anchor the FAIL lines and marks link to, and, for a deployed
project, its Cloud Console / Logs Explorer links. Drawing in the browser lets a headless-browser test check
what a person sees.
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

from shared import rules
from shared.config import Config, get_config
from tooling.status import STATUS_RANK, DayData, anchor, failing_rows, line_snapshots, worst

TICK = timedelta(minutes=15)


@dataclass(frozen=True)
class Console:
    """A deployed project's names, for Cloud Console and Logs Explorer links (None for the local emulators,
    whose data no console shows)."""

    project: str
    bucket: str

    def logs(self, query: str) -> str:
        return f"https://console.cloud.google.com/logs/query;query={quote(query, safe='')}?project={self.project}"

    def object(self, name: str) -> str:
        return f"https://console.cloud.google.com/storage/browser/_details/{self.bucket}/{quote(name)}?project={self.project}"


def _et(cfg: Config, v: Any, fmt: str = "%Y-%m-%d %H:%M:%S") -> str:
    return rules.local(cfg, v).strftime(fmt) + " ET"


def _cell(cfg: Config, v: Any) -> str:
    if isinstance(v, datetime):
        return f"<td title='{html.escape(v.isoformat())} UTC'>{html.escape(_et(cfg, v))}</td>"
    if isinstance(v, dict | list):
        v = json.dumps(v, default=str)
    return f"<td>{html.escape(str(v) if v is not None else '')}</td>"


def _table(
    cfg: Config,
    title: str,
    rows: list[dict[str, Any]],
    cols: list[str],
    *,
    ids: list[str] | None = None,
    status: str | None = None,
    links: Any = None,
) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols) + ("<th>links</th>" if links else "")
    body = []
    for i, r in enumerate(rows):
        attrs = f" id='{ids[i]}'" if ids else ""
        if status and r.get(status):
            attrs += f" class='st-{html.escape(str(r[status]))}'"
        extra = ""
        if links:
            extra = "<td>" + " ".join(f"<a href='{html.escape(u)}'>{html.escape(k)}</a>" for k, u in links(r)) + "</td>"
        body.append(f"<tr{attrs}>" + "".join(_cell(cfg, r.get(c)) for c in cols) + extra + "</tr>")
    return (
        f"<h2>{html.escape(title)} ({len(rows)})</h2><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def timeline(cfg: Config, data: DayData) -> dict[str, Any]:
    """The marks and lanes of the day's timeline (pure). A mark is one (lane, tick): `count` rows, `status`
    the worst of them, `counts` per status, `href` the anchor of a worst row."""
    lanes: list[dict[str, Any]] = []
    cells: dict[tuple[str, datetime], list[tuple[str, str, str]]] = defaultdict(list)

    def add(lane: str, t: datetime, status: str, href: str, note: Any = "") -> None:
        """One row into its (lane, tick) cell; `note` (a reason, an error type) goes into the mark's title."""
        tick = t.replace(minute=t.minute - t.minute % 15, second=0, microsecond=0)
        cells[(lane, tick)].append((status, href, str(note or "")))

    by_wf: dict[str, dict[str, Any]] = defaultdict(lambda: {"expected": [], "decision": [], "scrapers": {}})
    for r in data.expected:
        by_wf[r["workflow_name"]]["expected"].append(r)
    for r in data.decisions:
        by_wf[r["workflow_name"]]["decision"].append(r)
    for e in data.executions:
        by_wf[e.get("workflow") or "MANUAL"]["scrapers"].setdefault(e["scraper_name"], []).append(e)
    order = [w for w in cfg.workflows if w in by_wf] + sorted(w for w in by_wf if w not in cfg.workflows)
    for wf in order:
        g = by_wf[wf]
        lanes.append({"id": f"wf:{wf}", "label": wf, "kind": "group"})
        if g["expected"]:
            lanes.append({"id": f"expected:{wf}", "label": "expected", "kind": "expected"})
            for r in g["expected"]:
                add(f"expected:{wf}", r["expected_run_time"], "expected", "", r.get("reason"))
        if g["decision"]:
            lanes.append({"id": f"decision:{wf}", "label": "decision", "kind": "decision"})
            for r in g["decision"]:
                add(
                    f"decision:{wf}",
                    r["decision_time"],
                    r["action"],
                    anchor("decision", r["decision_id"]),
                    r.get("reason"),
                )
        for name in sorted(g["scrapers"]):
            lanes.append({"id": f"scraper:{wf}:{name}", "label": name, "kind": "scraper"})
            for e in g["scrapers"][name]:
                add(
                    f"scraper:{wf}:{name}",
                    e["triggered_at"],
                    e["status"],
                    anchor("exec", e["execution_id"]),
                    e.get("error_type"),
                )
    if data.cleanups:
        lanes.append({"id": "cleanup", "label": "cleanup", "kind": "cleanup"})
        for r in data.cleanups:
            add("cleanup", r["cleanup_time"], "republished" if r.get("republished_count") else "cleanup", "")
    games = line_snapshots(cfg, data)
    tips = []
    if games:
        lanes.append({"id": "wf:lines", "label": "betting lines vs tip", "kind": "group"})
    for g in games:
        key = g["game_id"] or g["teams"]
        tip = f" {_et(cfg, g['tip'], '%H:%M')}" if g["tip"] else " (not in schedule)"
        lanes.append({"id": f"game:{key}", "label": f"{g['teams']}{tip}", "kind": "game"})
        if g["tip"]:
            tips.append({"lane": f"game:{key}", "t": g["tip"].isoformat(), "title": f"tip {_et(cfg, g['tip'])}"})
        for s in g["snapshots"]:
            before = f", {s['minutes_before_tip']} min before tip" if s["minutes_before_tip"] is not None else ""
            tips.append(
                {
                    "lane": f"game:{key}",
                    "t": s["at"].isoformat(),
                    "snapshot_type": s["snapshot_type"],
                    "status": s["status"],
                    "href": anchor("game", key),
                    "title": f"{s['snapshot_type']} at {_et(cfg, s['at'], '%H:%M')}{before} ({s['status']})",
                }
            )
    label = {ln["id"]: ln["label"] for ln in lanes}
    marks = []
    for (lane, t), rows in cells.items():
        counts = Counter(st for st, _, _ in rows)
        top = worst(list(counts))
        notes = list(dict.fromkeys(n for st, _, n in rows if st == top and n))[:3]
        per = ", ".join(f"{n} {st}" for st, n in sorted(counts.items(), key=lambda kv: -STATUS_RANK.get(kv[0], 2)))
        marks.append(
            {
                "lane": lane,
                "t": t.isoformat(),
                "status": top,
                "count": len(rows),
                "counts": dict(counts),
                "href": next((h for st, h, _ in rows if st == top and h), ""),
                "title": f"{label[lane]} at {_et(cfg, t, '%H:%M')} ({t:%H:%M} UTC): {per}"
                + "".join(f"\n{top}: {n}" for n in notes),
            }
        )
    marks.sort(key=lambda m: (STATUS_RANK.get(m["status"], 2), m["t"]))  # drawn in order: worst on top
    return {"lanes": lanes, "marks": marks, "lines": tips}


def axis(cfg: Config, data: DayData) -> list[dict[str, str]]:
    """One label per whole ET hour of the day, at its instant (23 or 25 on a DST change day)."""
    out, t = [], data.start
    while t <= data.end:
        out.append({"t": t.isoformat(), "label": _et(cfg, t, "%H:%M").removesuffix(" ET")})
        t += timedelta(hours=1)
    return out


_SCRIPT = (Path(__file__).with_name("report_timeline.js")).read_text()
_STATUSES = ("failed", "ABORT", "no_data", "success", "RUN", "SKIP", "expected", "cleanup", "republished")


def render(data: DayData, summary: dict[str, Any], *, cfg: Config | None = None, console: Console | None = None) -> str:
    cfg = cfg or get_config()
    payload = {
        "date": data.date.isoformat(),
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "axis": axis(cfg, data),
        **timeline(cfg, data),
    }
    # Inside <script>, `<!--` and `<script` change how the HTML parser reads on (a scraped value containing
    # `<!--<script>` blanked the timeline): escape <, > and & as JSON unicode escapes, as JSON allows.
    blob = json.dumps(payload, default=str).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    failing = failing_rows(cfg, data)
    checks = "".join(_check_line(c, failing.get(c["check"], [])) for c in summary["checks"])
    checks += "".join(
        _check_line({"check": f"{r['rule']} {r['subject']}", "ok": False, "detail": r["detail"]}, _sla_rows(r))
        for r in summary.get("sla", [])
        if not r["ok"] and r["rule"] not in {c["check"] for c in summary["checks"]}
    )
    tables = "".join(
        [
            _table(
                cfg,
                "Workflows: expected runs, decisions, executions",
                [{"workflow": k, **v} for k, v in summary["workflows"].items()],
                ["workflow", "expected", "run", "skip", "abort", "executions"],
            ),
            _lines_table(cfg, data),
            _table(cfg, "Expected runs", data.expected, ["expected_run_time", "workflow_name", "reason"]),
            _table(
                cfg,
                "Decisions",
                data.decisions,
                ["decision_time", "workflow_name", "action", "alert_level", "reason"],
                ids=[anchor("decision", r["decision_id"]) for r in data.decisions],
                status="action",
                links=(lambda r: [("logs", console.logs(f'labels.decision_id="{r["decision_id"]}"'))])
                if console
                else None,
            ),
            _table(
                cfg,
                "Scraper executions",
                data.executions,
                ["triggered_at", "scraper_name", "workflow", "status", "source", "error_type", "gcs_path"],
                ids=[anchor("exec", e["execution_id"]) for e in data.executions],
                status="status",
                links=(lambda e: _exec_links(console, e)) if console else None,
            ),
            _table(
                cfg,
                "Files without notification",
                [{"file": f} for f in data.unnotified_files or []],
                ["file"],
                ids=[f"file-{i}" for i in range(len(data.unnotified_files or []))],
            ),
            _table(
                cfg,
                "Alerts (newest state of each; the notifier delivered them without flooding)",
                data.alerts,
                ["opened_at", "severity", "rule", "subject", "event", "count", "resolved_at", "detail"],
            ),
            _table(
                cfg,
                "Cleanup runs",
                data.cleanups,
                ["cleanup_time", "files_checked", "missing_files_found", "republished_count"],
            ),
        ]
    )
    filters = "".join(f"<label><input type='checkbox' data-status='{s}' checked> {s}</label> " for s in _STATUSES)
    verdict = "all checks passed" if summary["ok"] else "some checks failed"
    where = f"project {html.escape(console.project)}" if console else "local emulators"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NBA orchestration - {data.date}</title>
<style>
body {{ font: 13px system-ui, sans-serif; margin: 20px; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 18px; }} td, th {{ border: 1px solid #ddd; padding: 2px 6px; }}
th {{ background: #f4f4f4; }} li.ok {{ color: #2e7d32; }} li.fail {{ color: #c62828; font-weight: bold; }}
li.fail a {{ font-weight: normal; margin-right: 6px; }} tr:target {{ background: #fff59d; }}
tr.st-failed td, tr.st-ABORT td {{ color: #c62828; }} svg {{ width: 100%; border: 1px solid #ddd; }}
</style></head><body>
<h1>Operational day {data.date} (05:00 ET to 05:00 ET): {verdict}</h1>
<p>Times are ET (hover a time for UTC); data from {where}.</p>
<ul id="checks">{checks}</ul>
<p>Legend: <b style="color:#6a1b9a">expected run</b>, decisions <b style="color:#2e7d32">RUN</b> /
<b style="color:#9e9e9e">SKIP</b> / <b style="color:#c62828">ABORT</b>,
scraper runs <b style="color:#1565c0">success</b> / <b style="color:#f9a825">no_data</b> /
<b style="color:#c62828">failed</b>, <b style="color:#00838f">cleanup</b>; one mark per lane and 15-minute
tick, coloured by its worst row, with the count when more than one; lines: ◆ tip, snapshots by type.</p>
<p id="filters">Show: {filters}</p>
<svg id="timeline" xmlns="http://www.w3.org/2000/svg" data-marks="0"></svg>
{tables}
<script type="application/json" id="day-data">{blob}</script>
<script>{_SCRIPT}</script>
</body></html>
"""


def _check_line(c: dict[str, Any], rows: list[tuple[str, str]]) -> str:
    links = "".join(f"<a href='#{html.escape(a)}'>{html.escape(label)}</a>" for a, label in rows[:50])
    more = f" and {len(rows) - 50} more" if len(rows) > 50 else ""
    tail = f"<br>{links}{more}" if rows and not c["ok"] else ""
    return (
        f"<li class='{'ok' if c['ok'] else 'fail'}'>{'PASS' if c['ok'] else 'FAIL'} {html.escape(c['check'])}: "
        f"{html.escape(c['detail'])}{tail}</li>"
    )


def _sla_rows(r: dict[str, Any]) -> list[tuple[str, str]]:
    """An SLA miss about a game (subject `day/game_id`) links to the game's lines row."""
    game = str(r.get("subject") or "").rpartition("/")[2]
    return [(anchor("game", game), f"game {game}")] if game.isdigit() else []


def _exec_links(console: Console, e: dict[str, Any]) -> list[tuple[str, str]]:
    out = [("logs", console.logs(f'jsonPayload.execution_id="{e["execution_id"]}"'))]
    if e.get("gcs_path"):
        name = str(e["gcs_path"]).removeprefix(f"gs://{console.bucket}/")
        out.append(("object", console.object(name)))
    return out


def _lines_table(cfg: Config, data: DayData) -> str:
    """Each game's tip and its line snapshots (type, time, minutes before the tip, worst status)."""
    games = line_snapshots(cfg, data)
    rows, ids = [], []
    for g in games:
        snaps = "; ".join(
            f"{s['snapshot_type']} {_et(cfg, s['at'], '%H:%M')}"
            + (f" (T-{s['minutes_before_tip']}m)" if s["minutes_before_tip"] is not None else "")
            + ("" if s["status"] == "success" else f" {s['status']}")
            for s in g["snapshots"]
        )
        closing = [s["minutes_before_tip"] for s in g["snapshots"] if s["snapshot_type"] == "closing"]
        rows.append(
            {
                "game": g["game_id"] or "",
                "teams": g["teams"],
                "tip": g["tip"],
                "snapshots": snaps or "none",
                "closing_min_before_tip": closing[-1] if closing else None,
            }
        )
        ids.append(anchor("game", g["game_id"] or g["teams"]))
    note = f" (schedule unreadable: {data.games_error})" if data.games_error else ""
    return _table(
        cfg,
        f"Betting lines against each tip{note}",
        rows,
        ["game", "teams", "tip", "snapshots", "closing_min_before_tip"],
        ids=ids,
    )


def render_overview(rows: list[dict[str, Any]], links: dict[str, str]) -> str:
    """Several days on one page: per-day SLA results and alerts, each day linking to its own page."""
    body = "".join(
        f"<tr class='{'ok' if r['ok'] else 'fail'}'><td><a href='{html.escape(links.get(r['date'], ''))}'>"
        f"{html.escape(r['date'])}</a></td><td>{'PASS' if r['ok'] else 'FAIL'}</td>"
        f"<td>{r['sla_met']}</td><td>{r['sla_missed']}</td><td>{html.escape(', '.join(r['failed_checks']))}</td>"
        f"<td>{r['alerts']}</td><td>{r['alerts_open']}</td></tr>"
        for r in rows
    )
    head = "".join(
        f"<th>{h}</th>" for h in ("day", "checks", "SLA met", "SLA missed", "failed checks", "alerts", "still open")
    )
    title = f"nba-orch {rows[0]['date']} to {rows[-1]['date']}" if rows else "nba-orch"
    return (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        "<style>body{font-family:sans-serif}td,th{padding:2px 8px}.fail{color:#b00}.ok{color:#070}</style></head>"
        f"<body><h1>{html.escape(title)}</h1><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>"
    )
