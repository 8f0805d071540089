"""stats.nba.com scrapers (player list, player box scores, team box score, scoreboard V2, player movement)
on real recordings through the upstream override and the emulators, plus their empty, 403/404 and
malformed answers."""

from __future__ import annotations

import gzip
import json

import pytest

from shared.scrapers import service
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import STATS, check_run
from tests.scrapers.conftest import request

pytestmark = pytest.mark.emulators
TS = "20240125_040000"  # the conftest's logical time, 2024-01-25T04:00Z


def _read(upstream_dir, rel: str) -> bytes:
    raw = (upstream_dir / rel).read_bytes()
    return gzip.decompress(raw) if rel.endswith(".gz") else raw


@pytest.mark.parametrize(
    ("name", "params", "count", "object_name", "rel", "checks"),
    [
        (
            "nbac_player_list",
            {"season": "2025"},  # read as 2025-26, the form stats.nba.com wants
            594,
            f"nba-com/player-list/2024-01-24/{TS}.json",
            "nbacom_stats/playerindex_2025-26.json",
            {"season": "2025-26", "player_count": 594},
        ),
        (
            "nbac_player_boxscore",
            {"date": "2025-03-15", "season": "2024-25"},
            157,
            f"nba-com/player-boxscores/2025-03-15/{TS}.json",
            "nbacom_stats/leaguegamelog_players_2025-03-15.json",
            {"player_or_team": "P", "row_count": 157, "first_game_date": "2025-03-15"},
        ),
        (
            "nbac_team_boxscore",
            {"game_id": "0022400561", "game_date": "2025-01-15"},
            2,
            f"nba-com/team-boxscore/2025-01-15/0022400561/{TS}.json",
            "nbacom_stats/boxscoretraditionalv2_0022400561_NYK-PHI_2025-01-15.json",
            {"game_id": "0022400561", "player_count": 25, "teams": ["NYK", "PHI"]},
        ),
        (
            "nbac_scoreboard_v2",
            {"date": "2024-01-15"},
            11,
            f"nba-com/scoreboard-v2/2024-01-15/{TS}.json",
            "nbacom_stats/scoreboardV2_2024-01-15.json",
            {"game_count": 11, "duplicate_rows": 0, "final_count": 11},
        ),
        (
            "nbac_player_movement",
            {},
            8730,
            f"nba-com/player-movement/2024-01-24/{TS}.json",
            "nbacom_cdn/player_movement.json.gz",
            {"transaction_count": 8730},
        ),
    ],
    ids=lambda v: v if isinstance(v, str) and v.startswith("nbac_") else None,
)
def test_recording_through_the_pipeline(srt, rp, upstream_dir, name, params, count, object_name, rel, checks):
    req = request(name, params)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.object_name) == ("success", count, object_name)
    assert not rp.unmatched and all(s.status == 200 for s in rp.seen)  # browser-like headers were sent
    for key, want in checks.items():
        assert outcome.summary[key] == want, key
    check_run(srt, outcome, req, stored=_read(upstream_dir, rel))  # stored as answered (gzip decoded)


def test_player_boxscore_for_one_game_counts_that_game_only(rp, tmp_path):
    outcome = service.run_local(request("nbac_player_boxscore", {"date": "2025-03-15", "season": "2024-25"}), tmp_path)
    game = outcome.summary["game_ids"][0]
    one = service.run_local(
        request("nbac_player_boxscore", {"date": "2025-03-15", "season": "2024-25", "game_id": game}), tmp_path / "g"
    )
    assert one.status == "success" and 0 < one.record_count < outcome.record_count
    assert one.summary["game_id"] == game and one.summary["game_row_count"] == one.record_count


def test_season_must_contain_the_date(rp, tmp_path):
    outcome = service.run_local(request("nbac_player_boxscore", {"date": "2025-03-15", "season": "2023-24"}), tmp_path)
    assert (outcome.status, outcome.error_type) == ("failed", "invalid_parameter")
    assert "2024-25" in outcome.error_message and rp.seen == []


