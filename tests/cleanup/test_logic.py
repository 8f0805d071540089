"""shared.cleanup.reconcile, the pure decisions: the window, ids, classification, what is missing and what is
republished. No emulators: inputs are plain values (in-memory listing and ledger)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from shared.cleanup.reconcile import (
    REASON_NOT_NOTIFIED,
    REASON_NOT_PROCESSED,
    Candidate,
    CleanupSettings,
    Ledger,
    MissingFile,
    Report,
    Window,
    classify,
    cleanup_id_for,
    completion_for,
    compute_window,
    decide,
    normalise_path,
    recovery_execution_id,
)
from shared.config import get_config
from shared.contracts import PubSubMessage, decode_completion
from shared.paths.listing import PathCatalogue

NOW = datetime(2025, 1, 15, 18, 0, tzinfo=UTC)
S = CleanupSettings(lookback=timedelta(minutes=60), min_file_age=timedelta(minutes=30), cooldown=timedelta(minutes=60))
M = timedelta(minutes=1)


# ---- settings and window -------------------------------------------------------------------------------


def test_settings_come_from_settings_yaml_with_defaults_for_the_optional_keys():
    s = CleanupSettings.from_config(get_config().cleanup)
    assert (s.lookback, s.min_file_age, s.cooldown) == (60 * M, 30 * M, 60 * M)
    assert s.warn_missing_threshold == 5 and s.processed_files_query == ""
    assert s.max_catchup == timedelta(days=7) and s.date_margin_days == 1


def test_first_run_looks_back_the_lookback_and_stops_at_the_minimum_age():
    w = compute_window(NOW, S, None)
    assert (w.start, w.end, w.basis) == (NOW - 60 * M, NOW - 30 * M, "lookback")


def test_in_normal_operation_the_window_is_the_lookback_overlapping_the_last_run():
    w = compute_window(NOW, S, last_success_end=NOW - 45 * M)
    assert (w.start, w.end, w.basis) == (NOW - 60 * M, NOW - 30 * M, "lookback")


def test_after_a_six_hour_downtime_the_window_starts_where_the_last_success_ended():
    last = NOW - timedelta(hours=6, minutes=30)
    w = compute_window(NOW, S, last_success_end=last)
    assert (w.start, w.end, w.basis) == (last, NOW - 30 * M, "last_success")
    # The formula read literally, max(last success, now - lookback), would have skipped 5.5 hours:
    assert max(last, NOW - S.lookback) > last + timedelta(hours=5)


def test_catch_up_is_bounded_by_max_catchup():
    w = compute_window(NOW, S, last_success_end=NOW - timedelta(days=30))
    assert (w.start, w.basis) == (NOW - timedelta(days=7), "max_catchup")


def test_since_overrides_the_start_and_an_inverted_window_becomes_empty():
    w = compute_window(NOW, S, NOW - 45 * M, since=NOW - timedelta(days=2))
    assert (w.start, w.basis) == (NOW - timedelta(days=2), "since")
    w = compute_window(NOW, S, None, since=NOW - 5 * M)
    assert w.start == w.end == NOW - 30 * M


def test_run_and_recovery_ids_are_deterministic():
    assert cleanup_id_for(NOW, False) == cleanup_id_for(NOW, False)
    assert cleanup_id_for(NOW, False) != cleanup_id_for(NOW, True)
    assert cleanup_id_for(NOW, False) != cleanup_id_for(NOW + timedelta(seconds=1), False)
    a = recovery_execution_id("c1", "x/a.json")
    assert a == recovery_execution_id("c1", "x/a.json") and a.isalnum() and len(a) == 32
    assert a != recovery_execution_id("c1", "x/b.json") and a != recovery_execution_id("c2", "x/a.json")


def test_ledger_paths_are_normalised_to_object_names():
    assert normalise_path("gs://bkt/a/b.json", "bkt") == "a/b.json"
    assert normalise_path("a/b.json", "bkt") == "a/b.json"
    assert normalise_path("/a/b.json", "bkt") == "a/b.json"
    assert normalise_path("gs://other/a/b.json", "bkt") == "gs://other/a/b.json"


# ---- stage 1: classify ---------------------------------------------------------------------------------

CAT = PathCatalogue.from_config(get_config())
BOX = "ball-dont-lie/boxscores/2025-01-15/20250115_{}.json"
PDF = "nba-com/injury-report-pdf/2025-01-15/17/20250115_220000.pdf"
PDF_DATA = "nba-com/injury-report-data/2025-01-15/17/20250115_220000.json"
WINDOW = Window(start=NOW - 60 * M, end=NOW - 30 * M, basis="lookback")


def meta(scraper: str, execution_id: str = "e1", triggered_at: str = "2025-01-15T17:10:00Z") -> dict[str, str]:
    return {
        "scraper_name": scraper,
        "execution_id": execution_id,
        "triggered_at": triggered_at,
        "workflow": "post_game_window_1",
        "request_id": "r1",
    }


def _at(t) -> dict[str, str]:
    return {"triggered_at": t.isoformat().replace("+00:00", "Z")}


def test_classify_sorts_objects_into_checked_too_young_outside_foreign_and_companions():
    objs = [
        (BOX.format("171000"), NOW - 50 * M, meta("bdl_box_scores") | _at(NOW - 50 * M)),
        (BOX.format("174000"), NOW - 20 * M, meta("bdl_box_scores") | _at(NOW - 20 * M)),  # younger than min age
        (BOX.format("165000"), NOW - 70 * M, meta("bdl_box_scores") | _at(NOW - 70 * M)),  # before the window
        ("ball-dont-lie/boxscores/2025-01-15/notes.txt", NOW - 50 * M, {}),  # foreign
        (PDF, NOW - 40 * M, meta("nbac_injury_report") | _at(NOW - 40 * M)),
        (PDF_DATA, NOW - 40 * M, meta("nbac_injury_report") | _at(NOW - 40 * M)),  # companion of the PDF
    ]
    templates = CAT.templates
    cands, counts, companions = classify(objs, templates, CAT, WINDOW)
    assert [c.name for c in cands] == [BOX.format("171000"), PDF]
    assert (counts.listed, counts.checked, counts.too_young, counts.outside_window) == (6, 2, 1, 1)
    assert (counts.foreign, counts.companions) == (1, 1)
    assert counts.foreign_samples == ["ball-dont-lie/boxscores/2025-01-15/notes.txt"]
    assert companions == [PDF_DATA]
    box = cands[0]
    assert (box.scraper, box.execution_id, box.workflow, box.request_id) == (
        "bdl_box_scores",
        "e1",
        "post_game_window_1",
        "r1",
    )
    assert cands[1].siblings == (PDF_DATA,)


def test_classify_uses_the_runs_logical_time_not_the_storage_time():
    """A replayed or simulated day: files are stored now (wall clock) but belong to their run's `as_of`."""
    stored_now = NOW + 700 * 24 * 60 * M  # written two years after the logical time
    objs = [
        (BOX.format("171000"), stored_now, meta("bdl_box_scores") | _at(NOW - 50 * M)),  # in the window
        (BOX.format("174000"), stored_now, meta("bdl_box_scores") | _at(NOW - 20 * M)),  # too young
        ("ball-dont-lie/boxscores/2025-01-15/20250115_171500.json", NOW - 45 * M, {}),  # no metadata: stored time
    ]
    cands, counts, _ = classify(objs, CAT.templates, CAT, WINDOW)
    assert [c.name for c in cands] == [BOX.format("171000"), "ball-dont-lie/boxscores/2025-01-15/20250115_171500.json"]
    assert counts.too_young == 1


