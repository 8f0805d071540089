"""The day's checks (pure, from rows) and the HTML report rendered in a real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import date, timedelta

import pytest

from shared import rules
from shared.config import load_config
from tooling.report_html import render
from tooling.status import DayData, evaluate

CFG = load_config()
D = date(2025, 1, 15)


def healthy_day() -> DayData:
    start, end = rules.operational_day_bounds(CFG, D)
    ticks = rules.controller_ticks(CFG, D)
    data = DayData(date=D, start=start, end=end, unnotified_files=[])
    data.expected = [
        {
            "workflow_name": "morning_operations",
            "expected_run_time": ticks[0],
            "locked_at": start,
            "reason": "ideal window 06:00-10:00",
        }
    ] + [
        {"workflow_name": "betting_lines", "expected_run_time": t, "locked_at": start, "reason": "window"}
        for t in ticks[7:11]
    ]
    data.decisions = [
        {
            "decision_id": f"d{i}-{wf}",
            "decision_time": t,
            "workflow_name": wf,
            "action": "RUN" if i == 0 else "SKIP",
            "reason": "because",
            "alert_level": "NONE",
        }
        for i, t in enumerate(ticks)
        for wf in ("morning_operations", "betting_lines")
    ]
    data.executions = [
        {
            "execution_id": "e1",
            "scraper_name": "nbac_schedule_api",
            "workflow": "morning_operations",
            "status": "success",
            "triggered_at": ticks[0],
            "gcs_path": "nba-com/schedule/x.json",
            "notification_message_id": "1",
        }
    ]
    data.cleanups = [
        {
            "cleanup_id": f"c{i}",
            "cleanup_time": start + timedelta(minutes=15 * i),
            "files_checked": 1,
            "missing_files_found": 0,
            "republished_count": 0,
            "dry_run": False,
        }
        for i in range(96)
    ]
    return data


def test_healthy_day_passes_every_check():
    summary = evaluate(CFG, healthy_day())
    assert summary["ok"], summary["checks"]
    assert [c["check"] for c in summary["checks"]] == [
        "schedule_locked",
        "controller_every_hour",
        "decisions_have_reasons",
        "cleanup_every_interval",
        "files_without_notification",
        "no_critical_errors",
    ]
    assert summary["workflows"]["betting_lines"]["expected"] == 4
    assert summary["workflows"]["morning_operations"]["executions"] == {"success": 1}


def test_each_fault_fails_its_check():
    data = healthy_day()
    data.decisions = [
        d
        for d in data.decisions
        if "T" not in d["decision_id"] and rules.tick_key(CFG, d["decision_time"]) != "2025-01-16T01"
    ]
    data.decisions[0]["reason"] = ""
    data.decisions[1]["alert_level"] = "CRITICAL"
    data.cleanups = data.cleanups[:-1]
    data.unnotified_files = ["ball-dont-lie/boxscores/2025-01-15/x.json"]
    data.expected = data.expected[:3]
    failed = {c["check"]: c["detail"] for c in evaluate(CFG, data)["checks"] if not c["ok"]}
    assert set(failed) == {
        "schedule_locked",
        "controller_every_hour",
        "decisions_have_reasons",
        "cleanup_every_interval",
        "files_without_notification",
        "no_critical_errors",
    }
    assert "missing 01:00" in failed["controller_every_hour"]
    assert "95 of 96" in failed["cleanup_every_interval"]


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Debian's chromium is not installed (.ci/run installs it)")
    return path


def dump_dom(browser: str, page, tmp_path) -> subprocess.CompletedProcess[str]:
    """The page's DOM after its scripts ran, in headless Chromium with a fresh profile."""
    return subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_report_timeline_is_drawn_in_headless_chromium(tmp_path):
    browser = _chromium()
    data = healthy_day()
    page = tmp_path / "report.html"
    page.write_text(render(data, evaluate(CFG, data)))
    out = dump_dom(browser, page, tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    dom = out.stdout
    marks = int(re.search(r'data-marks="(\d+)"', dom).group(1))
    expected_marks = len(data.expected) + len(data.decisions) + len(data.executions) + len(data.cleanups)
    assert marks == expected_marks
    assert dom.count('class="mark ') == expected_marks
    assert 'class="mark RUN"' in dom and 'class="mark cleanup"' in dom and 'class="mark success"' in dom
    # 5 expected lanes? one per workflow with expected runs, decisions per workflow, one scraper, cleanup
    assert re.search(r'data-lanes="(\d+)"', dom).group(1) == "6"


def test_a_hostile_scraped_value_cannot_blank_the_timeline(tmp_path):
    """`<!--<script>` inside the embedded JSON switches the HTML parser into a state where the rest of the
    page is script text; the JSON escapes <, > and &, so the timeline still draws every mark."""
    data = healthy_day()
    hostile = "<!--<script>alert(1)</script>&amp;"
    data.decisions[0]["reason"] = f"upstream said {hostile}"  # reasons quote what sources answered
    html = render(data, evaluate(CFG, data))
    blob = re.search(r'<script type="application/json" id="day-data">(.*?)</script>', html, re.S).group(1)
    assert "<" not in blob and ">" not in blob and "&" not in blob
    assert hostile in json.dumps(json.loads(blob))  # the value itself survives, escaped
    browser = _chromium()
    page = tmp_path / "report.html"
    page.write_text(html)
    out = dump_dom(browser, page, tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    marks = int(re.search(r'data-marks="(\d+)"', out.stdout).group(1))
    assert marks == len(data.expected) + len(data.decisions) + len(data.executions) + len(data.cleanups)


def test_several_days_at_a_glance():
    from tooling.report_html import render_overview
    from tooling.status import overview

    good = evaluate(CFG, healthy_day())
    bad_data = healthy_day()
    bad_data.cleanups = bad_data.cleanups[:-1]
    bad = evaluate(CFG, bad_data)
    rows = overview([good, bad])
    assert [(r["ok"], r["failed_checks"]) for r in rows] == [(True, []), (False, ["cleanup_every_interval"])]
    assert rows[1]["sla_missed"] == 1 and rows[0]["sla_missed"] == 0
    page = render_overview(rows, {rows[0]["date"]: "report-day.html"})
    assert "href='report-day.html'" in page and "cleanup_every_interval" in page
