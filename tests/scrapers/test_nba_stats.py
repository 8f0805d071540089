"""stats.nba.com scrapers (player list, the v3 team and player box scores, scoreboard V2 and v3, player
movement) on real recordings through the upstream override and the emulators, plus their empty, 403/404
and malformed answers, and the MM/DD/YYYY date echo."""

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
BOX_V3 = "nbacom_stats/boxscoretraditionalv3_0022500560_PHI-TOR_2026-01-12.json"
BOX_V2 = "nbacom_stats/boxscoretraditionalv2_0022400561_NYK-PHI_2025-01-15.json"


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
            {"game_id": "0022500560", "date": "2026-01-12"},
            28,
            f"nba-com/player-boxscores/2026-01-12/0022500560/{TS}.json",
            BOX_V3,
            {"format": "v3", "player_count": 28, "players_played": 26, "team_points": {"TOR": 102, "PHI": 115}},
        ),
        (
            "nbac_team_boxscore",
            {"game_id": "0022500560", "game_date": "2026-01-12"},
            2,
            f"nba-com/team-boxscore/2026-01-12/0022500560/{TS}.json",
            BOX_V3,
            {"game_id": "0022500560", "player_count": 28, "teams": ["PHI", "TOR"]},
        ),
        (
            "nbac_scoreboard_v3",
            {"date": "2025-11-05"},
            11,
            f"nba-com/scoreboard-v3/2025-11-05/{TS}.json",
            "nbacom_stats/scoreboardv3_2025-11-05.json",
            {"game_date": "2025-11-05", "game_count": 11, "final_count": 11},
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


def test_v3_team_points_equal_the_sum_of_the_players_points(rp, tmp_path):
    params = {"game_id": "0022500560"}
    team = service.run_local(request("nbac_team_boxscore", {**params, "game_date": "2026-01-12"}), tmp_path / "t")
    players = service.run_local(request("nbac_player_boxscore", {**params, "date": "2026-01-12"}), tmp_path / "p")
    assert (team.status, players.status) == ("success", "success")
    assert team.summary["team_points"] == players.summary["player_points"] == {"TOR": 102, "PHI": 115}
    assert rp.hits(STATS, "/stats/boxscoretraditionalv3") == 2 and not rp.unmatched


def test_a_v2_answer_stored_before_the_move_still_parses(upstream_dir):
    """The same path held boxscoretraditionalv2 answers (earlier seasons): reading one again gives the same
    summary keys as v3 (pure: the scraper's parse on the stored bytes)."""
    from shared.config import get_config
    from shared.scrapers import core
    from shared.scrapers.base import Fetched

    cfg = get_config()
    for name, params in (
        ("nbac_team_boxscore", {"game_id": "0022400561", "game_date": "2025-01-15"}),
        ("nbac_player_boxscore", {"game_id": "0022400561", "date": "2025-01-15"}),
    ):
        scraper, ctx = core.plan(cfg, request(name, params))
        parsed = scraper.parse(Fetched(_read(upstream_dir, BOX_V2)), ctx)
        assert parsed.summary["format"] == "v2" and parsed.summary["team_points"] == {"NYK": 125, "PHI": 119}
        assert parsed.record_count == (2 if name == "nbac_team_boxscore" else 25)


def test_scoreboard_echoing_the_date_as_mm_dd_yyyy_is_the_requested_day(srt, rp, upstream_dir):
    """The real answer's echo: GameDate=2024-01-15 comes back as "01/15/2024" (as in the leaguegamefinder
    recording); it used to fail as parse_error."""
    doc = json.loads(_read(upstream_dir, "nbacom_stats/scoreboardV2_2024-01-15.json"))
    doc["parameters"]["GameDate"] = "01/15/2024"
    body = json.dumps(doc).encode()
    rp.add(STATS, "/stats/scoreboardV2", query={"GameDate": "2024-01-15"}, body=body)
    req = request("nbac_scoreboard_v2", {"date": "2024-01-15"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count, outcome.summary["game_date"]) == ("success", 11, "2024-01-15")
    check_run(srt, outcome, req, stored=body)


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


def _pregame_v3(upstream_dir, game_id: str) -> bytes:
    """The real v3 box score as it stands before tip-off: the game's id, every player's minutes empty and
    his statistics zero (DERIVED from the recording: no pre-game v3 answer was recorded)."""
    doc = json.loads(_read(upstream_dir, BOX_V3))
    box = doc["boxScoreTraditional"]
    box["gameId"] = game_id
    for side in ("homeTeam", "awayTeam"):
        for player in box[side]["players"]:
            player["statistics"] = {k: "" if k == "minutes" else 0 for k in player["statistics"]}
    return json.dumps(doc).encode()


def _no_games_v3(upstream_dir, day: str) -> bytes:
    doc = json.loads(_read(upstream_dir, "nbacom_stats/scoreboardv3_2025-11-05.json"))
    doc["scoreboard"].update(gameDate=day, games=[])
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    ("name", "params", "path", "query", "body"),
    [
        (
            "nbac_player_boxscore",
            {"game_id": "0022500999", "date": "2026-03-20"},
            "/stats/boxscoretraditionalv3",
            {"GameID": "0022500999"},
            lambda up: _pregame_v3(up, "0022500999"),
        ),
        (
            "nbac_team_boxscore",
            {"game_id": "0022500999", "game_date": "2026-03-20"},
            "/stats/boxscoretraditionalv3",
            {"GameID": "0022500999"},
            lambda up: _pregame_v3(up, "0022500999"),
        ),
        (
            "nbac_scoreboard_v2",
            {"date": "2024-02-16"},
            "/stats/scoreboardV2",
            {"GameDate": "2024-02-16"},
            lambda up: _empty(up, "nbacom_stats/scoreboardV2_2024-01-15.json", {"GameDate": "2024-02-16"}),
        ),
        (
            "nbac_scoreboard_v3",
            {"date": "2026-02-13"},
            "/stats/scoreboardv3",
            {"GameDate": "2026-02-13"},
            lambda up: _no_games_v3(up, "2026-02-13"),
        ),
    ],
    ids=["player_boxscore", "team_boxscore", "scoreboard_v2", "scoreboard_v3"],
)
def test_empty_answers_are_no_data_and_still_stored(srt, rp, upstream_dir, name, params, path, query, body):
    body = body(upstream_dir)
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
    rp.add(STATS, "/stats/boxscoretraditionalv3", query={"GameID": "0022500561"}, file=upstream_dir / BOX_V3)
    for name, key in (("nbac_team_boxscore", "game_date"), ("nbac_player_boxscore", "date")):
        out = service.run_local(request(name, {"game_id": "0022500561", key: "2026-01-12"}), tmp_path)
        assert (out.status, out.error_type) == ("failed", "parse_error") and "0022500560" in out.error_message
    doc = json.loads(_read(upstream_dir, "nbacom_stats/scoreboardV2_2024-01-15.json"))
    doc["parameters"]["GameDate"] = "01/15/2024"  # the echo of ANOTHER day than the one asked for
    rp.add(STATS, "/stats/scoreboardV2", query={"GameDate": "2024-01-14"}, body=json.dumps(doc))
    out = service.run_local(request("nbac_scoreboard_v2", {"date": "2024-01-14"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "parse_error")
    assert "asked for 2024-01-14, the answer is the scoreboard of 2024-01-15" in out.error_message
    rp.add(
        STATS,
        "/stats/scoreboardv3",
        query={"GameDate": "2025-11-06"},
        file=upstream_dir / "nbacom_stats/scoreboardv3_2025-11-05.json",
    )
    out = service.run_local(request("nbac_scoreboard_v3", {"date": "2025-11-06"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "parse_error") and "2025-11-05" in out.error_message
    # nothing stored under the wrong date or game: the rejected answers are only kept in quarantine
    kept = {p.relative_to(tmp_path).parts[:2] for p in tmp_path.rglob("*") if p.is_file()}
    assert kept == {("_nba-orch", "quarantine")}