def test_the_window_is_half_open():
    objs = [(BOX.format("170000"), WINDOW.start, {}), (BOX.format("173000"), WINDOW.end, {})]
    cands, counts, _ = classify(objs, CAT.templates, CAT, WINDOW)
    assert [c.name for c in cands] == [BOX.format("170000")] and counts.too_young == 1


def test_a_file_matching_only_another_prefixs_templates_is_foreign():
    objs = [(BOX.format("171000"), NOW - 50 * M, {})]
    odds = tuple(t for t in CAT.templates if t.scraper == "oddsa_events")
    cands, counts, _ = classify(objs, odds, CAT, WINDOW)
    assert cands == [] and counts.foreign == 1


# ---- stage 2: decide -----------------------------------------------------------------------------------


def cand(name: str, minutes_old: int = 45, siblings: tuple[str, ...] = ()) -> Candidate:
    return Candidate(
        name, NOW - minutes_old * M, "bdl_box_scores", siblings, "e-orig", "2025-01-15T17:10:00Z", "w", "r"
    )


def test_a_file_without_a_recorded_notification_is_missing_and_republished():
    (m,) = decide([cand("a"), cand("b")], Ledger(frozenset({"b"}), {}), NOW, S, dry_run=False)
    assert (m.name, m.reason, m.republish, m.skip_reason) == ("a", REASON_NOT_NOTIFIED, True, None)
    assert m.age_minutes == 45 and m.original_execution_id == "e-orig"
    assert m.original_triggered_at == datetime(2025, 1, 15, 17, 10, tzinfo=UTC)


