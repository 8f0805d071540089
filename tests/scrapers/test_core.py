"""Pure parts of the scraper framework: paths, validation, results from real recordings, follow-ups, rows.

No HTTP and no emulators: answers are the real recordings' bytes handed to the pure core."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from shared.config import get_config
from shared.paths.template import derived_values, fill_path, fill_url, split_gcs_uri
from shared.scrapers import core
from shared.scrapers.base import Fetched, combine_pages
from shared.scrapers.errors import InvalidRequest
from shared.scrapers.sources.odds_api import day_window
from tests.scrapers.conftest import AS_OF, request

CFG = get_config()
EVENT = "cd0bc7d0c238f4446ce1c03d0cea7ec4"
SNAP = "2024-01-25T03:55:40Z"


def run(name: str, params: dict[str, str], body: bytes | None, **fetched_kw) -> core.Result:
    scraper, ctx = core.plan(CFG, request(name, params))
    return core.compute(scraper, ctx, Fetched(body=body, **fetched_kw))


# ---- paths -------------------------------------------------------------------------------------------------


def test_builtin_placeholders_come_from_the_logical_time_and_parameters():
    v = derived_values({}, AS_OF)  # 2024-01-25 04:00 UTC = 2024-01-24 23:00 ET
    assert (v["timestamp"], v["snap"], v["date"], v["season"]) == ("20240125_040000", "0400", "2024-01-24", "2023-24")
    v = derived_values({"game_code": "20240115/HOUPHI", "hour": "12", "period": "AM", "minute": "30"}, AS_OF)
    assert (v["game_code_dashes"], v["gamedate"], v["teams"]) == ("20240115-HOUPHI", "20240115", "HOUPHI")
    assert (v["hour24"], v["hour_token"]) == ("00", "12_30")
    assert derived_values({"hour": "5", "period": "PM"}, AS_OF)["hour24"] == "17"
    assert derived_values({"hour": "12", "period": "PM"}, AS_OF)["hour24"] == "12"
    assert derived_values({"date": "2024-01-15"}, AS_OF)["gamedate"] == "20240115"


def test_paths_of_the_system_we_replace():
    v = derived_values({"event_id": EVENT, "date": "2024-01-24", "teams": "ATLGSW"}, AS_OF)
    spec = CFG.scrapers["oddsa_player_props"]
    assert fill_path(spec.gcs_path, v) == (
        f"odds-api/player-props/2024-01-24/{EVENT}-ATLGSW/20240125_040000-snap-0400.json"
    )
    v = derived_values({"date": "2024-01-15"}, AS_OF)
    want = "ball-dont-lie/boxscores/2024-01-15/20240125_040000.json"
    assert fill_path(CFG.scrapers["bdl_box_scores"].gcs_path, v) == want


@pytest.mark.parametrize("bad", ["a/b", "..", "x..y", "a\\b", "a\x00b", "line\nbreak", "tab\there", ""])
def test_a_value_that_would_change_the_path_shape_is_rejected(bad):
    with pytest.raises(InvalidRequest) as exc:
        fill_path("x/{event_id}/y.json", {"event_id": bad})
    assert exc.value.error_type in ("unsafe_parameter", "missing_parameter")


def test_a_secret_value_never_becomes_a_path(monkeypatch):
    from shared.secrets import get_secret

    monkeypatch.setenv("ODDS_API_KEY", "supersecretvalue42")
    get_secret("ODDS_API_KEY")
    with pytest.raises(InvalidRequest, match="secret"):
        fill_path("x/{event_id}.json", {"event_id": "supersecretvalue42"})


def test_url_values_are_percent_encoded_so_they_cannot_add_parameters():
    assert fill_url("https://h/p?date={date}", {"date": "a&b=c d"}) == "https://h/p?date=a%26b%3Dc%20d"
    assert split_gcs_uri("gs://bucket/a/b.json") == ("bucket", "a/b.json")


def test_odds_day_window_is_the_et_day_in_utc_across_dst():
    assert day_window(datetime(2024, 1, 24).date()) == ("2024-01-24T05:00:00Z", "2024-01-25T04:59:59Z")
    assert day_window(datetime(2024, 7, 4).date()) == ("2024-07-04T04:00:00Z", "2024-07-05T03:59:59Z")
    assert day_window(datetime(2024, 3, 10).date()) == ("2024-03-10T05:00:00Z", "2024-03-11T03:59:59Z")


# ---- validation --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "params", "error_type"),
    [
        ("no_such_scraper", {}, "unknown_scraper"),
        ("bdl_box_scores", {}, "missing_parameter"),
        ("bdl_box_scores", {"date": "2024-1-15"}, "invalid_parameter"),
        ("bdl_box_scores", {"date": "2024-02-30"}, "invalid_parameter"),
        ("oddsa_game_lines", {"event_id": "../../etc", "date": "2024-01-24"}, "unsafe_parameter"),
        ("oddsa_game_lines", {"event_id": "abc/def", "date": "2024-01-24"}, "unsafe_parameter"),
        ("oddsa_events_his", {"date": "2024-01-24", "snapshot": "2024-13-25T03:55:40Z"}, "invalid_parameter"),
        ("nbac_schedule_api", {"season": "2024-27"}, "invalid_parameter"),
    ],
)
def test_bad_requests_fail_with_a_clear_error_type(name, params, error_type):
    with pytest.raises(core.ScraperFailure) as exc:
        core.plan(CFG, request(name, params))
    assert exc.value.error_type == error_type
    assert exc.value.message


def test_a_catalogued_scraper_without_implementation_is_not_implemented():
    from dataclasses import replace

    from shared.config import Source

    spec = replace(CFG.scrapers["bdl_standings"], name="future_scraper", source="future_source")
    cfg = replace(
        CFG,
        scrapers={**CFG.scrapers, "future_scraper": spec},
        sources={**CFG.sources, "future_source": Source("future_source")},
    )
    with pytest.raises(core.ScraperFailure) as exc:
        core.plan(cfg, request("future_scraper", {"season": "2024"}))
    assert exc.value.error_type == "not_implemented" and "shared.scrapers.sources.future_source" in exc.value.message


def test_parameters_are_normalised_and_undeclared_ones_ignored():
    req = request("nbac_schedule_api", {"season": "2024", "sport": "basketball_nba"})
    _, ctx = core.plan(CFG, req)
    assert ctx.params == {"season": "2024-25"}
    assert core.ignored_params(CFG, req) == ["sport"]
    with pytest.raises(ValueError, match="as_of"):
        core.plan(CFG, request("bdl_standings", {"season": "2024"}, as_of=None))


# ---- results from real answers -----------------------------------------------------------------------------


def test_box_scores_of_a_real_day_count_eleven_games(upstream_dir):
    body = (upstream_dir / "balldontlie/box_scores_2024-01-15.json").read_bytes()
    res = run("bdl_box_scores", {"date": "2024-01-15"}, body)
    assert (res.status, res.record_count, res.summary["game_count"]) == ("success", 11, 11)
    assert res.outputs[0].name == "ball-dont-lie/boxscores/2024-01-15/20240125_040000.json"
    assert res.outputs[0].data == body  # stored as upstream returned it


def test_empty_answers_are_no_data_unless_the_scraper_treats_them_as_success(upstream_dir):
    empty = (upstream_dir / "balldontlie/box_scores_empty_day.json").read_bytes()
    assert run("bdl_box_scores", {"date": "2024-01-16"}, empty).status == "no_data"
    res = run("bdl_injuries", {}, combine_pages([empty]))
    assert (res.status, res.record_count) == ("success", 0)
    res = run("oddsa_player_props", {"event_id": EVENT, "date": "2024-01-24"}, None, status=204)
    assert (res.status, res.outputs, res.summary["no_content"]) == ("success", (), True)


def test_truncated_or_incomplete_answers_fail_as_parse_errors(upstream_dir):
    body = (upstream_dir / "balldontlie/box_scores_2024-01-15.json").read_bytes()
    res = run("bdl_box_scores", {"date": "2024-01-15"}, body[:5000])
    assert (res.status, res.error_type, res.outputs) == ("failed", "parse_error", ())
    doc = json.loads(body)
    del doc["data"][3]["visitor_team"]
    res = run("bdl_box_scores", {"date": "2024-01-15"}, json.dumps(doc).encode())
    assert res.error_type == "parse_error" and "box score 3" in res.error_message


def test_events_release_props_and_lines_per_event_of_the_day_with_deterministic_ids(upstream_dir):
    his = json.loads((upstream_dir / "odds_api/historical_events_2024-01-25T035540Z.json").read_bytes())
    live = json.dumps(his["data"]).encode()
    res = run("oddsa_events", {"date": "2024-01-24"}, live, headers={"x-requests-remaining": "19880"})
    assert res.record_count == 10 and len(res.summary["event_ids_on_date"]) == 3
    assert res.summary["quota"] == {"requests_remaining": 19880}
    names = sorted((f.scraper_name, f.params["event_id"]) for f in res.follow_ups)
    assert len(names) == 6 and {n for n, _ in names} == {"oddsa_player_props", "oddsa_game_lines"}
    atl = [f for f in res.follow_ups if f.params["event_id"] == EVENT]
    assert {f.params["teams"] for f in atl} == {"ATLGSW"} and {f.params["date"] for f in atl} == {"2024-01-24"}
    parent = request("oddsa_events", {"date": "2024-01-24"})
    assert all(f.source == "FOLLOW_UP" and f.as_of == AS_OF and f.workflow == "betting_lines" for f in res.follow_ups)
    assert all(f.context["parent_request_id"] == parent.request_id for f in res.follow_ups)
    again = run("oddsa_events", {"date": "2024-01-24"}, live)
    assert [f.request_id for f in again.follow_ups] == [f.request_id for f in res.follow_ups]
    his_res = run("oddsa_events_his", {"date": "2024-01-25", "snapshot": SNAP}, json.dumps(his).encode())
    assert len(his_res.follow_ups) == 14 and all(f.params["snapshot"] == SNAP for f in his_res.follow_ups)
    assert {f.scraper_name for f in his_res.follow_ups} == {"oddsa_player_props_his", "oddsa_game_lines_his"}


def test_event_odds_derive_the_teams_segment_from_the_answer_when_not_given(upstream_dir):
    his = (upstream_dir / "odds_api/historical_event_odds_spreads_totals_ATL-GSW_2024-01-25T035540Z.json").read_bytes()
    res = run("oddsa_game_lines_his", {"event_id": EVENT, "date": "2024-01-24", "snapshot": SNAP}, his)
    assert res.outputs[0].name.startswith(f"odds-api/game-lines-history/2024-01-24/{EVENT}-ATLGSW/")
    assert (res.record_count, res.summary["markets"]) == (8, ["spreads", "totals"])


def test_schedule_summary_has_games_per_date(upstream_dir):
    import gzip

    body = gzip.decompress((upstream_dir / "nbacom_cdn/scheduleleaguev2_2024-25_full.json.gz").read_bytes())
    res = run("nbac_schedule_api", {"season": "2024"}, body)
    assert res.record_count == 1400 and res.summary["games_per_date"]["2025-01-15"] == 11
    assert res.outputs[0].name == "nba-com/schedule/2024-25/20240125_040000.json"


# ---- what a run reports -----------------------------------------------------------------------------------


def test_error_messages_are_cut_to_1000_characters_and_scrubbed(monkeypatch):
    from shared.secrets import get_secret

    monkeypatch.setenv("ODDS_API_KEY", "anothersecret77")
    get_secret("ODDS_API_KEY")
    res = core.failure("http_500", "x" * 3000 + " anothersecret77")
    assert len(res.error_message) == 1000
    assert "anothersecret77" not in core.failure("http_500", "apiKey=anothersecret77 failed").error_message


def test_row_and_completion_of_an_outcome(upstream_dir):
    body = (upstream_dir / "balldontlie/box_scores_2024-01-15.json").read_bytes()
    req = request("bdl_box_scores", {"date": "2024-01-15"})
    scraper, ctx = core.plan(CFG, req)
    outcome = core.outcome_of(req, core.compute(scraper, ctx, Fetched(body)), bucket="b", duration_seconds=1.5)
    outcome.notification_message_id = "42"
    row = core.log_row(outcome, req, environment="local", opts={"params": req.params})
    assert row["execution_id"] == core.execution_id(req.request_id) == outcome.execution_id
    assert row["completed_at"] - row["triggered_at"] == timedelta(seconds=1.5) and row["triggered_at"] == AS_OF
    assert row["gcs_path"] == "gs://b/ball-dont-lie/boxscores/2024-01-15/20240125_040000.json"
    assert (row["notification_message_id"], row["source"], row["workflow"]) == ("42", "CONTROLLER", "betting_lines")
    note = core.completion(outcome)
    assert note.attributes() == {
        "scraper_name": "bdl_box_scores",
        "status": "success",
        "execution_id": outcome.execution_id,
        "workflow": "betting_lines",
    }
    assert note.to_json()["gcs_path"].startswith("gs://b/") and note.to_json()["record_count"] == 11
    assert core.Outcome.from_json(outcome.to_json()).to_json() == outcome.to_json()
    assert datetime(2024, 1, 25, 4, 0, 1, 500000, tzinfo=UTC) == note.timestamp


def test_importing_the_function_loads_no_scraper_module_http_library_or_cloud_client():
    code = (
        "import sys; sys.path.insert(0, 'functions/scrapers'); import main\n"
        "heavy = ['requests', 'tenacity', 'google.cloud.storage', 'google.cloud.bigquery', 'google.cloud.pubsub_v1',"
        " 'shared.scrapers.sources.balldontlie', 'shared.parsers.balldontlie', 'shared.scrapers.sources.odds_api']\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "from shared.config import get_config; from shared.scrapers import registry\n"
        "registry.create('bdl_box_scores', get_config())\n"
        "print(sorted(m for m in sys.modules if m.startswith('shared.scrapers.sources.')))\n"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    loaded, sources = out.stdout.strip().splitlines()
    assert loaded == "[]"
    assert sources == "['shared.scrapers.sources.balldontlie']"


def test_a_line_snapshot_releases_only_its_games_labelled(upstream_dir):
    """A game_tip_offsets RUN names its games (`snapshot_games`, AWYHOM -> snapshot_type): the events call
    releases props and lines for those events only, each labelled; the label reaches the row's data_summary
    and the stored object's metadata."""
    his = json.loads((upstream_dir / "odds_api/historical_events_2024-01-25T035540Z.json").read_bytes())
    live = json.dumps(his["data"]).encode()
    ctx_in = {"snapshot_type": "closing", "snapshot_games": {"ATLGSW": "closing"}}
    req = request("oddsa_events", {"date": "2024-01-24"}, context=ctx_in)
    scraper, ctx = core.plan(CFG, req)
    res = core.compute(scraper, ctx, Fetched(live))
    assert sorted(f.scraper_name for f in res.follow_ups) == ["oddsa_game_lines", "oddsa_player_props"]
    assert {f.params["event_id"] for f in res.follow_ups} == {EVENT}
    assert {f.context["snapshot_type"] for f in res.follow_ups} == {"closing"}
    child = res.follow_ups[0]
    body = (upstream_dir / "odds_api/historical_event_odds_spreads_totals_ATL-GSW_2024-01-25T035540Z.json").read_bytes()
    doc = json.loads(body)["data"]
    scraper2, ctx2 = core.plan(CFG, child)
    # The live call asks for the configured markets and regions (each market costs credits).
    q = scraper2.query(ctx2)
    names = CFG.odds.prop_markets if child.scraper_name == "oddsa_player_props" else CFG.odds.line_markets
    assert q["markets"] == ",".join(names) and q["regions"] == ",".join(CFG.odds.regions)
    out = core.outcome_of(
        child, core.compute(scraper2, ctx2, Fetched(json.dumps(doc).encode())), bucket="b", duration_seconds=1
    )
    row = core.log_row(out, child, environment="local", opts={})
    assert row["data_summary"]["snapshot_type"] == "closing"
    assert core.object_metadata(child, Fetched(b"{}"))["snapshot_type"] == "closing"
    # Without a snapshot list (a manual run), every event of the day is released, unlabelled.
    plain = core.compute(*core.plan(CFG, request("oddsa_events", {"date": "2024-01-24"})), Fetched(live))
    assert len(plain.follow_ups) == 6 and not any("snapshot_type" in f.context for f in plain.follow_ups)
