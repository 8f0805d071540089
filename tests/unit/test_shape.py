"""The answer-shape fingerprint and the drift rules (shared.scrapers.shape), pure, on the real recordings:
answers of one endpoint on different days have no drift, the 2026-27 schedule's real change is drift."""

from __future__ import annotations

import gzip
import json

import pytest

from shared.scrapers import core, shape
from shared.scrapers.base import html_envelope
from tests.conftest import recording


def of(rel: str) -> shape.Shape:
    raw = recording(rel)
    if rel.endswith(".gz"):
        raw = gzip.decompress(raw)
    ctype = "text/csv" if rel.endswith(".csv") else "application/json"
    found = shape.of_answer(raw, ctype)
    assert found is not None, rel
    return found


def test_a_shape_has_paths_and_types_not_values():
    s = shape.of_json({"data": [{"id": 1, "name": "a", "ok": True, "p": 1.5, "x": None}], "meta": {}})
    assert s.paths == {
        "$": "object",
        "$.data": "array",
        "$.data[]": "object",
        "$.data[].id": "number",
        "$.data[].name": "string",
        "$.data[].ok": "bool",
        "$.data[].p": "number",
        "$.data[].x": "null",
        "$.meta": "object",
    }
    assert s.summary() == {"kind": "json", "fingerprint": s.fingerprint, "paths": 9}
    assert len(s.fingerprint) == 16


def test_list_elements_merge_and_value_keys_collapse():
    s = shape.of_json({"byDate": {"2024-01-15": [1, "x"], "2024-01-16": []}, "f137689983933840": {"k": 1}})
    assert s.paths["$.byDate.*"] == "array" and s.paths["$.byDate.*[]"] == "number|string"
    assert s.paths["$.*.k"] == "number"  # a long hex key (an id) is a value, not a name


def test_the_stats_api_table_is_read_by_its_column_names():
    doc = json.loads(recording("nbacom_stats/scoreboardV2_2025-01-15.json"))
    s = shape.of_json(doc)
    assert s.paths["$.resultSets[].rowSet:GameHeader[].GAME_ID"] == "string"  # per table, by column name
    renamed = json.loads(json.dumps(doc).replace('"GAME_ID"', '"GAMEID"'))
    drift = shape.compare(s, shape.of_json(renamed))
    assert drift.drifted and "$.resultSets[].rowSet:GameHeader[].GAMEID" in drift.added


def test_csv_shape_is_its_header_html_and_pdf_have_none():
    s = of("bigdataball/pbp_746cfbef.csv")
    assert s.kind == "csv" and s.paths["$"] == "table" and all(v == "column" for k, v in s.paths.items() if k != "$")
    page = gzip.decompress(recording("nbacom_web/team_roster_79002ff4.html.gz"))
    assert shape.of_answer(html_envelope(page, url="https://www.nba.com/x"), "application/json") is None
    assert shape.of_answer(recording("nba_injury_report/Injury-Report_2024-01-04_12PM.pdf"), "application/pdf") is None
    assert shape.of_answer(b'{"data": [{"id": 1, "na', "application/json") is None  # truncated: no shape
    assert shape.of_answer(None, "application/json") is None


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("balldontlie/box_scores_2024-01-15.json", "balldontlie/box_scores_empty_day.json"),
        ("nbacom_stats/scoreboardV2_2024-01-15.json", "nbacom_stats/scoreboardV2_2025-01-15.json"),
        ("nbacom_stats/playerindex_2025-26.json", "nbacom_stats/playerindex_2025-26_as_of_2026-02-22.json"),
        ("espn/scoreboard_2024-01-15.json", "espn/scoreboard_2025-02-14_no_games.json"),
        (
            "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz",
            "nbacom_cdn/scheduleLeagueV2_1_2025-26_as_of_2025-07-17.json",
        ),
    ],
)
def test_real_answers_of_one_endpoint_on_other_days_do_not_drift(a, b):
    # Empty lists (a day without games), nulls (pre-season stats) and list lengths are values, not shapes.
    base = of(a)
    assert not shape.compare(base, of(b)).drifted
    assert not shape.compare(shape.merge(base, of(b)), of(a)).drifted


def test_the_real_2026_27_schedule_did_drift():
    drift = shape.compare(
        of("nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz"),
        of("nbacom_cdn/scheduleleaguev2_2026-27_pending_knockout_slice.json"),
    )
    assert drift.drifted
    assert "$.leagueSchedule.gameDates[].games[].ifNecessary: bool -> string" in drift.changed


def test_null_and_empty_are_compatible_with_anything():
    base = shape.of_json({"a": {"b": 1}, "l": [{"x": "s"}], "n": None})
    today = shape.of_json({"a": None, "l": [], "n": {"deep": [1]}})
    drift = shape.compare(base, today)
    assert not drift.drifted and drift.removed == ()  # nothing observed is missing
    dropped = shape.compare(base, shape.of_json({"a": {}, "l": [{"y": "s"}], "n": None}))
    assert dropped.added == ("$.l[].y",) and dropped.removed == ("$.l[].x",)  # a rename: one in, one out


def test_a_removed_key_alone_is_listed_but_not_drift():
    drift = shape.compare(shape.of_json({"a": 1, "b": 2}), shape.of_json({"a": 1}))
    assert drift.removed == ("$.b",) and not drift.drifted


