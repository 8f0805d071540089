"""Replay routes and synthetic answers for the catalogue scrapers of issue 6 (NBA.com stats/cdn/web/PDFs,
official.nba.com, ESPN, BettingPros, Basketball-Reference, BigDataBall on Google Drive).

The recordings (../shared/fixtures/upstream, read in place) are served at their real URLs. Three sources
have no recording; their answers are SYNTHETIC, built here from the shape the source documents, and every
test using them says so:
- BettingPros /v3/offers: `{"offers": [{id, event_id, market_id, participants[{id, name, player{team,
  position}}], selections[{selection, books[{id, lines[{line, cost, updated, active, best}]}]}]}],
  "_pagination": {"page", "limit", "total_items", "total_pages"}}`;
- Basketball-Reference team page: `table#roster` with `data-stat` cells (number, player with a
  /players/x/id.html link, pos, height, weight, birth_date with a csk sort key, birth_country,
  years_experience, college);
- Google Drive v3 files.list: `{"kind": "drive#fileList", "incompleteSearch": false, "files": [{"kind":
  "drive#file", "id", "name", "mimeType", "modifiedTime", "size"}]}` (the `fields` asked for); the CSV
  downloaded with files.get?alt=media IS the BigDataBall recording.
The NBA game books: both recordings are damaged (bytes lost in a text round-trip, see the parser's tests),
so the happy path uses a real PDF built here from the documented box-score line formats (`text_pdf`).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.replay import Replay
from tooling.sample_day.pdf import lines_pdf

BP_KEY = "bp-test-key-3c9d7e10"
DRIVE_TOKEN = "drive-test-token-a1b2c3d4"
AS_OF_ISO = "2025-03-16T09:00:00Z"

STATS = "stats.nba.com"
CDN = "cdn.nba.com"
PDF_HOST = "ak-static.cms.nba.com"
BOOKS = "statsdmz.nba.com"
OFFICIALS = "official.nba.com"
ESPN_API = "site.api.espn.com"
ESPN_WWW = "www.espn.com"
BP = "api.bettingpros.com"
BR = "www.basketball-reference.com"
DRIVE = "www.googleapis.com"
STATS_HEADERS = {"x-nba-stats-origin": "stats", "x-nba-stats-token": "true", "Referer": None}
CDN_HEADERS = {"Origin": "https://www.nba.com", "User-Agent": None}

BOX_V3 = "boxscoretraditionalv3_0022500560_PHI-TOR_2026-01-12.json"  # in nbacom_stats/
BOX_V3_GAME = "0022500560"
CDN_BOX = "/static/json/liveData/boxscore/boxscore_{}.json"
CDN_BOX_FINAL = "boxscore_0042200123_PHI-BKN_2023-04-20_final.json"  # in nbacom_cdn/
CDN_FINAL_GAME = "0042200123"
CDN_BOX_PREGAME = "boxscore_0022300682_DEN-OKC_2024-01-31_pregame.json"
CDN_PREGAME_GAME = "0022300682"

INJURY_PATH = "/referee/injury/Injury-Report_2024-01-04_12PM.pdf"
GAMEBOOK_MEMCLE = "/pdfs/20240410/20240410_MEMCLE_book.pdf"
GAMEBOOK_MILBKN = "/pdfs/20211008/20211008_MILBKN_book.pdf"
GAMEBOOK_SYNTHETIC = "/pdfs/20240411/20240411_MEMCLE_book.pdf"
BDB_GAME = "0042400407"
BDB_FILE_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz012345"
BDB_NAME = f"[2025-06-22]-{BDB_GAME}-IND@OKC.csv"

# ---------------------------------------------------------------------------------------------------------
# Synthetic documents (documented shapes, see the module docstring)

GAMEBOOK_LINES = [
    "Thursday, April 11, 2024 Rocket Mortgage FieldHouse, Cleveland, OH",
    "Officials: #24 Kevin Scott, #36 Brent Barnaky, #41 Nate Green",
    "Game Duration: 2:10",
    "Attendance: 19432 (Sellout)",
    "VISITOR: Memphis Grizzlies (27-54)",
    "45 GG Jackson F 35:42 7 21 2 10 6 6 0 2 2 2 2 2 1 1 -13 22",
    "4 Jake LaRavia F 40:00 10 18 8 11 4 5 1 6 7 1 1 2 5 1 -16 32",
    "7 Santi Aldama NWT - Injury/Illness - Right Foot; Strain",
    "Inactive: Grizzlies - Morant (Injury/Illness - Right Shoulder; Labral Repair)",
    "HOME: Cleveland Cavaliers (48-33)",
    "45 Donovan Mitchell G 33:36 9 17 5 10 6 7 1 3 4 8 2 3 3 1 2 29",
    "23 Marcus Morris Sr. DNP - Coach's Decision",
]


def text_pdf(lines: list[str]) -> bytes:
    """A one-page PDF with one text line per entry (the project's own PDF writer)."""
    return lines_pdf(lines)


def _offer(offer_id: int, player: str, team: str, event_id: int, line: float) -> dict[str, Any]:
    def book(book_id: int, cost: int) -> dict[str, Any]:
        return {
            "id": book_id,
            "lines": [{"line": line, "cost": cost, "updated": "2021-10-21 20:00:00", "active": True, "best": False}],
        }

    return {
        "id": offer_id,
        "event_id": event_id,
        "market_id": 156,
        "participants": [{"id": str(9000 + offer_id), "name": player, "player": {"team": team, "position": "G"}}],
        "selections": [
            {"selection": "over", "label": "Over", "books": [book(0, -110), book(12, -115)]},
            {"selection": "under", "label": "Under", "books": [book(0, -110), book(12, -105)]},
        ],
    }


def offers_pages() -> list[dict[str, Any]]:
    """Two SYNTHETIC v3/offers pages for market 156 on the 2021-10-21 events (documented shape)."""
    page1 = [_offer(1, "Trae Young", "ATL", 20879, 24.5), _offer(2, "Luka Doncic", "DAL", 20879, 29.5)]
    page2 = [_offer(3, "Stephen Curry", "GSW", 20881, 27.5)]
    return [
        {"offers": page1, "_pagination": {"page": 1, "limit": 2, "total_items": 3, "total_pages": 2}},
        {"offers": page2, "_pagination": {"page": 2, "limit": 2, "total_items": 3, "total_pages": 2}},
    ]


BR_ROWS = [
    ("0", "tatumja01", "Jayson Tatum", "PF", "6-8", "210", "19980303", "7", "Duke"),
    ("7", "brownja02", "Jaylen Brown", "SG", "6-6", "223", "19961024", "8", "California"),
    ("55", "scheiba01", "Baylor Scheierman", "SF", "6-6", "205", "20000926", "R", "Creighton"),
]


def br_page(rows: list[tuple[str, ...]] = BR_ROWS, title: str = "2024-25 Boston Celtics Roster and Stats") -> str:
    """A SYNTHETIC Basketball-Reference team page with the documented roster table structure."""
    body = "".join(
        f'<tr><th scope="row" data-stat="number">{num}</th>'
        f'<td data-stat="player"><a href="/players/{pid[0]}/{pid}.html">{name}</a></td>'
        f'<td data-stat="pos">{pos}</td><td data-stat="height">{height}</td><td data-stat="weight">{weight}</td>'
        f'<td data-stat="birth_date" csk="{birth}">{birth}</td><td data-stat="birth_country">us</td>'
        f'<td data-stat="years_experience">{exp}</td><td data-stat="college">{college}</td></tr>'
        for num, pid, name, pos, height, weight, birth, exp, college in rows
    )
    return (
        f"<!DOCTYPE html><html><head><title>{title}</title></head><body><div id='all_roster'>"
        f'<table class="sortable stats_table" id="roster"><thead><tr><th data-stat="number">No.</th>'
        f'<th data-stat="player">Player</th></tr></thead><tbody>{body}</tbody></table></div></body></html>'
    )


def drive_listing(files: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """A SYNTHETIC Drive v3 files.list answer (documented shape) listing the recorded BigDataBall CSV."""
    if files is None:
        files = [
            {
                "kind": "drive#file",
                "id": BDB_FILE_ID,
                "name": BDB_NAME,
                "mimeType": "text/csv",
                "modifiedTime": "2025-06-23T09:12:44.000Z",
                "size": "0",
            }
        ]
    return {"kind": "drive#fileList", "incompleteSearch": False, "files": files}


# ---------------------------------------------------------------------------------------------------------
# Routes


def add_catalogue_recordings(rp: Replay, upstream: Path) -> Replay:
    """Route every recording (and synthetic answer) the issue-6 scrapers read, at their real URLs."""
    stats, cdn = upstream / "nbacom_stats", upstream / "nbacom_cdn"
    h = {"require_headers": STATS_HEADERS}
    rp.add(STATS, "/stats/playerindex", query={"Season": "2025-26"}, file=stats / "playerindex_2025-26.json", **h)
    rp.add(STATS, "/stats/boxscoretraditionalv3", query={"GameID": BOX_V3_GAME}, file=stats / BOX_V3, **h)
    for day in ("2024-01-15", "2025-01-15"):
        rp.add(STATS, "/stats/scoreboardV2", query={"GameDate": day}, file=stats / f"scoreboardV2_{day}.json", **h)
    rp.add(
        STATS, "/stats/scoreboardv3", query={"GameDate": "2025-11-05"}, file=stats / "scoreboardv3_2025-11-05.json", **h
    )
    rp.add(STATS, "/js/data/playermovement/NBA_Player_Movement.json", file=cdn / "player_movement.json.gz", **h)
    rp.add(
        CDN,
        "/static/json/liveData/playbyplay/playbyplay_0022400561.json",
        file=cdn / "playbyplay_0022400561_NYK-PHI_2025-01-15.json",
        require_headers=CDN_HEADERS,
    )
    for game, rel in ((CDN_FINAL_GAME, CDN_BOX_FINAL), (CDN_PREGAME_GAME, CDN_BOX_PREGAME)):
        rp.add(CDN, CDN_BOX.format(game), file=cdn / rel, require_headers=CDN_HEADERS)
    rp.add("www.nba.com", "/team/1610612744/warriors/roster", file=upstream / "nbacom_web/team_roster_79002ff4.html.gz")
    rp.add(PDF_HOST, INJURY_PATH, file=upstream / "nba_injury_report/Injury-Report_2024-01-04_12PM.pdf")
    rp.add(BOOKS, GAMEBOOK_MEMCLE, file=upstream / "nba_gamebook/gamebook_0173bcd1.pdf")
    rp.add(BOOKS, GAMEBOOK_MILBKN, file=upstream / "nba_gamebook/gamebook_d8072441.pdf")
    rp.add(BOOKS, GAMEBOOK_SYNTHETIC, body=text_pdf(GAMEBOOK_LINES), content_type="application/pdf")
    rp.add(
        OFFICIALS,
        "/wp-json/api/v1/get-game-officials",
        query={"date": "2025-01-08"},
        file=upstream / "nba_officials/get-game-officials_2025-01-08.json",
    )
    espn = upstream / "espn"
    board = "/apis/site/v2/sports/basketball/nba/scoreboard"
    rp.add(ESPN_API, board, query={"dates": "20240115"}, file=espn / "scoreboard_2024-01-15.json")
    rp.add(ESPN_API, board, query={"dates": "20250214"}, file=espn / "scoreboard_2025-02-14_no_games.json")
    rp.add(ESPN_WWW, "/nba/boxscore/_/gameId/401585183", file=espn / "game_boxscore_6f34c64b.html.gz")
    rp.add(
        ESPN_API,
        "/apis/site/v2/sports/basketball/nba/teams/2",
        query={"enable": "roster"},
        file=espn / "team_roster_api_teamid2.json",
    )
    key = {"require_headers": {"X-Api-Key": BP_KEY}}
    rp.add(
        BP,
        "/v3/events",
        query={"sport": "NBA", "date": "2021-10-21"},
        file=upstream / "bettingpros/v3_events_2021-10-21.json",
        **key,
    )
    pages = offers_pages()
    for number, page in enumerate(pages, start=1):
        q = {"sport": "NBA", "market_id": "156", "event_id": "20879:20880:20881"}
        if number > 1:
            q["page"] = str(number)
        rp.add(BP, "/v3/offers", query=q, body=json.dumps(page), **key)
    rp.add(BR, "/teams/BOS/2025.html", body=br_page(), content_type="text/html; charset=utf-8")
    bearer = {"require_headers": {"Authorization": f"Bearer {DRIVE_TOKEN}"}}
    rp.add(DRIVE, "/drive/v3/files", body=json.dumps(drive_listing()), **bearer)
    rp.add(
        DRIVE,
        f"/drive/v3/files/{BDB_FILE_ID}",
        query={"alt": "media"},
        file=upstream / "bigdataball/pbp_746cfbef.csv",
        content_type="text/csv",
        **bearer,
    )
    return rp


# ---------------------------------------------------------------------------------------------------------
# One working request per catalogue scraper (what `nba-orch scrape NAME --param ...` is tested with).

CLI_PARAMS: dict[str, dict[str, str]] = {
    "nbac_player_list": {"season": "2025-26"},
    "nbac_player_boxscore": {"game_id": BOX_V3_GAME, "date": "2026-01-12"},
    "nbac_team_boxscore": {"game_id": BOX_V3_GAME, "game_date": "2026-01-12"},
    "nbac_cdn_boxscore": {"game_id": CDN_FINAL_GAME, "date": "2023-04-20"},
    "nbac_scoreboard_v2": {"date": "2024-01-15"},
    "nbac_scoreboard_v3": {"date": "2025-11-05"},
    "nbac_play_by_play": {"game_id": "0022400561", "date": "2025-01-15"},
    "nbac_player_movement": {},
    "nbac_roster": {"team_id": "1610612744", "team_abbr": "GSW"},
    "nbac_injury_report": {"date": "2024-01-04", "hour": "12", "period": "PM"},
    "nbac_gamebook_pdf": {"game_code": "20240411/MEMCLE", "date": "2024-04-11"},
    "nbac_referee_assignments": {"date": "2025-01-08"},
    "espn_scoreboard": {"date": "2024-01-15"},
    "espn_game_boxscore": {"game_id": "401585183", "date": "2024-01-15"},
    "espn_roster": {"team_id": "2", "team_abbr": "BOS"},
    "bp_events": {"date": "2021-10-21"},
    "bp_player_props": {"date": "2021-10-21", "market": "points"},
    "br_season_roster": {"teamAbbr": "BOS", "year": "2025"},
    "bigdataball_pbp": {"game_id": BDB_GAME, "date": "2025-06-22", "season": "2024-25"},
}


# ---------------------------------------------------------------------------------------------------------
# Test helpers


def use_catalogue(replay: Replay, upstream: Path, monkeypatch: Any) -> Replay:
    """The conftest replay server plus this module's routes, the BettingPros key and a Drive bearer."""
    from shared.scrapers.sources import bigdataball

    add_catalogue_recordings(replay, upstream)
    monkeypatch.setenv("BETTINGPROS_API_KEY", BP_KEY)
    monkeypatch.setenv("NBA_ORCH_DRIVE_TOKEN", DRIVE_TOKEN)
    bigdataball.reset_credentials()
    return replay


def check_run(rt: Any, outcome: Any, req: Any, *, stored: bytes | None = None, extra: tuple[str, ...] = ()) -> None:
    """What every run leaves in the emulators: the raw file (byte for byte when `stored` is given) with the
    metadata cleanup relies on, any sidecar, one log row and one completion that agree with the outcome."""
    from shared.adapters import gcs
    from tests.scrapers.conftest import completions, data_objects, rows

    bucket = rt.bucket
    if outcome.object_name:
        if stored is not None:
            assert gcs.read_object(rt, outcome.object_name) == stored
        meta = gcs.get_metadata(rt, outcome.object_name)
        assert (meta["execution_id"], meta["request_id"]) == (outcome.execution_id, req.request_id)
        assert meta["scraper_name"] == req.scraper_name and meta["role"] == "raw"
    assert data_objects(rt) == sorted([n for n in (outcome.object_name, *extra) if n])
    assert outcome.extra_paths == [f"gs://{bucket}/{n}" for n in extra]
    (row,) = rows(rt)
    assert (row["status"], row["scraper_name"], row["execution_id"]) == (
        outcome.status,
        req.scraper_name,
        outcome.execution_id,
    )
    assert row["gcs_path"] == outcome.gcs_path and row["data_summary"].get("record_count", 0) == outcome.record_count
    assert row["error_type"] == outcome.error_type
    (note,) = completions(rt)
    assert note["message_id"] == row["notification_message_id"]
    assert note["attributes"]["status"] == outcome.status and note["body"]["gcs_path"] == outcome.gcs_path
