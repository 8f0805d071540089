"""The main job end to end on a shortened day: the locker, controller ticks (morning, afternoon, the three
post-game windows), cleanup, the five functions under functions-framework fed by push subscriptions, the
scrapers against the sample day, and the report's figures."""

from __future__ import annotations

import pytest

from shared.config import get_config
from tooling.sample_day import DEFAULT_DATE
from tooling.simulate import plan, run

pytestmark = pytest.mark.emulators

HOURS = {5, 6, 13, 22, 1, 4}


def test_shortened_day_through_the_real_pipeline(rt, tmp_path):
    cfg = get_config()
    events = plan(cfg, DEFAULT_DATE, hours=HOURS)
    assert [e.topic_key for e in events].count("controller_tick") == 5
    result = run(DEFAULT_DATE, out_dir=tmp_path, hours=HOURS, rt=rt, progress=lambda s: None)
    assert result.stalled == [], result.stalled
    assert result.ticks == len(events)
    checks = {c["check"]: c for c in result.summary["checks"]}
    # A shortened day cannot have every controller hour or cleanup slot; everything else must hold.
    assert checks["schedule_locked"]["ok"], checks["schedule_locked"]
    assert checks["decisions_have_reasons"]["ok"]
    assert checks["files_without_notification"]["ok"], checks["files_without_notification"]
    assert checks["no_critical_errors"]["ok"], checks["no_critical_errors"]
    assert "5 of 20 controller hours" in checks["controller_every_hour"]["detail"]
    wf = result.summary["workflows"]
    # one decision per enabled workflow per controller tick
    for name in cfg.workflows:
        assert sum(wf[name][k] for k in ("run", "skip", "abort")) == 5, (name, wf[name])
    # 06:00 runs the morning; the standings file whose run was "lost" (the injected crash) has no success row,
    # so 13:00 runs again for exactly that scraper, while cleanup republishes the lost file's notification.
    from shared.adapters.bigquery import query

    morning = query(
        rt,
        "SELECT decision_time, scrapers_triggered FROM {dataset}.workflow_decisions "
        "WHERE workflow_name = 'morning_operations' AND action = 'RUN' ORDER BY decision_time",
    )
    assert len(morning) == 2 and wf["morning_operations"]["run"] == 2
    # (the schedule itself was fetched at 05:00 by the locker, so the morning run does not fetch it again)
    assert set(morning[0]["scrapers_triggered"]) == set(cfg.workflows["morning_operations"].scrapers) - {
        "nbac_schedule_api"
    }
    assert morning[1]["scrapers_triggered"] == ["bdl_standings"]
    assert wf["post_game_window_1"]["run"] == 1  # 22:00: the evening's games
    assert wf["morning_operations"]["executions"].get("success", 0) >= 34  # 30 team rosters and 4 others
    totals = result.summary["totals"]
    assert totals["republished"] == 1  # the injected crash between file write and notification
    assert totals["executions"].get("failed", 0) == 1  # the sample day's missing BigDataBall file
    assert (tmp_path / "report.html").stat().st_size > 10_000
    # The SLAs: a shortened day misses controller hours, so that alert opens (once) and reaches the local
    # webhook the simulation started; it is listed with the day and shown in the report.
    alerts = {a["rule"]: a for a in collect_alerts(rt)}
    assert "controller_ticks_ran" in alerts and alerts["controller_ticks_ran"]["resolved_at"] is None
    opened = [n for n in result.summary["notifications"] if n.startswith("OPEN [ERROR] controller_ticks_ran")]
    assert len(opened) == 1, result.summary["notifications"]
    assert result.summary["alerts"]["open"] >= 1
    assert "controller_ticks_ran" in (tmp_path / "report.html").read_text()


def collect_alerts(rt) -> list[dict]:
    from tooling.status import list_alerts

    return list_alerts(rt, get_config(), DEFAULT_DATE)