def test_a_root_of_another_kind_is_drift():
    drift = shape.compare(shape.of_json({"a": 1}), shape.of_json([{"a": 1}]))
    assert drift.drifted and drift.changed == ("$: object -> array",)
    assert shape.compare(of("bigdataball/pbp_746cfbef.csv"), shape.of_json({})).changed == ("$: csv -> json",)


def test_the_baseline_learns_only_from_full_answers_and_is_idempotent():
    first, renamed = shape.of_json({"a": [{"x": 1}]}), shape.of_json({"a": [{"y": 1}]})
    assert shape.check(None, renamed, execution_id="e0", establishes=False) == (None, None)
    drift, base = shape.check(None, first, execution_id="e1", establishes=True)
    assert drift is None and base is not None and base.shape == first
    # a rejected (or empty) answer is compared, never learnt from: it keeps warning
    drift, new = shape.check(base, renamed, execution_id="e2", establishes=False)
    assert drift is not None and drift.drifted and new is None
    # a full answer with a new key warns once and extends the baseline...
    drift, new = shape.check(base, renamed, execution_id="e3", establishes=True)
    assert drift is not None and drift.drifted and new is not None and new.before == first
    assert set(new.shape.paths) == {"$", "$.a", "$.a[]", "$.a[].x", "$.a[].y"}
    # ...and its redelivery reports the same drift without changing the baseline again
    again, unchanged = shape.check(new, renamed, execution_id="e3", establishes=True)
    assert again == drift and unchanged is None
    assert shape.check(new, renamed, execution_id="e4", establishes=True) == (
        shape.compare(new.shape, renamed),
        None,
    )
    assert not shape.compare(new.shape, renamed).drifted
    assert shape.Baseline.from_json(json.loads(json.dumps(new.to_json()))) == new


def test_shapes_are_bounded():
    wide = {f"key_{i:04d}": {"v": i} for i in range(3000)}
    s = shape.of_json(wide)
    assert len(s.paths) == shape.MAX_PATHS and s.truncated and s.summary()["truncated"] is True
    deep: dict = {}
    node = deep
    for _ in range(50):
        node["k"] = {}
        node = node["k"]
    assert shape.of_json(deep).truncated and max(len(p.split(".")) for p in shape.of_json(deep).paths) <= 17
    assert len(shape.merge(s, shape.of_json({f"z{i}": 1 for i in range(500)})).paths) == shape.MAX_PATHS


def test_compute_records_the_fingerprint_in_the_summary_of_success_and_failure():
    from datetime import UTC, datetime

    from shared.config import get_config
    from shared.contracts import ScraperRequest
    from shared.scrapers.base import Fetched

    req = ScraperRequest.create(
        "oddsa_events", {"date": "2024-01-24"}, scope="t", as_of=datetime(2025, 1, 25, 4, tzinfo=UTC)
    )
    scraper, ctx = core.plan(get_config(), req)
    body = json.dumps(json.loads(recording("odds_api/historical_events_2024-01-25T035540Z.json"))["data"]).encode()
    ok = core.compute(scraper, ctx, Fetched(body))
    assert ok.status == "success" and ok.summary["shape"]["fingerprint"] == shape.of_answer(body, None).fingerprint
    assert ok.quarantine is None and ok.establishes
    bad = core.compute(scraper, ctx, Fetched(body.replace(b'"commence_time"', b'"commenceTime"')))
    assert (bad.status, bad.error_type) == ("failed", "parse_error")
    assert bad.summary["shape"]["fingerprint"] != ok.summary["shape"]["fingerprint"] and not bad.establishes
    assert bad.quarantine is not None and bad.quarantine.data.startswith(b'[{"id"')
    exec_id = core.execution_id(req.request_id)
    assert bad.quarantine.name == f"_nba-orch/quarantine/oddsa_events/2025-01-24/{exec_id}.json"


def test_the_quarantine_metadata_holds_the_request_and_no_secret():
    from datetime import UTC, datetime

    from shared.contracts import ScraperRequest
    from shared.scrapers.base import Fetched
    from shared.secrets import remember

    secret = "k3y-0f-the-upstream-77"
    remember(secret)
    req = ScraperRequest.create("bdl_games", {"date": "2025-02-20"}, scope="t", as_of=datetime(2025, 2, 21, tzinfo=UTC))
    fetched = Fetched(b"{", url=f"https://api.example/v1/games?key={secret}&x=1", headers={"etag": "abc"})
    failed = core.quarantined(core.failure("parse_error", f"bad answer from ...key={secret}"), req, fetched)
    meta = core.quarantine_metadata(req, fetched, failed)
    assert secret not in json.dumps(meta) and meta["url"] == "https://api.example/v1/games?key=***&x=1"
    assert core.quarantined_request(meta) == ScraperRequest(
        "bdl_games", {"date": "2025-02-20"}, req.request_id, as_of=req.as_of, workflow="MANUAL", source="MANUAL"
    )
    assert Fetched.from_stored(b"{", "application/json", meta).headers == {"etag": "abc"}
    assert failed.quarantine is not None and failed.quarantine.name.endswith(".json")
    with pytest.raises(ValueError, match="lacks"):
        core.quarantined_request({"scraper_name": "x"})
