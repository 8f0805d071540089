"""Never lose an answer, and see schema drift (issue 15), through the real pipeline: the replay server serves
the real Odds API events recording truncated or altered, and the runs go through the emulators.

- A 200 answer the parser rejects is kept under `_nba-orch/quarantine/`, byte for byte, with the request's
  metadata (no secret); exactly one failed row and the completion point to it; a redelivery writes nothing
  twice; `nba-orch scrape --reparse` re-runs the parser on it and, once the parser is fixed, `--write`
  recovers the data the normal way. `run_local` keeps the answer in its folder the same way.
- Each run's summary has its answer's shape fingerprint; a changed shape (a key renamed, a type changed) is a
  `schema_drift` warning in the row, the completion and the log, and the same shape with other values and
  list lengths is not.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from shared.adapters import gcs
from shared.bucket_layout import prefix
from shared.parsers import odds_api as odds_parser
from shared.scrapers import service
from tests.replay import ODDS_QUOTA_HEADERS, Reply, historical_data
from tests.scrapers.conftest import AS_OF, ODDS_KEY, completions, data_objects, request, rows, run_records
from tests.scrapers.test_faults import Crash, crash_once
from tests.scrapers.test_hooks_and_cli import emitted

HOST, PATH = "api.the-odds-api.com", "/v4/sports/basketball_nba/events"
RECORDING = "odds_api/historical_events_2024-01-25T035540Z.json"
EVENTS_FILE = "odds-api/events/2024-01-24/{stamp}.json"
QUARANTINE = prefix("quarantine")


def serve(replay, upstream_dir, edit=None, truncate=None) -> bytes:
    """Route the live events endpoint to the recording (its live form), edited and/or truncated; returns the
    exact bytes the replay server answers."""

    def live(raw: bytes) -> bytes:
        body = historical_data(raw)
        return edit(body) if edit else body

    reply = Reply(file=upstream_dir / RECORDING, transform=live, headers=ODDS_QUOTA_HEADERS, truncate=truncate)
    replay.add(HOST, PATH, replies=[reply], require_query={"apiKey": None})
    data, _ = reply.payload()
    return data[:truncate] if truncate is not None else data


def events_request(minutes: int = 0):
    """One run of the events scraper, `minutes` after AS_OF (its own request id, its own file name)."""
    as_of = AS_OF + timedelta(minutes=minutes)
    return request("oddsa_events", {"date": "2024-01-24"}, scope=f"t{minutes}", as_of=as_of)


def rename(old: str, new: str):
    return lambda body: body.replace(f'"{old}"'.encode(), f'"{new}"'.encode())


def quarantined(rt) -> list[str]:
    return sorted(n for n, _, _ in gcs.list_objects(rt, QUARANTINE))


def fix_the_parser(monkeypatch) -> None:
    """Stand-in for deploying a fixed parser: the events parser now reads the renamed key too."""
    real = odds_parser.parse_events

    def fixed(payload, **params):
        return real(payload.replace(b'"commenceTime"', b'"commence_time"'), **params)

    monkeypatch.setattr(odds_parser, "parse_events", fixed)


def log_lines(capsys) -> list[dict]:
    out = []
    for line in capsys.readouterr().out.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


# ---- quarantine ------------------------------------------------------------------------------------------


@pytest.mark.emulators
def test_a_rejected_answer_is_kept_and_the_failed_row_points_to_it(srt, replay, upstream_dir):
    served = serve(replay, upstream_dir, truncate=700)
    req = events_request()
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type) == ("failed", "parse_error")
    name = f"{QUARANTINE}oddsa_events/2024-01-24/{outcome.execution_id}.json"  # ET date of as_of
    uri = f"gs://{srt.bucket}/{name}"
    assert outcome.quarantine_path == uri and quarantined(srt) == [name]
    assert gcs.read_object(srt, name) == served  # byte for byte what upstream answered
    assert data_objects(srt) == []  # nothing at the catalogue path: the run failed
    (row,) = rows(srt)
    assert (row["status"], row["error_type"], row["quarantine_path"], row["gcs_path"]) == (
        "failed",
        "parse_error",
        uri,
        None,
    )
    assert "shape" not in row["data_summary"]  # a truncated answer has no shape
    (note,) = completions(srt)
    assert note["body"]["metadata"]["quarantine_path"] == uri and note["body"]["gcs_path"] is None
    blob = gcs.bucket(srt).get_blob(name)
    meta = blob.metadata
    assert (meta["request_id"], meta["scraper_name"], meta["execution_id"]) == (
        req.request_id,
        "oddsa_events",
        outcome.execution_id,
    )
    assert json.loads(meta["params"]) == {"date": "2024-01-24"} and meta["as_of"] == "2024-01-25T04:00:00Z"
    assert meta["content_type"] == blob.content_type == "application/json" and meta["error_type"] == "parse_error"
    assert meta["url"].startswith(f"https://{HOST}{PATH}?commenceTimeFrom=")
    assert replay.seen[-1].query["apiKey"] == ODDS_KEY  # the key was sent, and is in nothing stored:
    assert ODDS_KEY not in json.dumps(meta) and "apiKey" not in meta["url"]


@pytest.mark.emulators
def test_a_redelivery_writes_no_second_object(srt, replay, upstream_dir, monkeypatch):
    served = serve(replay, upstream_dir, truncate=700)
    req = events_request()
    crash_once(monkeypatch, service.pubsub, "publish")  # crash after the quarantine write, before the completion
    with pytest.raises(Crash):
        service.execute(srt, req)
    (name,) = quarantined(srt)
    outcome = service.execute(srt, req)  # the redelivery re-parses the kept bytes: no refetch
    assert (outcome.status, outcome.error_type) == ("failed", "parse_error")
    assert replay.hits(HOST, PATH) == 1 and quarantined(srt) == [name] and gcs.read_object(srt, name) == served
    assert service.execute(srt, req).duplicate  # a redelivery of the finished request: nothing at all
    (row,) = rows(srt)
    assert row["quarantine_path"] == f"gs://{srt.bucket}/{name}"
    assert len(completions(srt, expect=2, timeout=0.7)) == 1


@pytest.mark.emulators
def test_an_answer_whose_name_another_request_took_is_kept_too(srt, replay, upstream_dir):
    first = serve(replay, upstream_dir)
    assert service.execute(srt, request("oddsa_events", {"date": "2024-01-24"}, scope="other")).status == "success"
    second = serve(replay, upstream_dir, edit=drop_some_and_change_values)
    outcome = service.execute(srt, events_request())  # same logical time, hence the same file name
    assert (outcome.status, outcome.error_type) == ("failed", "path_conflict")
    target = EVENTS_FILE.format(stamp="20240125_040000")
    assert gcs.read_object(srt, target) == first  # never overwritten...
    (name,) = quarantined(srt)
    assert outcome.quarantine_path == f"gs://{srt.bucket}/{name}" and gcs.read_object(srt, name) == second  # ...kept


@pytest.mark.emulators
def test_reparse_recovers_the_answer_once_the_parser_is_fixed(srt, replay, upstream_dir, monkeypatch, capsys):
    from tooling.cli import main

    served = serve(replay, upstream_dir, edit=rename("commence_time", "commenceTime"))
    outcome = service.execute(srt, events_request())
    assert (outcome.status, outcome.error_type) == ("failed", "parse_error")
    assert "commence_time" in outcome.error_message
    uri = outcome.quarantine_path
    for k, v in srt.env().items():
        monkeypatch.setenv(k, v)
    capsys.readouterr()
    assert main(["scrape", "--reparse", uri]) == 1  # the same parser: still rejected, nothing written
    report = emitted(capsys.readouterr().out)
    assert (report["status"], report["error_type"], report["reparsed"]) == ("failed", "parse_error", uri)

    fix_the_parser(monkeypatch)
    assert main(["scrape", "--reparse", uri]) == 0  # prints what the fixed parser makes of it...
    report = emitted(capsys.readouterr().out)
    assert (report["status"], report["record_count"], report["original_execution_id"]) == (
        "success",
        10,
        outcome.execution_id,
    )
    assert report["outputs"][0]["name"] == EVENTS_FILE.format(stamp="20240125_040000") and "written" not in report
    assert data_objects(srt) == [] and len(rows(srt)) == 1  # ...and writes nothing without --write

    assert main(["scrape", "--reparse", uri.removeprefix(f"gs://{srt.bucket}/"), "--write"]) == 0
    written = emitted(capsys.readouterr().out)["written"]
    target = EVENTS_FILE.format(stamp="20240125_040000")  # where the original run's file would have been
    assert (written["status"], written["record_count"], written["object_name"]) == ("success", 10, target)
    assert gcs.read_object(srt, target) == served and len(written["follow_ups"]) == 6
    new = [r for r in rows(srt) if r["status"] == "success"]
    assert len(new) == 1 and new[0]["opts"]["reparsed_from"] == uri and new[0]["triggered_by"] == "reparse"
    assert main(["scrape", "--reparse", uri, "--write"]) == 0  # again: a duplicate, nothing more
    assert emitted(capsys.readouterr().out)["written"]["duplicate"] is True
    assert len(rows(srt)) == 2 and data_objects(srt) == [target] and replay.hits(HOST, PATH) == 1


def test_run_local_keeps_the_rejected_answer_in_its_folder(replay, upstream_dir, tmp_path, monkeypatch, capsys):
    from tooling.cli import main

    served = serve(replay, upstream_dir, edit=rename("commence_time", "commenceTime"))
    out = service.run_local(events_request(), tmp_path / "run")
    assert (out.status, out.error_type) == ("failed", "parse_error")
    kept = Path(out.quarantine_path)
    assert kept.is_relative_to(tmp_path / "run" / QUARANTINE) and kept.read_bytes() == served
    meta = json.loads(Path(f"{kept}.meta.json").read_text())
    assert meta["scraper_name"] == "oddsa_events" and ODDS_KEY not in json.dumps(meta)

    fix_the_parser(monkeypatch)
    capsys.readouterr()
    assert main(["scrape", "--reparse", str(kept), "--write", "--out", str(tmp_path / "fixed")]) == 0
    written = emitted(capsys.readouterr().out)["written"]
    assert written["status"] == "success" and Path(written["file"]).read_bytes() == served
    assert Path(written["file"]) == tmp_path / "fixed" / EVENTS_FILE.format(stamp="20240125_040000")


# ---- schema drift ----------------------------------------------------------------------------------------


def drop_some_and_change_values(body: bytes) -> bytes:
    events = json.loads(body)[:4]
    for e in events:
        e["id"] = e["id"][::-1]
        e["sport_title"] = "Basketball"
    return json.dumps(events).encode()


def retype_sport_key(body: bytes) -> bytes:
    events = json.loads(body)
    for e in events:
        e["sport_key"] = 7
    return json.dumps(events).encode()


@pytest.mark.emulators
def test_a_changed_shape_is_a_warning_and_the_same_shape_is_not(srt, replay, upstream_dir, capsys):
    serve(replay, upstream_dir)
    first = service.execute(srt, events_request(0))
    assert first.status == "success" and first.warnings == [] and "schema_drift" not in first.summary

    serve(replay, upstream_dir, edit=drop_some_and_change_values)  # same shape: other values, 4 events of 10
    same = service.execute(srt, events_request(10))
    assert same.status == "success" and same.record_count == 4 and same.warnings == []
    assert same.summary["shape"]["fingerprint"] == first.summary["shape"]["fingerprint"]

    serve(replay, upstream_dir, edit=rename("sport_title", "sportTitle"))  # a key renamed: still parses
    renamed = service.execute(srt, events_request(20))
    assert renamed.status == "success" and renamed.warnings == ["schema_drift"]
    drift = renamed.summary["schema_drift"]
    assert drift["added"] == ["$[].sportTitle"] and drift["removed"] == ["$[].sport_title"]
    assert drift["baseline"] == first.summary["shape"]["fingerprint"]

    serve(replay, upstream_dir, edit=retype_sport_key)  # a type changed
    retyped = service.execute(srt, events_request(30))
    assert retyped.warnings == ["schema_drift"]
    assert retyped.summary["schema_drift"]["changed"] == ["$[].sport_key: string -> number"]

    by_time = {r["triggered_at"]: r for r in rows(srt)}
    assert [by_time[t]["warnings"] for t in sorted(by_time)] == [[], [], ["schema_drift"], ["schema_drift"]]
    assert by_time[max(by_time)]["data_summary"]["schema_drift"]["changed"] == ["$[].sport_key: string -> number"]
    notes = {n["body"]["execution_id"]: n["body"]["metadata"] for n in completions(srt, expect=4)}
    assert notes[renamed.execution_id]["warnings"] == ["schema_drift"] and "warnings" not in notes[same.execution_id]
    warned = [e for e in log_lines(capsys) if e.get("warning") == "schema_drift"]
    assert [(e["severity"], e["execution_id"]) for e in warned] == [
        ("WARNING", renamed.execution_id),
        ("WARNING", retyped.execution_id),
    ]
    assert warned[0]["added"] == ["$[].sportTitle"]
    # The run ledger (what the controller and the schema-drift SLA read) says only that a run drifted.
    drifted = {r["execution_id"]: r["data_summary"].get("schema_drift") for r in run_records(srt)}
    assert drifted[renamed.execution_id] is True and drifted[same.execution_id] is None


@pytest.mark.emulators
def test_a_rejected_shape_warns_every_time_and_a_redelivery_warns_again(srt, replay, upstream_dir, monkeypatch):
    serve(replay, upstream_dir)
    assert service.execute(srt, events_request(0)).warnings == []
    serve(replay, upstream_dir, edit=rename("commence_time", "commenceTime"))
    for minutes in (10, 20):  # a rejected answer never becomes the baseline: each run warns
        broken = service.execute(srt, events_request(minutes))
        assert (broken.status, broken.error_type, broken.warnings) == ("failed", "parse_error", ["schema_drift"])
        assert broken.summary["schema_drift"]["added"] == ["$[].commenceTime"] and broken.quarantine_path

    # A full answer of a new shape extends the baseline; its redelivery (after a crash) reports the same drift.
    serve(replay, upstream_dir, edit=rename("sport_title", "sportTitle"))
    req = events_request(30)
    crash_once(monkeypatch, service.pubsub, "publish")
    with pytest.raises(Crash):
        service.execute(srt, req)
    again = service.execute(srt, req)
    assert again.status == "success" and again.warnings == ["schema_drift"]
    assert again.summary["schema_drift"]["added"] == ["$[].sportTitle"]
    assert service.execute(srt, events_request(40)).warnings == []  # the new shape is the baseline now
