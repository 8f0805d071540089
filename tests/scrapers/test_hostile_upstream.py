"""Hostile upstreams (issue 17, second part): every case of tests/hostile_upstream.py ends as one defined
outcome, with the key nowhere in what the run leaves behind, through three real entry points:
- in-process `service.run_local` (the fastest check of each mapping, no emulators);
- the `scrapers` Cloud Function under functions-framework, fed by a push subscription from the Pub/Sub
  emulator, writing to the GCS and BigQuery emulators: one `failed` row with the expected error_type, one
  completion, one delivery for the permanent cases (the server counts the fetches);
- `nba-orch scrape NAME --param ... --out DIR` as a subprocess: one JSON outcome, no traceback.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest

from shared.adapters import gcs
from shared.adapters.pubsub import publish
from shared.scrapers import http, service
from tests.functions_harness import FunctionProcess, LogTail, function_env, wait_for, wire
from tests.hostile_upstream import CASES, MAX_BODY, HostileServer, date_of
from tests.scrapers.conftest import completions, request, rows

ROOT = Path(__file__).resolve().parents[2]
# Characters a URL encodes: the key shows up in different forms in what a hostile server echoes.
KEY = "odds+key/7f3a=9c21"
BP_KEY = "bp-hostile-key-31c0"
FORMS = {KEY, quote(KEY, safe=""), quote_plus(KEY), BP_KEY}
# Fetches a case costs once (a redirect followed is two; the 500 is retried by Pub/Sub, see below).
HOPS = {"redirect_loop": 2, "redirect_same_host": 2}
AS_OF = "2031-03-05T04:00:00Z"
BP_CASE = ("bp_player_props", {"date": "2031-03-01", "market": "points", "event_id": "12345"}, "pagination_error")


def _env(server: HostileServer) -> dict[str, str]:
    return {
        "ODDS_API_KEY": KEY,
        "BETTINGPROS_API_KEY": BP_KEY,
        "NBA_ORCH_UPSTREAM_OVERRIDE": server.url,
        "NBA_ORCH_HTTP_ATTEMPTS": "1",
        "NBA_ORCH_HTTP_TIMEOUT": "5",
        "NBA_ORCH_HTTP_BACKOFF_SCALE": "0.001",
        "NBA_ORCH_HTTP_MAX_BODY_BYTES": str(MAX_BODY),
    }


def _keyless(text: str, where: str) -> None:
    found = [f for f in FORMS if f in text]
    assert not found, f"the key ({found}) appears in {where}"


@pytest.fixture
def hostile(monkeypatch):
    with HostileServer() as server:
        for k, v in _env(server).items():
            monkeypatch.setenv(k, v)
        http.reset()
        yield server
    http.reset()


@pytest.mark.parametrize("case", list(CASES))
def test_each_case_in_process_is_its_defined_outcome(hostile, case, tmp_path, capsys):
    status, error_type, _ = CASES[case]
    outcome = service.run_local(request("oddsa_events", {"date": date_of(case)}, scope=case), tmp_path)
    assert (outcome.status, outcome.error_type) == (status, error_type), outcome.error_message
    assert hostile.hits[case] == HOPS.get(case, 1)  # NBA_ORCH_HTTP_ATTEMPTS=1: no second fetch
    text = json.dumps(outcome.to_json()) + "".join(capsys.readouterr())
    text += "".join(p.read_text(errors="replace") for p in tmp_path.rglob("*") if p.is_file())
    _keyless(text, f"the outcome or files of {case}")
    if case in ("quota_overflow", "quota_nan"):  # ignored, not a failure; the finite one is kept
        assert "requests_remaining" not in outcome.summary.get("quota", {})
    if error_type == "parse_error":  # the answer is kept for a fixed parser
        assert outcome.quarantine_path and Path(outcome.quarantine_path).is_file()


def test_total_pages_overflow_is_a_pagination_error_after_one_page(hostile, tmp_path):
    name, params, error_type = BP_CASE
    outcome = service.run_local(request(name, params, scope="bp"), tmp_path)
    assert (outcome.status, outcome.error_type) == ("failed", error_type)
    assert hostile.hits["total_pages_overflow"] == 1


def test_redirects_never_take_the_key_elsewhere(hostile, tmp_path):
    for case in ("redirect_ftp", "redirect_other_host", "redirect_bad_port"):
        service.run_local(request("oddsa_events", {"date": date_of(case)}, scope=case), tmp_path)
    # Only the first request of each reached the server; the refused Location was never fetched.
    assert [hostile.hits[c] for c in ("redirect_ftp", "redirect_other_host", "redirect_bad_port")] == [1, 1, 1]
    service.run_local(request("oddsa_events", {"date": date_of("redirect_same_host")}, scope="same"), tmp_path)
    moved = [p for p in hostile.paths if "/moved" in p]
    assert len(moved) == 1 and f"apiKey={quote_plus(KEY)}" in moved[0]  # re-added by us on the same host


@pytest.mark.emulators
def test_through_the_function_one_outcome_each_and_no_key_anywhere(srt, tmp_path):
    log_path = tmp_path / "scrapers.log"
    with HostileServer() as server:
        env = function_env(srt, **_env(server))
        reqs = {case: request("oddsa_events", {"date": date_of(case)}, scope=f"fn-{case}") for case in CASES}
        reqs["total_pages_overflow"] = request(BP_CASE[0], BP_CASE[1], scope="fn-bp")
        with FunctionProcess("scrapers", env=env, log_path=log_path) as fn:
            wire(srt, fn, "scraper_requests", min_backoff=1, max_backoff=2)
            for req in reqs.values():
                publish(srt, "scraper_requests", json.dumps(req.to_json()).encode(), req.attributes())
            found = wait_for(lambda: (r := rows(srt)) and len(r) >= len(reqs) and r, timeout=120, what="rows")
            hits = dict(server.hits)
            time.sleep(3.0)  # three retry backoffs: a redelivery would show up as a fetch or a row
            assert dict(server.hits) == hits and len(rows(srt)) == len(reqs)
    by_request = {r["request_id"]: r for r in found}
    for case, req in reqs.items():
        row = by_request[req.request_id]
        status, error_type, permanent = CASES.get(case, ("failed", BP_CASE[2], True))
        assert (row["status"], row["error_type"]) == (status, error_type), (case, row["error_message"])
        if permanent:
            assert hits[case] == HOPS.get(case, 1), case  # one delivery, no refetch
    # The 500: NBA_ORCH_HTTP_ATTEMPTS=1 per delivery, redelivered until the claim counts the 5th, recorded then.
    assert hits["echo_500"] == 5
    notes = completions(srt, expect=len(reqs))
    assert sorted(n["body"]["execution_id"] for n in notes) == sorted(r["execution_id"] for r in found)

    log_text = log_path.read_text(errors="replace")
    _keyless(log_text, "the function's stdout/stderr")
    assert "requests.exceptions" not in log_text and "urllib3.exceptions" not in log_text  # never a raw one
    # The only tracebacks are the four redeliveries of the 500, re-raised scrubbed by the edge.
    assert log_text.count("Traceback") == log_text.count("TransientFailure: http_500") == 4
    _keyless(json.dumps(found, default=str), "the rows")
    _keyless(json.dumps(notes), "the completions")
    for name, _, meta in gcs.list_objects(srt, ""):
        _keyless(name + json.dumps(meta or {}) + gcs.read_object(srt, name).decode(errors="replace"), name)
    lines = LogTail(log_path).read()
    assert sum("acknowledged" in line.get("message", "") for line in lines) == 0  # valid requests, failed runs


def test_through_the_cli_one_json_outcome_each_no_traceback(tmp_path):
    env = {k: v for k, v in os.environ.items() if "EMULATOR" not in k and not k.startswith(("GOOGLE", "CLOUDSDK"))}
    entry = "import sys; from tooling.cli import main; sys.exit(main(sys.argv[1:]))"  # what `nba-orch` runs
    with HostileServer() as server:
        env.update(_env(server))
        cases = [(c, "oddsa_events", {"date": date_of(c)}, CASES[c][:2]) for c in CASES]
        cases.append(("total_pages_overflow", BP_CASE[0], BP_CASE[1], ("failed", BP_CASE[2])))
        for case, name, params, expected in cases:
            out_dir = tmp_path / case
            cmd = [
                sys.executable,
                "-c",
                entry,
                "scrape",
                name,
                "--out",
                str(out_dir),
                "--as-of",
                "2031-03-05T04:00:00Z",
            ]
            for k, v in params.items():
                cmd += ["--param", f"{k}={v}"]
            done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
            outcome = json.loads(done.stdout)  # one JSON document, nothing else on stdout
            assert (outcome["status"], outcome["error_type"]) == expected, (case, outcome["error_message"])
            assert done.returncode == (1 if expected[0] == "failed" else 0), case
            assert "Traceback" not in done.stdout + done.stderr, (case, done.stderr)
            files = "".join(p.read_text(errors="replace") for p in out_dir.rglob("*") if p.is_file())
            _keyless(done.stdout + done.stderr + files, f"the CLI's output for {case}")
        assert server.hits["echo_500"] == 1  # the CLI is the last attempt: recorded, not retried