def test_whole_default_day_captures_every_closing_line(rt, tmp_path):
    """`nba-orch simulate` on the default day (every hour and quarter tick): every game's props are fetched at
    each line snapshot, labelled, and its closing snapshot lands 20-35 min before its tip; the closing-line
    SLA opens no alert."""
    import json
    from datetime import time, timedelta

    from shared.adapters.bigquery import query
    from shared.timeutil import et_at
    from tooling.sample_day.day import build

    result = run(DEFAULT_DATE, out_dir=tmp_path, rt=rt, progress=lambda s: None)
    assert result.stalled == [], result.stalled
    tips = {g.teams: g.commence_utc for g in build(DEFAULT_DATE).games}
    rows = query(
        rt,
        "SELECT triggered_at, data_summary, opts, status FROM {dataset}.scraper_execution_log "
        "WHERE scraper_name = 'oddsa_player_props' ORDER BY triggered_at",
    )
    closing: dict[str, list[float]] = {}
    kinds: dict[str, list[str]] = {}
    taken_at: dict[tuple[str, str], list] = {}

    def summary_of(r: dict) -> dict:
        return r["data_summary"] if isinstance(r["data_summary"], dict) else json.loads(r["data_summary"])

    for r in rows:
        summary = summary_of(r)
        opts = r["opts"] if isinstance(r["opts"], dict) else json.loads(r["opts"])
        teams = opts["params"]["teams"]
        assert r["status"] == "success"
        kinds.setdefault(teams, []).append(summary["snapshot_type"])
        taken_at.setdefault((teams, summary["snapshot_type"]), []).append(r["triggered_at"])
        if summary["snapshot_type"] == "closing":
            closing.setdefault(teams, []).append((tips[teams] - r["triggered_at"]).total_seconds() / 60)
    assert set(closing) == set(tips)
    assert all(len(v) == 1 and 20 <= v[0] <= 35 for v in closing.values()), closing
    # The late scratch (the 18:00 report turns a Questionable of the last game to Doubtful) releases one
    # extra snapshot of that game only, at the next quarter tick: the line after the news (issue 18 item 4).
    late = max(build(DEFAULT_DATE).games, key=lambda g: (g.commence_utc, g.game_id)).teams
    assert kinds[late].count("injury") == 1, kinds[late]
    assert [k for k in kinds[late] if k != "injury"] == ["open", "regular", "regular", "regular", "closing"]
    others = {t: k for t, k in kinds.items() if t != late}
    assert all(k == ["open", "regular", "regular", "regular", "closing"] for k in others.values()), kinds
    reports = query(
        rt,
        "SELECT triggered_at, data_summary FROM {dataset}.scraper_execution_log "
        "WHERE scraper_name = 'nbac_injury_report' AND status = 'success'",
    )
    news = [r for r in reports if summary_of(r).get("injury_triggers")]
    # One report carries the news (the one after SCRATCH_HOUR's list, fetched when it is due), and the
    # snapshot follows it at the next quarter tick, before the tip.
    assert len(news) == 1 and news[0]["triggered_at"] >= et_at(DEFAULT_DATE, time(18, 0)), news
    assert taken_at[(late, "injury")] == [news[0]["triggered_at"] + timedelta(minutes=15)]
    assert taken_at[(late, "injury")][0] < tips[late]
    assert "closing_line_captured" not in {a["rule"] for a in collect_alerts(rt)}
    # The 04:45 cleanup tick compared the night's box scores (issue 21): every source agrees on every player.
    quality = query(rt, "SELECT game_id, source, players_compared, agreeing FROM {dataset}.source_comparisons")
    assert {(r["game_id"], r["source"]) for r in quality} == {
        (g.game_id, s) for g in build(DEFAULT_DATE).games for s in ("nba_cdn", "balldontlie")
    }
    assert all(r["agreeing"] == r["players_compared"] > 0 for r in quality), quality
    assert "source_agreement" not in {a["rule"] for a in collect_alerts(rt)}
    # ...and not because it was never judged: the SLAs read from the day's records (quarter tick keys
    # included) judge every game's closing line OK.
    from shared.alerts import sla
    from shared.alerts.service import read_states
    from shared.timeutil import et_at

    now = et_at(DEFAULT_DATE + timedelta(days=1), __import__("datetime").time(4, 45))
    ev = sla.evaluate(get_config(), sla.load_alerts_config(), read_states(rt, get_config(), now), now)
    judged = [r for r in ev.results if r.rule == "closing_line_captured"]
    assert len(judged) == len(tips) and all(r.ok for r in judged), [r.detail for r in judged]


