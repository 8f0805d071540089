"""ESPN scrapers through the upstream override and the emulators: the scoreboard of 2024-01-15 (11 events)
and an All-Star-break day without games, the Celtics roster (team id 2), the HOU@PHI box score page
(event 401585183); plus ESPN's JSON 404 document (the real one), HTTP 403/404 and malformed answers."""

from __future__ import annotations

import gzip

import pytest

from shared.scrapers import service
from shared.scrapers.base import Fetched, HtmlPage
from tests.replay import Reply
from tests.scrapers.catalogue_recordings import ESPN_API, ESPN_WWW, check_run
from tests.scrapers.conftest import request

pytestmark = pytest.mark.emulators
BOARD = "/apis/site/v2/sports/basketball/nba/scoreboard"
TEAM = "/apis/site/v2/sports/basketball/nba/teams/{}"
ERROR_404 = "espn/summary_event401673394_404_error.json"


def test_scoreboard_of_2024_01_15_has_11_events(srt, rp, upstream_dir):
    req = request("espn_scoreboard", {"date": "2024-01-15"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 11)
    assert outcome.object_name == "espn/scoreboard/2024-01-15/20240125_040000.json"
    s = outcome.summary
    assert s["event_ids"] == [str(i) for i in range(401585183, 401585194)]
    assert s["all_final"] is True and s["states"] == {"post": 11}
    assert rp.seen[-1].query == {"dates": "20240115"}
    check_run(srt, outcome, req, stored=(upstream_dir / "espn/scoreboard_2024-01-15.json").read_bytes())


def test_a_day_without_games_is_no_data(srt, rp, upstream_dir):
    req = request("espn_scoreboard", {"date": "2025-02-14"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("no_data", 0)
    check_run(srt, outcome, req, stored=(upstream_dir / "espn/scoreboard_2025-02-14_no_games.json").read_bytes())


def test_team_roster(srt, rp, upstream_dir):
    req = request("espn_roster", {"team_id": "2", "team_abbr": "BOS"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 17)
    assert outcome.object_name == "espn/rosters/2024-01-24/team_BOS/20240125_040000.json"
    assert (outcome.summary["team_tricode"], outcome.summary["team_id"]) == ("BOS", "2")
    check_run(srt, outcome, req, stored=(upstream_dir / "espn/team_roster_api_teamid2.json").read_bytes())


def test_roster_accepts_espn_abbreviations_and_checks_the_team_id(rp, upstream_dir, tmp_path):
    rp.add(ESPN_API, TEAM.format(9), file=upstream_dir / "espn/team_roster_api_teamid2.json")
    out = service.run_local(request("espn_roster", {"team_id": "9", "team_abbr": "GS"}), tmp_path)
    # GS is mapped to GSW (ESPN id 9); the recorded answer is the Celtics', so it is refused.
    assert (out.status, out.error_type) == ("failed", "parse_error") and "answer is team 2" in out.error_message
    out = service.run_local(request("espn_roster", {"team_id": "2", "team_abbr": "GSW"}), tmp_path)
    assert (out.status, out.error_type) == ("failed", "invalid_parameter")


def test_box_score_page(srt, rp, upstream_dir):
    req = request("espn_game_boxscore", {"game_id": "401585183", "date": "2024-01-15"})
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.record_count) == ("success", 25)
    assert outcome.object_name == "espn/boxscores/2024-01-15/game-401585183/20240125_040000.json"
    s = outcome.summary
    assert (s["event_id"], s["away_team"], s["home_team"]) == ("401585183", "HOU", "PHI")
    check_run(srt, outcome, req)
    from shared.adapters import gcs

    page = gzip.decompress((upstream_dir / "espn/game_boxscore_6f34c64b.html.gz").read_bytes())
    assert HtmlPage.page(Fetched(gcs.read_object(srt, outcome.object_name))) == page  # lossless


ROSTER = ("espn_roster", {"team_id": "3", "team_abbr": "NOP"}, ESPN_API, TEAM.format(3))
BOARD_16 = ("espn_scoreboard", {"date": "2024-01-16"}, ESPN_API, BOARD)
BOX = (
    "espn_game_boxscore",
    {"game_id": "401585184", "date": "2024-01-15"},
    ESPN_WWW,
    "/nba/boxscore/_/gameId/401585184",
)


@pytest.mark.parametrize(
    ("target", "reply", "error_type", "message"),
    [
        # ESPN's real error document for an unknown id, answered with HTTP 200 and with HTTP 404.
        pytest.param(ROSTER, "error-200", "upstream_error", "ESPN error 404", id="roster_error_doc"),
        pytest.param(ROSTER, "error-404", "http_404", "404", id="roster_404"),
        pytest.param(BOARD_16, "error-200", "upstream_error", "ESPN error 404", id="scoreboard_error_doc"),
        pytest.param(BOARD_16, Reply(403, body="Forbidden"), "http_403", "403", id="scoreboard_403"),
        pytest.param(BOARD_16, Reply(body=b'{"events": [{"id": "4'), "parse_error", "invalid JSON", id="truncated"),
        pytest.param(BOARD_16, Reply(body=b""), "parse_error", "empty body", id="scoreboard_empty"),
        pytest.param(BOX, Reply(404, body="<html>404</html>"), "http_404", "404", id="boxscore_404"),
        pytest.param(BOX, Reply(body="<html><body>ESPN</body></html>"), "parse_error", "__espnfitt__", id="no_state"),
    ],
)
def test_failures(srt, rp, upstream_dir, target, reply, error_type, message):
    name, params, host, path = target
    if isinstance(reply, str):
        reply = Reply(404 if reply == "error-404" else 200, file=upstream_dir / ERROR_404)
    rp.add(host, path, replies=[reply])
    req = request(name, params)
    outcome = service.execute(srt, req)
    assert (outcome.status, outcome.error_type, outcome.gcs_path) == ("failed", error_type, None)
    assert message in outcome.error_message
    check_run(srt, outcome, req)
