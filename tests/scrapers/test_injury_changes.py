"""Each injury report compared with the previous one of its day (issue 18): the statuses kept in a
deterministic state object, the run summary listing the changes, the games to re-snapshot in the run ledger.

Real answers first: the statuses of every recorded report (both naming eras), and the real 2024-01-04 12 PM
report followed by a SYNTHETIC 1 PM report drawn by the sample day's writer from the real rows with a late
scratch (no two reports of one day were recorded). Through the real scraper on the emulators, and through
`run_local` (what `nba-orch scrape --out` runs).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from shared import run_ledger
from shared.adapters import gcs
from shared.config import get_config
from shared.nba import injury_changes
from shared.nba.injury_slots import slot_of
from shared.parsers.nba_injury_report import parse_injury_report_pdf
from shared.scrapers import service
from tests.scrapers.catalogue_recordings import PDF_HOST
from tests.scrapers.conftest import request
from tests.scrapers.test_nba_pdf import RECORDINGS
from tooling.sample_day.reports import render_injury_report

NOON = {"date": "2024-01-04", "hour": "12", "period": "PM"}
ONE_PM = {"date": "2024-01-04", "hour": "1", "period": "PM"}
RECORDING = "nba_injury_report/Injury-Report_2024-01-04_12PM.pdf"


@pytest.mark.parametrize("name", list(RECORDINGS))
def test_statuses_of_every_recording(upstream_dir, name):
    (day, hour, period, minute), _printed, players, pending = RECORDINGS[name]
    out = parse_injury_report_pdf((upstream_dir / "nba_injury_report" / name).read_bytes(), day)
    slot = slot_of(date.fromisoformat(day), hour, period, minute)
    label, kept, teams = injury_changes.decode(injury_changes.encode(slot, out["records"], out["not_submitted"]))
    assert label == slot.label and len(kept) == players and len(teams) == len({
        (r["matchup"], r["team"]) for r in out["not_submitted"]
    })  # fmt: skip
    assert injury_changes.diff(kept, kept, teams) == []
    assert {v["status"] for v in kept.values()} <= {"Out", "Doubtful", "Questionable", "Probable", "Available"}


def test_diff_rules():
    def p(status, team="T", matchup="A@B", player="X, Y"):
        return {f"{matchup}|{team}|{player}": {"status": status, "matchup": matchup, "team": team, "player": player}}

    assert injury_changes.diff(p("Probable"), p("Out")) == [
        {"player": "X, Y", "team": "T", "matchup": "A@B", "from": "Probable", "to": "Out"}
    ]
    assert injury_changes.diff(p("Out"), {})[0]["to"] is None  # no longer listed
    assert injury_changes.diff({}, p("Out"))[0]["from"] is None  # newly listed ...
    assert injury_changes.diff({}, p("Out"), {"A@B|T"}) == []  # ... unless the team had not submitted yet
    changes = injury_changes.diff({**p("Out"), **p("Probable", team="U")}, {**p("Probable"), **p("Doubtful", team="U")})
    assert injury_changes.triggers(changes) == ["A@B"]  # Doubtful triggers, Probable does not
    assert injury_changes.triggers(injury_changes.diff(p("Out"), p("Probable"))) == []
    assert injury_changes.summary(None, changes)["injury_triggers"] == []  # nothing compared: no trigger
    with pytest.raises(ValueError):
        injury_changes.decode(b'{"v": 99, "players": {}}')


def one_pm_report(upstream_dir) -> tuple[bytes, list[dict]]:
    """SYNTHETIC: the real noon report's rows an hour later, with Barlow (Questionable) and Jackson (Probable)
    ruled Out and Bassey no longer listed."""
    out = parse_injury_report_pdf((upstream_dir / RECORDING).read_bytes(), "2024-01-04")
    changed = {"Barlow, Dominick": "Out", "Jackson, Reggie": "Out"}
    rows = []
    for r in out["records"]:
        if r["player"] == "Bassey, Charles":
            continue
        rows.append({
            "game_date": datetime.fromisoformat(r["game_date"]).strftime("%m/%d/%Y"),
            "game_time": r["game_time"], "matchup": r["matchup"], "team": r["team"], "player": r["player"],
            "status": changed.get(r["player"], r["status"]), "reason": r["reason"],
        })  # fmt: skip
    return render_injury_report(datetime(2024, 1, 4, 18, 30, tzinfo=UTC), rows), rows


EXPECTED = [
    {"player": "Bassey, Charles", "team": "San Antonio Spurs", "matchup": "MIL@SAS", "from": "Out", "to": None},
    {
        "player": "Barlow, Dominick",
        "team": "San Antonio Spurs",
        "matchup": "MIL@SAS",
        "from": "Questionable",
        "to": "Out",
    },
    {"player": "Jackson, Reggie", "team": "Denver Nuggets", "matchup": "DEN@GSW", "from": "Probable", "to": "Out"},
]


def by_player(changes):
    return sorted(changes, key=lambda c: c["player"])


@pytest.mark.emulators
def test_the_next_report_lists_the_changes_and_the_games_to_resnapshot(srt, rp, upstream_dir):
    rp.add(PDF_HOST, "/referee/injury/Injury-Report_2024-01-04_12PM.pdf", file=upstream_dir / RECORDING)
    pdf, _ = one_pm_report(upstream_dir)
    rp.add(PDF_HOST, "/referee/injury/Injury-Report_2024-01-04_01PM.pdf", body=pdf, content_type="application/pdf")
    as_of = datetime(2024, 1, 4, 19, 0, tzinfo=UTC)  # 14:00 ET: both due
    first = service.execute(srt, request("nbac_injury_report", NOON, scope="noon", as_of=as_of))
    assert first.status == "success" and first.summary["compared_with"] is None and first.summary["change_count"] == 0
    state = "_nba-orch/injury_status/2024-01-04/1200.json"
    label, kept, _ = injury_changes.decode(gcs.read_object(srt, state))
    assert (label, len(kept)) == ("2024-01-04 12:00 PM", 14)
    assert gcs.get_metadata(srt, state)["role"] == "state"

    second = service.execute(srt, request("nbac_injury_report", ONE_PM, scope="one", as_of=as_of))
    s = second.summary
    assert (second.status, s["compared_with"], s["change_count"]) == ("success", "2024-01-04 12:00 PM", 3)
    assert by_player(s["changes"]) == by_player(EXPECTED)
    assert s["injury_triggers"] == ["DEN@GSW", "MIL@SAS"]
    # The row keeps the summary; the run ledger keeps the triggers for the controller.
    row = next(r for r in _rows(srt) if r["execution_id"] == second.execution_id)
    summary = row["data_summary"]
    assert (json.loads(summary) if isinstance(summary, str) else summary)["injury_triggers"] == ["DEN@GSW", "MIL@SAS"]
    records = [run_ledger.parse(n, m) for n, m in run_ledger.list_day(srt, date(2024, 1, 4))]
    assert [r["data_summary"].get("injury_triggers") for r in records if r["execution_id"] == second.execution_id] == [
        ["DEN@GSW", "MIL@SAS"]
    ]

    # The same report asked again at a later tick (a re-requested slot): its state is rewritten, not a path
    # conflict, and the comparison is the same.
    later = datetime(2024, 1, 4, 20, 0, tzinfo=UTC)
    again = service.execute(srt, request("nbac_injury_report", ONE_PM, scope="again", as_of=later))
    assert again.status == "success" and by_player(again.summary["changes"]) == by_player(EXPECTED)


def _rows(rt):
    from tests.scrapers.conftest import rows

    return rows(rt)


def test_run_local_compares_with_the_report_before_in_the_out_dir(rp, upstream_dir, tmp_path):
    rp.add(PDF_HOST, "/referee/injury/Injury-Report_2024-01-04_12PM.pdf", file=upstream_dir / RECORDING)
    pdf, _ = one_pm_report(upstream_dir)
    rp.add(PDF_HOST, "/referee/injury/Injury-Report_2024-01-04_01PM.pdf", body=pdf, content_type="application/pdf")
    as_of = datetime(2024, 1, 4, 19, 0, tzinfo=UTC)
    cfg = get_config()
    service.run_local(request("nbac_injury_report", NOON, scope="a", as_of=as_of), tmp_path, config=cfg)
    assert (tmp_path / "_nba-orch/injury_status/2024-01-04/1200.json").is_file()
    out = service.run_local(request("nbac_injury_report", ONE_PM, scope="b", as_of=as_of), tmp_path, config=cfg)
    assert out.summary["compared_with"] == "2024-01-04 12:00 PM"
    assert by_player(out.summary["changes"]) == by_player(EXPECTED)
    # An unreadable earlier state: not compared, said in the anomalies, never a crash.
    (tmp_path / "_nba-orch/injury_status/2024-01-04/1200.json").write_bytes(b"{not json")
    (tmp_path / "_nba-orch/injury_status/2024-01-04/1300.json").unlink()
    out = service.run_local(request("nbac_injury_report", ONE_PM, scope="c", as_of=as_of), tmp_path, config=cfg)
    assert out.status == "success" and out.summary["compared_with"] is None
    assert any("unreadable" in a for a in out.summary["anomalies"])