def test_a_skewed_source_in_a_simulated_day_is_suspect_that_night_and_only_it(rt, tmp_path):
    """`simulate --source-skew balldontlie=0.5` (issue 21 item 4): balldontlie's box scores report half the
    minutes and points; the 04:45 cleanup tick's comparison finds its disagreements, the `source_agreement`
    SLA opens for balldontlie alone within the same night, its notification reaches the webhook, and
    `nba-orch quality` names the fields."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    result = run(DEFAULT_DATE, out_dir=tmp_path, rt=rt, progress=lambda s: None, source_skew={"balldontlie": 0.5})
    assert result.stalled == [], result.stalled
    assert "source skew: balldontlie box scores report minutes and points x0.5" in result.faults
    opened = {a["subject"]: a for a in collect_alerts(rt) if a["rule"] == "source_agreement"}
    assert set(opened) == {"balldontlie"}, opened
    assert opened["balldontlie"]["resolved_at"] is None
    sent = [n for n in result.summary["notifications"] if "source_agreement" in n]
    assert sent and all("balldontlie" in n and "nba_cdn" not in n for n in sent), result.summary["notifications"]
    out = subprocess.run(
        [str(Path(sys.executable).parent / "nba-orch"), "quality", "--date", DEFAULT_DATE.isoformat(),
         "--format", "json"],
        capture_output=True, text=True, env={**os.environ, **rt.env()}, timeout=120, check=False,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["sources"]["nba_cdn"]["agreement"] == 1.0 and not doc["sources"]["nba_cdn"]["suspect"]
    assert doc["sources"]["balldontlie"]["agreement"] < 0.9 and doc["sources"]["balldontlie"]["suspect"]
    fields = {w["field"] for w in doc["worst"] if w["source"] == "balldontlie"}
    assert fields and fields <= {"minutes", "points", "team_points"}, doc["worst"]


AKAMAI = "nba_officials/error_403_akamai_access_denied_blocked_ua.html"


def test_a_breach_on_a_simulated_day_reaches_webhook_and_smtp_once_and_resolves_once(
    rt, tmp_path, monkeypatch, upstream_dir
):
    """Issue 16's "done when" on a shortened day: stats.nba.com answers the morning's player index with a
    real Akamai block page once (its retry at 13:00 is served), so `source_not_blocked` (kind
    source_blocked) for nba_stats opens at 13:00, the block having lasted over its 60 minutes, reaches the
    local webhook and the local SMTP server once, resolves once (22:00) after the retry succeeded, and is
    listed with the day."""
    from tests.alerts.receivers import smtp_receiver
    from tooling.local.replay import Reply

    block = Reply(403, body=(upstream_dir / AKAMAI).read_bytes(), content_type="text/html")

    def block_the_player_index_once(replay) -> None:
        with replay._lock:
            for route in replay.routes:
                if route.path == "/stats/playerindex":
                    route.replies = [block, *route.replies]

    with smtp_receiver() as (smtp, mails):
        monkeypatch.setenv("NBA_ORCH_SMTP_URL", smtp)
        monkeypatch.setenv("NBA_ORCH_ALERT_EMAIL_TO", "oncall@example.test")
        monkeypatch.setenv("NBA_ORCH_ALERT_EMAIL_FROM", "nba-orch@example.test")
        result = run(
            DEFAULT_DATE, out_dir=tmp_path, hours=HOURS, rt=rt, progress=lambda s: None,
            replay_setup=block_the_player_index_once,
        )  # fmt: skip
        subjects = [m["Subject"] for m in mails]
    assert result.stalled == [], result.stalled
    hook = [n for n in result.summary["notifications"] if "source_not_blocked" in n]
    assert [n.split(" ")[0] for n in hook] == ["OPEN", "RESOLVED"], result.summary["notifications"]
    assert all("nba_stats" in n for n in hook), hook
    assert [s for s in subjects if "source_not_blocked" in s] == hook  # the same two messages by email
    mine = [a for a in collect_alerts(rt) if a["rule"] == "source_not_blocked"]
    assert len(mine) == 1 and mine[0]["subject"] == "nba_stats" and mine[0]["resolved_at"] is not None, mine
