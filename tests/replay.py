"""The standard replay table of the tests: the real upstream recordings (../shared/fixtures/upstream, read in
place) at their real URLs. The server itself is the product's (tooling/local/replay.py, also used by
`nba-orch simulate`); it is re-exported here so tests keep importing `from tests.replay import ...`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tooling.local.replay import Replay, Reply, Route, Seen  # noqa: F401 - re-exported


@contextmanager
def upstream_to(rp: Replay, monkeypatch: Any, **env: str) -> Iterator[Replay]:
    """Inside it, this process's scraper HTTP goes to `rp` with fast retries, plus `env` (test API keys,
    timeouts, attempts); the HTTP session is reset on entry and exit so no connection outlives the test."""
    from shared.scrapers import http

    monkeypatch.setenv("NBA_ORCH_UPSTREAM_OVERRIDE", rp.url)
    monkeypatch.setenv("NBA_ORCH_HTTP_BACKOFF_SCALE", "0.001")
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    http.reset()
    try:
        yield rp
    finally:
        http.reset()


# ---------------------------------------------------------------------------------------------------------
# The standard table: real recordings (../shared/fixtures/upstream, read in place) at their real URLs.

ODDS_QUOTA_HEADERS = {"x-requests-remaining": "19880", "x-requests-used": "120", "x-requests-last": "1"}
ODDS_EVENT_ATL_GSW = "cd0bc7d0c238f4446ce1c03d0cea7ec4"
ODDS_SNAPSHOT = "2024-01-25T03:55:40Z"


def historical_data(raw: bytes) -> bytes:
    """The `data` member of a historical Odds API answer: the same objects the live endpoint answers."""
    return json.dumps(json.loads(raw)["data"]).encode()


def add_recordings(rp: Replay, upstream: Path) -> Replay:
    """Route every recording this project's scrapers read.

    Composition notes (the recordings are real; how they are combined is ours):
    - balldontlie /players/active: only page 1 was recorded (next_cursor 277); the page for cursor 277 is
      the real empty answer `{"data": []}` (box_scores_empty_day.json), which ends the walk.
    - balldontlie /player_injuries: page 1 (next_cursor 4082934) then the real 2-row answer (no cursor).
    - /box_scores for any date other than 2024-01-15 answers the real empty day.
    - The Odds API: only historical answers were recorded. The live /events and /events/{id}/odds routes
      serve their `data` member (the live endpoints answer exactly those objects). No player_points answer
      exists: the recorded spreads/totals answer of the same event stands in for the props routes (the
      source project's own player_props_his sample is byte-identical to it). The recordings carry no
      headers, so the quota headers are added (ODDS_QUOTA_HEADERS).
    """
    bdl, odds = upstream / "balldontlie", upstream / "odds_api"
    auth = {"Authorization": None}
    key = {"apiKey": None}
    api = "api.balldontlie.io"
    rp.add(api, "/v1/box_scores", file=bdl / "box_scores_empty_day.json", require_headers=auth)
    rp.add(
        api,
        "/v1/box_scores",
        query={"date": "2024-01-15"},
        file=bdl / "box_scores_2024-01-15.json",
        require_headers=auth,
    )
    rp.add(api, "/v1/games", query={"dates[]": "2025-02-20"}, file=bdl / "games_2025-02-20.json", require_headers=auth)
    rp.add(api, "/v1/players/active", file=bdl / "players_active_page1.json", require_headers=auth)
    rp.add(
        api, "/v1/players/active", query={"cursor": "277"}, file=bdl / "box_scores_empty_day.json", require_headers=auth
    )
    rp.add(api, "/v1/player_injuries", file=bdl / "player_injuries_page1_2025-07.json", require_headers=auth)
    rp.add(
        api,
        "/v1/player_injuries",
        query={"cursor": "4082934"},
        file=bdl / "player_injuries_bos_2rows.json",
        require_headers=auth,
    )
    rp.add(api, "/v1/standings", query={"season": "2024"}, file=bdl / "standings_season2024.json", require_headers=auth)
    rp.add(
        api,
        "/v1/stats",
        query={"dates[]": "2025-06-22"},
        file=bdl / "stats_game18444564_2025-06-22.json",
        require_headers=auth,
    )

    oa = "api.the-odds-api.com"
    events_file = odds / "historical_events_2024-01-25T035540Z.json"
    lines_file = odds / "historical_event_odds_spreads_totals_ATL-GSW_2024-01-25T035540Z.json"
    q = dict(headers=ODDS_QUOTA_HEADERS, require_query=key)
    rp.add(oa, "/v4/historical/sports/basketball_nba/events", query={"date": ODDS_SNAPSHOT}, file=events_file, **q)
    his_odds = f"/v4/historical/sports/basketball_nba/events/{ODDS_EVENT_ATL_GSW}/odds"
    rp.add(oa, his_odds, query={"date": ODDS_SNAPSHOT, "markets": "spreads,totals"}, file=lines_file, **q)
    props = "player_points,player_rebounds,player_assists"
    rp.add(oa, his_odds, query={"date": ODDS_SNAPSHOT, "markets": props}, file=lines_file, **q)
    rp.add(oa, "/v4/sports/basketball_nba/events", file=events_file, transform=historical_data, **q)
    live_odds = f"/v4/sports/basketball_nba/events/{ODDS_EVENT_ATL_GSW}/odds"
    rp.add(oa, live_odds, file=lines_file, transform=historical_data, **q)

    sched = upstream / "nbacom_cdn"
    rp.add(
        "stats.nba.com",
        "/stats/scheduleleaguev2int",
        query={"LeagueID": "00", "Season": "2024-25"},
        file=sched / "scheduleleaguev2_2024-25_full.json.gz",
        require_headers={"x-nba-stats-origin": "stats", "x-nba-stats-token": "true", "Referer": None},
    )
    rp.add(
        "cdn.nba.com",
        "/static/json/staticData/scheduleLeagueV2_1.json",
        file=sched / "scheduleLeagueV2_1_2025-26_as_of_2025-07-17.json",
        require_headers={"Origin": "https://www.nba.com", "User-Agent": None},
    )
    return rp
