"""The whole catalogue: every catalogued scraper has an implementation, `nba-orch scrape NAME --param ...
--out DIR` works for every one of them (answers from the replay server: a recording, or a documented-shape
answer where no recording exists, see catalogue_recordings.py), every scraper named in the default
workflows runs through the `scrapers` Cloud Function, and PDF/HTML/Drive libraries are loaded only by the
scrapers that need them (cold start)."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.adapters.pubsub import publish
from shared.config import get_config
from shared.scrapers import registry
from tests.functions_harness import FunctionProcess, function_env, wire
from tests.replay import ODDS_EVENT_ATL_GSW, ODDS_SNAPSHOT
from tests.scrapers.catalogue_recordings import BP_KEY, CLI_PARAMS, DRIVE_TOKEN
from tests.scrapers.conftest import BDL_KEY, ODDS_KEY, request, rows

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-03-16T09:00:00Z"

# One working request per scraper of the framework's own sources (their recordings: tests/replay.py).
FRAMEWORK_PARAMS: dict[str, dict[str, str]] = {
    "nbac_schedule_api": {"season": "2024-25"},
    "nbac_schedule_cdn": {},
    "bdl_box_scores": {"date": "2024-01-15"},
    "bdl_games": {"date": "2025-02-20"},
    "bdl_active_players": {},
    "bdl_injuries": {},
    "bdl_standings": {"season": "2024"},
    "bdl_player_box_scores": {"date": "2025-06-22"},
    "oddsa_events": {"date": "2024-01-24"},
    "oddsa_player_props": {"event_id": ODDS_EVENT_ATL_GSW, "date": "2024-01-24"},
    "oddsa_game_lines": {"event_id": ODDS_EVENT_ATL_GSW, "date": "2024-01-24"},
    "oddsa_events_his": {"snapshot": ODDS_SNAPSHOT, "date": "2024-01-24"},
    "oddsa_player_props_his": {"event_id": ODDS_EVENT_ATL_GSW, "snapshot": ODDS_SNAPSHOT, "date": "2024-01-24"},
    "oddsa_game_lines_his": {"event_id": ODDS_EVENT_ATL_GSW, "snapshot": ODDS_SNAPSHOT, "date": "2024-01-24"},
}
ALL_PARAMS = {**FRAMEWORK_PARAMS, **CLI_PARAMS}


def emitted(stdout: str) -> dict:
    """The CLI's JSON document (indented), after any one-line log entries."""
    start = 0 if stdout.startswith("{\n") else stdout.rindex("\n{\n") + 1
    return json.loads(stdout[start:])


def test_every_catalogued_scraper_has_an_implementation_in_its_sources_module():
    cfg = get_config()
    assert registry.implemented(cfg) == sorted(cfg.scrapers)
    import shared.scrapers.sources as sources

    for info in pkgutil.iter_modules(sources.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"shared.scrapers.sources.{info.name}")
        for name in module.SCRAPERS:  # a module implements only scrapers of its own catalogue source
            assert cfg.scrapers[name].source == info.name, name


def test_cli_scrape_to_a_folder_works_for_every_scraper_of_the_catalogue(rp, tmp_path, capsys):
    from tooling.cli import main

    cfg = get_config()
    assert set(ALL_PARAMS) == set(cfg.scrapers)  # a new catalogue entry needs a case here
    for name, params in sorted(ALL_PARAMS.items()):
        argv = ["scrape", name, "--out", str(tmp_path), "--as-of", AS_OF]
        for key, value in params.items():
            argv += ["--param", f"{key}={value}"]
        code = main(argv)
        out = emitted(capsys.readouterr().out)
        assert (code, out["status"]) == (0, "success"), (name, out["error_type"], out["error_message"])
        assert out["record_count"] > 0 and out["gcs_path"] is None, name
        assert Path(out["file"]).is_file() and Path(out["file"]).stat().st_size > 0, name
        for extra in out["extra_paths"]:
            assert Path(extra).is_file(), name
    assert not rp.unmatched


