"""The day's checks (pure, from rows) and the HTML report rendered in a real headless Chromium."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, date, datetime, timedelta

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


def dump_dom(browser: str, page, tmp_path, fragment: str = "") -> subprocess.CompletedProcess[str]:
    """The page's DOM after its scripts ran, in headless Chromium with a fresh profile (a window tall enough
    for the whole timeline, so the page's own hit test sees every mark)."""
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
            "--window-size=1400,3000",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--dump-dom",
            page.as_uri() + fragment,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )


def fan_out_day() -> DayData:
    """The healthy day plus a controller fan-out at 18:00 ET: nine runs of one scraper in one tick, one of
    them failed (what the old report drew as one success on top of the rest)."""
    data = healthy_day()
    t = [x for x in rules.controller_ticks(CFG, D) if rules.hm(CFG, x) == "18:00"][0]
    for i in range(9):
        data.executions.append(
            {
                "execution_id": f"fan{i}",
                "scraper_name": "bdl_box_scores",
                "workflow": "morning_operations",
                "status": "failed" if i == 4 else "success",
                "error_type": "http_500" if i == 4 else None,
                "triggered_at": t + timedelta(seconds=20 + i),
                "gcs_path": None if i == 4 else f"ball-dont-lie/boxscores/2025-01-15/{i}.json",
                "notification_message_id": str(i),
            }
        )
    return data


def cells(dom: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'data-([a-z]+)="([^"]*)"', m.group(0)))
        for m in re.finditer(r'<g class="cell(?! snap)[^"]*"[^>]*>', dom)
    ]


def test_fan_out_runs_of_one_tick_are_one_mark_with_the_count_and_the_worst_status():
    from tooling.report_html import timeline

    tl = timeline(CFG, fan_out_day())
    lane = [m for m in tl["marks"] if m["lane"] == "scraper:morning_operations:bdl_box_scores"]
    assert [(m["count"], m["status"], m["counts"]) for m in lane] == [(9, "failed", {"success": 8, "failed": 1})]
    assert lane[0]["href"] == "exec-fan4" and "1 failed, 8 success" in lane[0]["title"]
    assert lane[0]["title"].startswith("bdl_box_scores at 18:00 ET (23:00 UTC)")
    assert tl["marks"][-1] is lane[0]  # the worst is drawn last: on top
    # Lanes grouped per workflow: its expected and decision lanes, then its scrapers, together.
    ids = [ln["id"] for ln in tl["lanes"]]
    i = ids.index("wf:morning_operations")
    assert ids[i + 1 : i + 5] == [
        "expected:morning_operations",
        "decision:morning_operations",
        "scraper:morning_operations:bdl_box_scores",
        "scraper:morning_operations:nbac_schedule_api",
    ]


