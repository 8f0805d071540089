"""Gaps (pure): planned requests against run records; and the driver's pacing with an explicit clock."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from shared.backfill.driver import paced
from shared.backfill.gaps import Record, assess, heal_items, report
from shared.backfill.plan import plan_range, source_interval

DAY = date(2025, 1, 15)


@pytest.fixture(scope="module")
def day_plan(cfg, games):
    return plan_range(cfg, games, DAY, DAY)


def _done_records(items, status="success", *, shift=timedelta(0)):
    out = []
    for i in items:
        out.append(Record(i.scraper, i.as_of + shift, status, dict(i.params), f"x{len(out)}"))
        for t in i.context.get("snapshot_games") or {}:
            for f in ("oddsa_player_props_his", "oddsa_game_lines_his"):
                params = {"event_id": "e" + t, "date": i.params["date"], "teams": t, "snapshot": i.params["snapshot"]}
                out.append(Record(f, i.as_of, status, params, f"x{len(out)}"))
    return out


def test_everything_done_means_no_gap(cfg, day_plan):
    v = assess(cfg, day_plan.items, _done_records(day_plan.items))
    assert {x.state for x in v} == {"done"}
    assert report(v)["gaps"] == []


def test_missing_failed_and_not_final(cfg, day_plan):
    items = list(day_plan.items)
    box = next(i for i in items if i.scraper == "nbac_team_boxscore")
    report_item = next(i for i in items if i.scraper == "nbac_injury_report")
    pbp = next(i for i in items if i.scraper == "nbac_play_by_play")
    recs = [r for r in _done_records(items) if r.params != dict(box.params) and r.params != dict(report_item.params)]
    recs = [r for r in recs if not (r.scraper == "nbac_play_by_play" and r.params == dict(pbp.params))]
    recs.append(Record("nbac_injury_report", report_item.as_of, "failed", dict(report_item.params), "f1", "http_500"))
    # a play-by-play fetched while the game was in play is not its final one
    recs.append(Record("nbac_play_by_play", pbp.final_at - timedelta(hours=1), "success", dict(pbp.params), "e1"))
    v = {x.item.key: x for x in assess(cfg, items, recs)}
    assert v[box.key].state == "missing" and v[box.key].detail == "no run"
    assert v[report_item.key].state == "failed" and "http_500" in v[report_item.key].detail
    assert v[pbp.key].state == "missing" and "before the game was final" in v[pbp.key].detail
    doc = report(list(v.values()))
    assert doc["missing"] == 2 and doc["failed"] == 1
    assert "nbac_team_boxscore" in doc["per_game"][box.games[0]]
    assert doc["per_scraper"]["nbac_team_boxscore"] == {"failed": 0, "missing": 1}
    assert {i.key for i in heal_items(cfg, v.values())} == {box.key, report_item.key, pbp.key}


def test_a_fallback_run_does_the_work(cfg, day_plan):
    items = [i for i in day_plan.items if i.scraper == "nbac_player_boxscore"][:1]
    i = items[0]
    rec = Record("nbac_cdn_boxscore", i.as_of, "success", cfg.scrapers["nbac_cdn_boxscore"].accepted(i.params))
    assert assess(cfg, items, [rec])[0].state == "done"


def test_no_data_counts_only_where_the_catalogue_accepts_it(cfg, day_plan):
    ref = [i for i in day_plan.items if i.scraper == "nbac_referee_assignments"]
    box = [i for i in day_plan.items if i.scraper == "bdl_box_scores"]
    v = assess(cfg, ref + box, _done_records(ref + box, "no_data"))
    assert [x.state for x in v] == ["done", "failed"]


def test_a_partial_line_snapshot_heals_its_missing_games_only(cfg, day_plan):
    snap = max(
        (i for i in day_plan.items if i.scraper == "oddsa_events_his"), key=lambda i: len(i.context["snapshot_games"])
    )
    teams = sorted(snap.context["snapshot_games"])
    assert len(teams) >= 2
    recs = [
        r
        for r in _done_records([snap])
        if not (r.scraper == "oddsa_game_lines_his" and r.params.get("teams") == teams[0])
    ]
    (v,) = assess(cfg, [snap], recs)
    assert v.state == "missing" and v.games == (teams[0],)
    (healed,) = heal_items(cfg, [v])
    assert healed.key == snap.key and list(healed.context["snapshot_games"]) == [teams[0]]
    assert healed.credits == 1 + 50 and healed.calls == 3


def test_pacing_keeps_each_source_at_its_rate(cfg, games):
    items = plan_range(cfg, games, DAY, DAY, workflows=["morning_operations", "post_game_window_3"]).items
    now = [0.0]
    stamps: dict[str, list[float]] = {}

    def sleep(s: float) -> None:
        now[0] += s

    for batch in paced(cfg, items, clock=lambda: now[0], sleep=sleep):
        for i in batch:
            stamps.setdefault(cfg.scrapers[i.scraper].source, []).append(now[0])
        now[0] += 0.001  # a publish takes a little time
    assert sum(len(v) for v in stamps.values()) == len(items)
    for src, ts in stamps.items():
        gap = source_interval(cfg, src)
        spans = [b - a for a, b in zip(ts, ts[1:], strict=False)]
        assert all(s >= gap - 1e-9 for s in spans), src  # never faster than the catalogue's rate
    br = stamps["basketball_reference"]
    assert len(br) == 30 and br[-1] - br[0] == pytest.approx(29 * 3.0, abs=0.1)
    # sources run side by side: the whole takes as long as the slowest source, not the sum
    assert now[0] == pytest.approx(max(len(v) * source_interval(cfg, s) for s, v in stamps.items()), rel=0.05)