@pytest.mark.parametrize("name", ["nbac_injury_report", "br_season_roster", "bigdataball_pbp"])
def test_the_installed_nba_orch_command(rp, tmp_path, name):
    binary = Path(sys.executable).with_name("nba-orch")
    if not binary.is_file():
        pytest.skip("the nba-orch console script is not installed in this environment")
    # No emulator or project settings at all: the --out mode must touch no cloud service.
    env = {k: v for k, v in os.environ.items() if "EMULATOR" not in k and not k.startswith(("GOOGLE", "CLOUDSDK"))}
    env.update(NBA_ORCH_UPSTREAM_OVERRIDE=rp.url, BETTINGPROS_API_KEY=BP_KEY, NBA_ORCH_DRIVE_TOKEN=DRIVE_TOKEN)
    cmd = [str(binary), "scrape", name, "--out", str(tmp_path), "--as-of", AS_OF]
    for key, value in CLI_PARAMS[name].items():
        cmd += ["-p", f"{key}={value}"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = emitted(done.stdout)
    assert out["status"] == "success" and Path(out["file"]).is_file()
    assert DRIVE_TOKEN not in done.stdout + done.stderr and BP_KEY not in done.stdout + done.stderr


def test_pdf_html_and_drive_libraries_load_only_with_the_scraper_that_needs_them():
    heavy = ("pypdf", "bs4", "google.auth", "google.oauth2", "cryptography")
    code = f"""
import importlib, json, pkgutil, sys
import shared.scrapers.sources as sources
from shared.config import get_config
from shared.scrapers import registry
registry.implemented(get_config())  # imports EVERY source module
loaded = {{m: m in sys.modules for m in {heavy!r}}}
from shared.scrapers.base import Fetched
from shared.scrapers.sources.nba_pdf import NbacGamebookPdf
try:
    NbacGamebookPdf.parse(None, Fetched(b"%PDF-1.4 broken"), None)
except Exception:
    pass
loaded["pypdf_after_parse"] = "pypdf" in sys.modules
print(json.dumps(loaded))
"""
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert loaded == {**{m: False for m in heavy}, "pypdf_after_parse": True}


# ---- the scrapers Cloud Function ----------------------------------------------------------------------------

# Each scraper of the default workflows with the parameters the master controller gives it (per game, per
# team, per day; see shared/config/workflows.yaml). Gamebook: the synthetic valid PDF (the recorded ones
# are damaged); the Odds API props/lines are released by oddsa_events, not published here.
WORKFLOW_REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("morning_operations", "nbac_schedule_api", {"season": "2024-25"}),
    ("morning_operations", "nbac_player_list", {"season": "2025-26"}),
    ("morning_operations", "br_season_roster", {"teamAbbr": "BOS", "year": "2025", "season": "2024-25"}),
    ("morning_operations", "bdl_standings", {"season": "2024"}),
    ("morning_operations", "bdl_active_players", {}),
    ("betting_lines", "oddsa_events", {"date": "2024-01-24"}),
    ("post_game_window_3", "bdl_box_scores", {"date": "2024-01-15"}),
    ("post_game_window_3", "nbac_team_boxscore", CLI_PARAMS["nbac_team_boxscore"]),
    ("post_game_window_3", "nbac_player_boxscore", CLI_PARAMS["nbac_player_boxscore"]),
    ("post_game_window_3", "nbac_cdn_boxscore", CLI_PARAMS["nbac_cdn_boxscore"]),
    ("post_game_window_3", "bigdataball_pbp", CLI_PARAMS["bigdataball_pbp"]),
    ("post_game_window_3", "nbac_play_by_play", {"game_id": "0022400561", "date": "2025-01-15"}),
    ("post_game_window_3", "nbac_gamebook_pdf", {"game_code": "20240411/MEMCLE", "date": "2024-04-11"}),
    ("injury_discovery", "nbac_injury_report", {"date": "2024-01-04", "hour": "12", "period": "PM"}),
    ("referee_discovery", "nbac_referee_assignments", {"date": "2025-01-08"}),
]


@pytest.mark.emulators
def test_every_default_workflow_scraper_runs_through_the_scrapers_function(srt, rp, tmp_path):
    cfg = get_config()
    named = {s for wf in cfg.workflows.values() for s in wf.scrapers}
    released = {"oddsa_player_props", "oddsa_game_lines"}  # follow-ups of oddsa_events
    assert {name for _, name, _ in WORKFLOW_REQUESTS} | released == named
    odds = "api.the-odds-api.com"
    for event in ("f137689983933840bf2f2a91278eb03b", "071ee3e84d6e3ecce12d8c5e4ab4da0b"):
        rp.add(odds, f"/v4/sports/basketball_nba/events/{event}/odds", status=204)  # no odds yet
    env = function_env(
        srt,
        BALLDONTLIE_API_KEY=BDL_KEY,
        ODDS_API_KEY=ODDS_KEY,
        NBA_ORCH_DRIVE_TOKEN=DRIVE_TOKEN,
        NBA_ORCH_HTTP_BACKOFF_SCALE="0.001",
    )
    expected = len(WORKFLOW_REQUESTS) + 6  # + the props and lines of the 3 games of 2024-01-24
    with FunctionProcess("scrapers", env=env, log_path=tmp_path / "scrapers.log") as fn:
        wire(srt, fn, "scraper_requests", min_backoff=1, max_backoff=2)
        for workflow, name, params in WORKFLOW_REQUESTS:
            req = request(name, params, workflow=workflow)
            publish(srt, "scraper_requests", json.dumps(req.to_json()).encode(), req.attributes())
        deadline = time.monotonic() + 90
        found: list[dict] = []
        while time.monotonic() < deadline and len(found) < expected:
            found = rows(srt)
            time.sleep(0.5)
    assert len(found) == expected, sorted(r["scraper_name"] for r in found)
    assert {r["scraper_name"] for r in found} == named
    bad = [(r["scraper_name"], r["error_type"], r["error_message"]) for r in found if r["status"] != "success"]
    assert bad == []
    by_name = {r["scraper_name"]: r for r in found}
    assert by_name["nbac_injury_report"]["data_summary"]["record_count"] == 14
    assert by_name["nbac_referee_assignments"]["data_summary"]["game_count"] == 8
    assert by_name["bigdataball_pbp"]["gcs_path"].endswith("[2025-06-22]-0042400407-IND@OKC.csv")
    assert by_name["nbac_gamebook_pdf"]["workflow"] == "post_game_window_3"