def test_report_timeline_is_drawn_in_headless_chromium(tmp_path):
    browser = _chromium()
    data = fan_out_day()
    page = tmp_path / "report.html"
    page.write_text(render(data, evaluate(CFG, data)))
    out = dump_dom(browser, page, tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    dom = out.stdout
    drawn = cells(dom)
    # One mark per (lane, tick): the 96 cleanups, 2 x 18 hourly decisions... each tick of each lane once.
    keys = [(c["lane"], c["t"]) for c in drawn]
    assert len(keys) == len(set(keys)) == int(re.search(r'data-marks="(\d+)"', dom).group(1))
    assert sum(int(c["count"]) for c in drawn) == (
        len(data.expected) + len(data.decisions) + len(data.executions) + len(data.cleanups)
    )
    fan = [c for c in drawn if c["lane"] == "scraper:morning_operations:bdl_box_scores"]
    assert [(c["status"], c["count"]) for c in fan] == [("failed", "9")]
    # The browser's hit test: no failed mark is covered by anything drawn after it.
    assert re.search(r'data-covered="(\d+)"', dom).group(1) == "0"
    assert 'class="mark RUN"' in dom and 'class="mark cleanup"' in dom and 'class="mark success"' in dom
    # lanes: per workflow a heading, expected, decision, its scrapers; then cleanup
    assert re.search(r'data-lanes="(\d+)"', dom).group(1) == "9"
    # Every hour label inside the view box: the last (05:00) is centred on the right edge, not clipped.
    box = [float(v) for v in re.search(r'viewBox="([^"]+)"', dom).group(1).split()]
    labels = re.findall(r'<text x="([\d.]+)"[^>]*class="axis">([^<]+)</text>', dom)
    assert labels[0][1] == "05:00" and labels[-1][1] == "05:00" and len(labels) == 9
    assert all(float(x) + 16 <= box[2] for x, _ in labels)
    # The filter: only the failed marks shown.
    only = dump_dom(browser, page, tmp_path, "#only=failed")
    assert re.search(r'data-visible="(\d+)"', only.stdout).group(1) == "1"


def test_fail_lines_link_their_rows_and_tables_are_in_et():
    data = healthy_day()
    data.decisions[0]["reason"] = ""
    data.executions[0]["status"] = "failed"  # nbac_schedule_api is critical
    data.executions[0]["error_type"] = "blocked"
    page = render(data, evaluate(CFG, data))
    checks = re.search(r'<ul id="checks">(.*?)</ul>', page, re.S).group(1)
    fail = {li.split(":")[0]: li for li in re.findall(r"<li class='fail'>FAIL ([^\n]*?)</li>", checks)}
    assert "href='#decision-d0-morning_operations'" in fail["decisions_have_reasons"]
    assert "href='#exec-e1'>nbac_schedule_api failed at 06:00 ET (blocked)</a>" in fail["no_critical_errors"]
    assert "<tr id='exec-e1' class='st-failed'>" in page and "<tr id='decision-d0-morning_operations'" in page
    t = data.executions[0]["triggered_at"]
    assert f"<td title='{t.isoformat()} UTC'>2025-01-15 06:00:00 ET</td>" in page
    assert "console.cloud.google.com" not in page  # local emulators: nothing to open in a console


def test_a_deployed_project_links_rows_to_the_console_and_logs_explorer():
    from tooling.report_html import Console

    data = healthy_day()
    page = render(data, evaluate(CFG, data), console=Console("nba-props-prod", "nba-scraped-data-prod"))
    assert (
        "https://console.cloud.google.com/logs/query;query=jsonPayload.execution_id%3D%22e1%22?project=nba-props-prod"
        in page
    )
    assert (
        "https://console.cloud.google.com/storage/browser/_details/nba-scraped-data-prod/nba-com/schedule/x.json"
        "?project=nba-props-prod" in page
    )
    assert "labels.decision_id%3D%22d0-morning_operations%22" in page


def lines_day() -> DayData:
    """Two games; the first with its open, T-3h, injury and closing snapshots (props + game lines each), the
    second with a failed closing snapshot."""
    from shared.nba.schedule import Game

    data = healthy_day()
    tip1 = datetime(2025, 1, 16, 0, 0, tzinfo=UTC)  # 19:00 ET
    tip2 = datetime(2025, 1, 16, 3, 30, tzinfo=UTC)  # 22:30 ET
    data.games = [
        Game("0022400561", "20250115/NYKPHI", D, tip1, "PHI", "NYK", 1, "regular_season"),
        Game("0022400562", "20250115/LALGSW", D, tip2, "GSW", "LAL", 1, "regular_season"),
    ]
    snaps = [("NYKPHI", "open", tip1 - timedelta(hours=11)), ("NYKPHI", "regular", tip1 - timedelta(hours=3))]
    snaps += [("NYKPHI", "injury", tip1 - timedelta(minutes=75)), ("NYKPHI", "closing", tip1 - timedelta(minutes=30))]
    snaps += [("LALGSW", "closing", tip2 - timedelta(minutes=30))]
    for i, (teams, kind, at) in enumerate(snaps):
        for j, name in enumerate(("oddsa_player_props", "oddsa_game_lines")):
            data.executions.append(
                {
                    "execution_id": f"odds{i}-{j}",
                    "scraper_name": name,
                    "workflow": "betting_lines",
                    "status": "failed" if teams == "LALGSW" and j == 0 else "success",
                    "triggered_at": at + timedelta(seconds=30 + j),
                    "data_summary": json.dumps({"snapshot_type": kind}),
                    "opts": {"params": {"event_id": f"ev{teams}", "date": "2025-01-15", "teams": teams}},
                    "gcs_path": f"odds-api/x/{i}{j}.json",
                    "notification_message_id": "1",
                }
            )
    return data


def test_each_games_line_snapshots_against_its_tip():
    from tooling.status import line_snapshots

    got = {
        g["teams"]: [(s["snapshot_type"], s["minutes_before_tip"], s["status"], len(s["runs"])) for s in g["snapshots"]]
        for g in line_snapshots(CFG, lines_day())
    }
    assert got == {
        "NYKPHI": [
            ("open", 659, "success", 2),
            ("regular", 179, "success", 2),
            ("injury", 74, "success", 2),
            ("closing", 29, "success", 2),
        ],
        "LALGSW": [("closing", 29, "failed", 2)],
    }
    page = render(lines_day(), evaluate(CFG, lines_day()))
    assert "<tr id='game-0022400561'>" in page
    assert (
        "open 08:00 ET (T-659m); regular 16:00 ET (T-179m); injury 17:45 ET (T-74m); closing 18:30 ET (T-29m)" in page
    )
    assert "closing 22:00 ET (T-29m) failed" in page


def test_the_lines_are_drawn_against_the_tips_in_headless_chromium(tmp_path):
    browser = _chromium()
    data = lines_day()
    page = tmp_path / "report.html"
    page.write_text(render(data, evaluate(CFG, data)))
    dom = dump_dom(browser, page, tmp_path).stdout
    assert dom.count('class="tip"') == 2
    kinds = re.findall(r'class="snapshot (\w+)"', dom)
    assert sorted(kinds) == ["closing", "closing", "injury", "open", "regular"]
    assert ">NYKPHI 19:00 ET</text>" in dom and ">LALGSW 22:30 ET</text>" in dom
    # Each snapshot sits left of its game's tip by its minutes (same scale as the day axis: 1000 px a day).
    tip = [float(x) for x in re.findall(r'<path d="M([\d.]+) ', dom)]
    closing = [float(x) for x in re.findall(r'<circle cx="([\d.]+)"[^>]*class="snapshot closing"', dom)]
    assert [round(t - c, 1) for t, c in zip(sorted(tip), sorted(closing), strict=True)] == [
        20.5,
        20.5,
    ]  # 29.5 min of 1440


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
