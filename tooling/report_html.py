"""`nba-orch report`: one self-contained HTML page for a day (no network, no external assets).

The page embeds the day's rows as JSON and draws the timeline with a small script into an SVG: expected runs
and decisions per workflow (coloured by action), scraper executions per scraper (coloured by status), cleanup
runs; the tables behind it follow. Drawing in the browser keeps the data the single source of the picture,
and lets a headless-browser test check that the timeline really renders.
"""

from __future__ import annotations

import html
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tooling.status import DayData


def _iso(v: Any) -> Any:
    return v.isoformat() if isinstance(v, datetime | date) else v


def _rows(rows: list[dict[str, Any]], cols: list[str]) -> list[dict[str, Any]]:
    return [{c: _iso(r.get(c)) for c in cols} for r in rows]


def _table(title: str, rows: list[dict[str, Any]], cols: list[str]) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join(
        "<tr>"
        + "".join(f"<td>{html.escape(str(_iso(r.get(c)) if r.get(c) is not None else ''))}</td>" for c in cols)
        + "</tr>"
        for r in rows
    )
    return (
        f"<h2>{html.escape(title)} ({len(rows)})</h2><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


_SCRIPT = (Path(__file__).with_name("report_timeline.js")).read_text()


def render(data: DayData, summary: dict[str, Any]) -> str:
    payload = {
        "date": data.date.isoformat(),
        "start": data.start.isoformat(),
        "end": data.end.isoformat(),
        "expected": _rows(data.expected, ["workflow_name", "expected_run_time", "reason"]),
        "decisions": _rows(data.decisions, ["decision_time", "workflow_name", "action", "reason", "alert_level"]),
        "executions": _rows(data.executions, ["triggered_at", "scraper_name", "workflow", "status", "error_type"]),
        "cleanups": _rows(data.cleanups, ["cleanup_time", "files_checked", "missing_files_found", "republished_count"]),
    }
    # Inside <script>, `<!--` and `<script` change how the HTML parser reads on (a scraped value containing
    # `<!--<script>` blanked the timeline): escape <, > and & as JSON unicode escapes, as JSON allows.
    blob = json.dumps(payload).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    checks = "".join(
        f"<li class='{'ok' if c['ok'] else 'fail'}'>{'PASS' if c['ok'] else 'FAIL'} {html.escape(c['check'])}: "
        f"{html.escape(c['detail'])}</li>"
        for c in summary["checks"]
    )
    wf_rows = [
        {"workflow": k, **{kk: (json.dumps(vv) if isinstance(vv, dict) else vv) for kk, vv in v.items()}}
        for k, v in summary["workflows"].items()
    ]
    tables = "".join(
        [
            _table(
                "Workflows: expected runs, decisions, executions",
                wf_rows,
                ["workflow", "expected", "run", "skip", "abort", "executions"],
            ),
            _table("Expected runs", data.expected, ["expected_run_time", "workflow_name", "reason"]),
            _table("Decisions", data.decisions, ["decision_time", "workflow_name", "action", "alert_level", "reason"]),
            _table(
                "Scraper executions",
                data.executions,
                ["triggered_at", "scraper_name", "workflow", "status", "source", "error_type", "gcs_path"],
            ),
            _table(
                "Alerts (newest state of each; the notifier delivered them without flooding)",
                data.alerts,
                ["opened_at", "severity", "rule", "subject", "event", "count", "resolved_at", "detail"],
            ),
            _table(
                "Cleanup runs",
                data.cleanups,
                ["cleanup_time", "files_checked", "missing_files_found", "republished_count"],
            ),
        ]
    )
    verdict = "all checks passed" if summary["ok"] else "some checks failed"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>NBA orchestration - {data.date}</title>
<style>
body {{ font: 13px system-ui, sans-serif; margin: 20px; color: #222; }}
table {{ border-collapse: collapse; margin-bottom: 18px; }} td, th {{ border: 1px solid #ddd; padding: 2px 6px; }}
th {{ background: #f4f4f4; }} li.ok {{ color: #2e7d32; }} li.fail {{ color: #c62828; font-weight: bold; }}
svg {{ width: 100%; border: 1px solid #ddd; }}
</style></head><body>
<h1>Operational day {data.date} (05:00 ET to 05:00 ET): {verdict}</h1>
<ul id="checks">{checks}</ul>
<p>Legend: <b style="color:#6a1b9a">expected run</b>, decisions <b style="color:#2e7d32">RUN</b> /
<b style="color:#9e9e9e">SKIP</b> / <b style="color:#c62828">ABORT</b>,
scraper runs <b style="color:#1565c0">success</b> / <b style="color:#f9a825">no_data</b> /
<b style="color:#c62828">failed</b>, <b style="color:#00838f">cleanup</b>.</p>
<svg id="timeline" xmlns="http://www.w3.org/2000/svg" data-marks="0"></svg>
{tables}
<script type="application/json" id="day-data">{blob}</script>
<script>{_SCRIPT}</script>
</body></html>
"""


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
