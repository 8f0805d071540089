"""The framework's extension points that issue-6 scrapers use (page-number pagination, a binary document
with a parsed JSON sidecar at `gcs_data_path`, "not published yet" statuses), and the `nba-orch scrape` CLI.

The test scrapers here are small classes registered for catalogue entries at run time, exactly as a new
scraper would be written, and are fed real recordings (a BettingPros answer, an injury-report PDF)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from shared.adapters import gcs
from shared.scrapers import registry, service
from shared.scrapers.base import BinaryDocument, Context, Fetched, PageNumberPaginated, Parsed
from tests.scrapers.conftest import BDL_KEY, data_objects, request, rows

ROOT = Path(__file__).resolve().parents[2]
REPORT = "ak-static.cms.nba.com"
REPORT_PATH = "/referee/injury/Injury-Report_2024-01-04_12PM.pdf"


class InjuryReportPdf(BinaryDocument):
    no_data_statuses = (403,)

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        from shared.parsers.nba_injury_report import parse_injury_report_pdf

        out = parse_injury_report_pdf(fetched.body or b"", ctx.params["date"])
        return Parsed(len(out["records"]), out["summary"], out["records"])


class BpEventsTwoPages(PageNumberPaginated):
    def total_pages(self, page) -> int:  # the recording has no _pagination block: pretend it said 2
        return 2

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        pages = self.pages(fetched)
        events = [e for p in pages for e in p["events"]]
        return Parsed(len(events), {"event_count": len(events), "pages": len(pages)}, None)


def emitted(stdout: str) -> dict:
    """The CLI's JSON document (indented, after any one-line log entries)."""
    start = stdout.index("{\n") if stdout.startswith("{\n") else stdout.rindex("\n{\n") + 1
    return json.loads(stdout[start:])


@pytest.fixture
def registered():
    added: dict[str, object] = {}

    def add(name: str, cls: type) -> None:
        added[name] = registry.register(name, cls)

    yield add
    for name, previous in added.items():
        registry.register(name, previous)


@pytest.mark.emulators
def test_binary_document_with_parsed_sidecar(srt, replay, registered, upstream_dir):
    registered("nbac_injury_report", InjuryReportPdf)
    pdf = upstream_dir / "nba_injury_report/Injury-Report_2024-01-04_12PM.pdf"
    replay.add(REPORT, REPORT_PATH, file=pdf)
    outcome = service.execute(srt, request("nbac_injury_report", {"date": "2024-01-04", "hour": "12", "period": "PM"}))
    assert (outcome.status, outcome.record_count) == ("success", 14)
    raw = "nba-com/injury-report-pdf/2024-01-04/12/20240125_040000.pdf"
    side = "nba-com/injury-report-data/2024-01-04/12/20240125_040000.json"
    assert data_objects(srt) == sorted([raw, side])
    assert gcs.read_object(srt, raw) == pdf.read_bytes()
    assert outcome.extra_paths == [f"gs://{srt.bucket}/{side}"]
    doc = json.loads(gcs.read_object(srt, side))
    assert len(doc["records"]) == 14 and doc["summary"]["status_counts"]["Out"] == 10
    assert gcs.get_metadata(srt, side)["execution_id"] == outcome.execution_id
    assert gcs.bucket(srt).get_blob(raw).content_type == "application/pdf"


@pytest.mark.emulators
def test_a_not_yet_published_status_is_no_data(srt, replay, registered):
    registered("nbac_injury_report", InjuryReportPdf)
    replay.add(REPORT, "/referee/injury/Injury-Report_2024-01-04_05PM.pdf", status=403, body="AccessDenied")
    outcome = service.execute(srt, request("nbac_injury_report", {"date": "2024-01-04", "hour": "5", "period": "PM"}))
    assert (outcome.status, outcome.gcs_path) == ("no_data", None)
    assert rows(srt)[0]["status"] == "no_data" and data_objects(srt) == []


def test_page_number_pagination_keeps_every_page(replay, registered, upstream_dir, tmp_path, monkeypatch):
    registered("bp_events", BpEventsTwoPages)
    monkeypatch.setenv("BETTINGPROS_API_KEY", "bp-test-key-0000")
    rec = upstream_dir / "bettingpros/v3_events_2021-10-21.json"
    replay.add("api.bettingpros.com", "/v3/events", query={"date": "2021-10-21"}, file=rec)
    outcome = service.run_local(request("bp_events", {"date": "2021-10-21"}), tmp_path)
    assert (outcome.status, outcome.record_count, outcome.summary["pages"]) == ("success", 6, 2)
    pages = [s.query.get("page") for s in replay.seen]
    assert pages == [None, "2"] and all(s.headers["x-api-key"] == "bp-test-key-0000" for s in replay.seen)
    doc = json.loads(Path(outcome.file).read_bytes())
    assert doc["page_count"] == 2 and doc["pages"] == [json.loads(rec.read_bytes())] * 2


def test_cli_scrape_to_a_folder_touches_no_cloud_service(replay, upstream_dir, tmp_path):
    # No emulator or project settings at all: any cloud call would fail.
    env = {k: v for k, v in os.environ.items() if "EMULATOR" not in k and not k.startswith(("GOOGLE", "CLOUDSDK"))}
    env.update(BALLDONTLIE_API_KEY=BDL_KEY, NBA_ORCH_UPSTREAM_OVERRIDE=replay.url)
    entry = "import sys; from tooling.cli import main; sys.exit(main(sys.argv[1:]))"  # what `nba-orch` runs
    cmd = [sys.executable, "-c", entry, "scrape", "bdl_box_scores", "--param", "date=2024-01-15"]
    cmd += ["--out", str(tmp_path), "--as-of", "2024-01-25T04:00:00Z"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = emitted(done.stdout)
    assert (out["status"], out["record_count"], out["gcs_path"]) == ("success", 11, None)
    path = tmp_path / "ball-dont-lie/boxscores/2024-01-15/20240125_040000.json"
    assert out["file"] == str(path) and out["summary"]["game_count"] == 11
    assert path.read_bytes() == (upstream_dir / "balldontlie/box_scores_2024-01-15.json").read_bytes()
    assert BDL_KEY not in done.stdout + done.stderr


@pytest.mark.emulators
def test_cli_scrape_through_the_pipeline_and_failure_exit_code(srt, replay, monkeypatch, capsys):
    from tooling.cli import main

    for k, v in srt.env().items():
        monkeypatch.setenv(k, v)
    code = main(["scrape", "oddsa_events", "-p", "date=2024-01-24", "--as-of", "2024-01-25T04:00:00Z"])
    out = emitted(capsys.readouterr().out)
    assert code == 0 and out["status"] == "success" and len(out["follow_ups"]) == 6
    assert out["gcs_path"] == f"gs://{srt.bucket}/odds-api/events/2024-01-24/20240125_040000.json"
    assert rows(srt)[0]["source"] == "MANUAL"
    assert main(["scrape", "bdl_box_scores"]) == 1  # missing date: a failed run, exit code 1