def test_a_notification_of_the_companion_covers_the_file():
    assert decide([cand("a.pdf", siblings=("a.json",))], Ledger(frozenset({"a.json"}), {}), NOW, S, dry_run=False) == []


def test_with_the_processed_files_check_a_notified_but_unprocessed_file_is_missing():
    ledger = Ledger(frozenset({"a", "b"}), {}, processed=frozenset({"a"}))
    got = {x.name: x.reason for x in decide([cand("a"), cand("b"), cand("c")], ledger, NOW, S, dry_run=False)}
    assert got == {"b": REASON_NOT_PROCESSED, "c": REASON_NOT_NOTIFIED}


def test_a_file_republished_within_the_cooldown_is_not_republished_again():
    ledger = Ledger(frozenset({"a", "b"}), {"a": NOW - 59 * M, "b": NOW - 60 * M}, processed=frozenset())
    got = {m.name: (m.republish, m.skip_reason) for m in decide([cand("a"), cand("b")], ledger, NOW, S, dry_run=False)}
    assert got == {"a": (False, "cooldown"), "b": (True, None)}


def test_a_dry_run_republishes_nothing():
    (m,) = decide([cand("a")], Ledger(frozenset(), {}), NOW, S, dry_run=True)
    assert (m.republish, m.skip_reason) == (False, "dry_run")


def test_missing_files_come_oldest_first_and_name_their_existing_companions():
    got = decide(
        [cand("new", 35, ("new.json",)), cand("old", 55, ("old.json",))],
        Ledger(frozenset(), {}),
        NOW,
        S,
        dry_run=False,
        companions={"old.json"},
    )
    assert [(m.name, m.extra_paths) for m in got] == [("old", ("old.json",)), ("new", ())]


# ---- what is published and stored ----------------------------------------------------------------------


def test_the_republished_completion_carries_the_recovery_fields_and_decodes():
    m = MissingFile(
        name="ball-dont-lie/boxscores/2025-01-15/20250115_171000.json",
        scraper_name="bdl_box_scores",
        created=NOW - 45 * M,
        age_minutes=45,
        reason=REASON_NOT_NOTIFIED,
        republish=True,
        original_execution_id="e-orig",
        original_triggered_at=datetime(2025, 1, 15, 17, 10, tzinfo=UTC),
        workflow="post_game_window_1",
        request_id="r1",
        extra_paths=("x.json",),
        execution_id="rec123",
    )
    note = completion_for(m, "bkt", NOW, "cid")
    body = json.loads(note.data())
    assert body["recovery"] is True and body["gcs_path"] == "gs://bkt/" + m.name
    assert body["original_execution_id"] == "e-orig" and body["recovery_reason"] == REASON_NOT_NOTIFIED
    assert body["original_triggered_at"] == "2025-01-15T17:10:00Z" and body["execution_id"] == "rec123"
    assert body["metadata"]["extra_paths"] == ["gs://bkt/x.json"] and body["metadata"]["cleanup_id"] == "cid"
    assert note.attributes() == {
        "scraper_name": "bdl_box_scores",
        "status": "success",
        "execution_id": "rec123",
        "workflow": "post_game_window_1",
        "recovery": "true",
    }
    decoded = decode_completion(PubSubMessage(note.data(), note.attributes(), "1", NOW))
    assert decoded.recovery and decoded.original_execution_id == "e-orig"


def test_the_operations_row_keeps_exact_counts_but_caps_the_file_details():
    files = [MissingFile(f"f{i}", "s", NOW - 40 * M, 40.0, REASON_NOT_NOTIFIED, True) for i in range(7)]
    r = Report("cid", NOW, False, WINDOW, missing=files, errors=["boom apiKey=SECRET123"])
    row = r.ops_row("test", max_files=3)
    assert row["missing_files_found"] == 7 and len(row["missing_files"]) == 3
    assert row["errors"] == ["boom apiKey=***"]
    assert row["window_start"] == WINDOW.start and row["cleanup_time"] == NOW and row["dry_run"] is False
    assert len(r.to_json(max_files=2)["missing_files"]) == 2