def test_scoreboard_repeating_a_game_header_row_counts_the_game_once(srt, rp, upstream_dir):
    doc = json.loads(_read(upstream_dir, "nbacom_stats/scoreboardV2_2024-01-15.json"))
    header = next(s for s in doc["resultSets"] if s["name"] == "GameHeader")
    header["rowSet"].insert(1, list(header["rowSet"][0]))  # the API repeats a row (several broadcasters)
    doc["parameters"]["GameDate"] = "2024-01-16"
    body = json.dumps(doc).encode()
    rp.add(STATS, "/stats/scoreboardV2", query={"GameDate": "2024-01-16"}, body=body)
    req = request("nbac_scoreboard_v2", {"date": "2024-01-16"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 11)
    assert outcome.summary["duplicate_rows"] == 1 and len(outcome.summary["game_ids"]) == 11
    check_run(srt, outcome, req, stored=body)  # the stored answer keeps the repeated row as sent


def _empty(upstream_dir, rel: str, parameters: dict[str, str]) -> bytes:
    """The real answer with every rowSet emptied (what stats.nba.com sends for no games / no stats yet)."""
    doc = json.loads(_read(upstream_dir, rel))
    for rs in doc["resultSets"]:
        rs["rowSet"] = []
    doc["parameters"].update(parameters)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("name", "params", "path", "query", "rel"),
    [
        (
            "nbac_player_boxscore",
            {"date": "2025-03-16", "season": "2024-25"},
            "/stats/leaguegamelog",
            {"DateFrom": "2025-03-16", "DateTo": "2025-03-16"},
            "nbacom_stats/leaguegamelog_players_2025-03-15.json",
        ),
        (
            "nbac_team_boxscore",
            {"game_id": "0022400999", "game_date": "2025-03-20"},
            "/stats/boxscoretraditionalv2",
            {"GameID": "0022400999"},
            "nbacom_stats/boxscoretraditionalv2_0022400561_NYK-PHI_2025-01-15.json",
        ),
        (
            "nbac_scoreboard_v2",
            {"date": "2024-02-16"},
            "/stats/scoreboardV2",
            {"GameDate": "2024-02-16"},
            "nbacom_stats/scoreboardV2_2024-01-15.json",
        ),
    ],
    ids=["player_boxscore", "team_boxscore", "scoreboard"],
)
def test_empty_result_sets_are_no_data_and_still_stored(srt, rp, upstream_dir, name, params, path, query, rel):
    body = _empty(upstream_dir, rel, query)
    rp.add(STATS, path, query=query, body=body)
    req = request(name, params)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("no_data", 0)
    check_run(srt, outcome, req, stored=body)


@pytest.mark.parametrize("status", [403, 404])
def test_4xx_is_failed_not_no_data(srt, rp, status):
    rp.add(STATS, "/stats/playerindex", query={"Season": "2024-25"}, status=status, body="<html>Access Denied</html>")
    req = request("nbac_player_list", {"season": "2024-25"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type) == ("failed", f"http_{status}")
    assert rp.hits(STATS, "/stats/playerindex") == 1  # a 4xx is not retried
    check_run(srt, outcome, req)


@pytest.mark.parametrize(
    ("name", "params", "path", "reply", "message"),
    [
        (
            "nbac_player_list",
            {"season": "2024-25"},
            "/stats/playerindex",
            Reply(body=b'{"resultSets": [{"na'),
            "invalid JSON",
        ),
        ("nbac_player_movement", {}, "/js/data/playermovement/NBA_Player_Movement.json", Reply(body=b""), "empty body"),
        (
            "nbac_scoreboard_v2",
            {"date": "2024-01-17"},
            "/stats/scoreboardV2",
            Reply(body=b'{"resource": "x"}'),
            "resultSets",
        ),
    ],
    ids=["truncated", "empty_body", "wrong_shape"],
)
def test_malformed_answers_are_parse_errors_and_nothing_is_stored(srt, rp, name, params, path, reply, message):
    rp.add(STATS, path, replies=[reply])
    req = request(name, params)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.object_name) == ("failed", "parse_error", None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)


def test_an_answer_for_another_game_or_date_is_refused(rp, upstream_dir, tmp_path):
    box = upstream_dir / "nbacom_stats/boxscoretraditionalv2_0022400561_NYK-PHI_2025-01-15.json"
    rp.add(STATS, "/stats/boxscoretraditionalv2", query={"GameID": "0022400562"}, file=box)
    out = service.run_local(
        request("nbac_team_boxscore", {"game_id": "0022400562", "game_date": "2025-01-15"}), tmp_path
    )
    assert (out.status, out.error_type) == ("failed", "parse_error") and "0022400561" in out.error_message
    log = upstream_dir / "nbacom_stats/leaguegamelog_players_2025-03-15.json"
    rp.add(STATS, "/stats/leaguegamelog", query={"DateFrom": "2025-03-14"}, file=log)
    out = service.run_local(request("nbac_player_boxscore", {"date": "2025-03-14", "season": "2024-25"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "parse_error") and "2025-03-15" in out.error_message
    # nothing stored under the wrong date or game: the rejected answers are only kept in quarantine
    kept = {p.relative_to(tmp_path).parts[:2] for p in tmp_path.rglob("*") if p.is_file()}
    assert kept == {("_nba-orch", "quarantine")}
