"""The HTTP layer against the replay server: routing, per-source headers and auth, retries and their waits,
timeouts, broken connections, and secrets kept out of every message. No emulators needed."""

from __future__ import annotations

import pytest

from shared.config import get_config
from shared.scrapers.errors import ScraperFailure, TransientFailure
from shared.scrapers.http import HttpClient, HttpSettings, parse_retry_after, route
from tests.replay import Reply
from tests.scrapers.conftest import BDL_KEY, ODDS_KEY

CFG = get_config()
BDL = CFG.sources["balldontlie"]
ODDS = CFG.sources["odds_api"]
API = "api.balldontlie.io"


class Sleeps(list):
    """Records the waits instead of sleeping (the figures are what matters, not the wall clock)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client() -> tuple[HttpClient, Sleeps]:
    sleeps = Sleeps()
    return HttpClient(sleep=sleeps), sleeps


def test_override_routes_host_path_and_query():
    assert route("https://api.balldontlie.io/v1/games?dates[]=2025-02-20", "http://127.0.0.1:9") == (
        "http://127.0.0.1:9/api.balldontlie.io/v1/games?dates[]=2025-02-20"
    )
    assert route("https://cdn.nba.com/x.json", None) == "https://cdn.nba.com/x.json"


def test_retry_after_header_forms():
    from datetime import UTC, datetime

    now = datetime(2025, 1, 15, 12, 0, tzinfo=UTC)
    assert parse_retry_after("7") == 7.0
    assert parse_retry_after("Wed, 15 Jan 2025 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_balldontlie_key_goes_in_the_authorization_header(replay):
    http, _ = client()
    resp = http.get("https://api.balldontlie.io/v1/box_scores?date=2024-01-15", source=BDL)
    assert resp.status == 200 and b'"data"' in resp.body
    seen = replay.seen[-1]
    assert seen.headers["authorization"] == BDL_KEY and "apiKey" not in seen.query
    assert BDL_KEY not in resp.url


def test_odds_key_goes_in_the_query_and_never_in_the_reported_url(replay):
    http, _ = client()
    url = "https://api.the-odds-api.com/v4/sports/basketball_nba/events"
    resp = http.get(url, source=ODDS, params={"commenceTimeFrom": "2024-01-24T05:00:00Z"})
    assert replay.seen[-1].query["apiKey"] == ODDS_KEY
    assert ODDS_KEY not in resp.url and "commenceTimeFrom=2024-01-24T05" in resp.url
    assert resp.headers["x-requests-remaining"] == "19880"


def test_nba_stats_gets_browser_like_headers(replay):
    http, _ = client()
    url = "https://stats.nba.com/stats/scheduleleaguev2int?LeagueID=00&Season=2024-25"
    resp = http.get(url, source=CFG.sources["nba_stats"])
    assert resp.status == 200 and len(resp.body) > 9_000_000  # gzip transfer decoded
    h = replay.seen[-1].headers
    assert h["x-nba-stats-origin"] == "stats" and h["origin"] == "https://www.nba.com"
    assert "Mozilla" in h["user-agent"]


def test_missing_key_is_a_permanent_failure(replay, monkeypatch):
    monkeypatch.delenv("BALLDONTLIE_API_KEY")
    with pytest.raises(ScraperFailure) as exc:
        client()[0].get("https://api.balldontlie.io/v1/box_scores?date=2024-01-15", source=BDL)
    assert exc.value.error_type == "missing_secret" and replay.hits(API) == 0


def test_429_with_retry_after_then_success(replay):
    replay.add(
        API,
        "/v1/standings",
        query={"season": "2023"},
        replies=[Reply(429, body='{"error":"slow down"}', headers={"Retry-After": "2"}), Reply(body='{"data":[]}')],
    )
    http, sleeps = client()
    resp = http.get("https://api.balldontlie.io/v1/standings?season=2023", source=BDL)
    assert (resp.status, resp.retries, resp.retry_waits) == (200, 1, (2.0,))
    assert sleeps == [pytest.approx(2.0 * 0.001)]  # the Retry-After, scaled for tests
    assert replay.hits(API, "/v1/standings") == 2


def test_5xx_backs_off_exponentially_then_gives_up_as_transient(replay):
    replay.add(API, "/v1/standings", query={"season": "2023"}, replies=[Reply(500, body="oops")])
    http, sleeps = client()
    with pytest.raises(TransientFailure) as exc:
        http.get("https://api.balldontlie.io/v1/standings?season=2023", source=BDL)
    assert (exc.value.error_type, exc.value.status, exc.value.retries) == ("http_500", 500, 2)
    assert replay.hits(API, "/v1/standings") == 3
    # min(4 * 2^(n-1), 15) seconds, scaled by NBA_ORCH_HTTP_BACKOFF_SCALE=0.001 (the source's 0.1 s interval too)
    assert [round(s / 0.001, 6) for s in sleeps if s > 0.0002] == [4.0, 8.0]


def test_a_retry_after_longer_than_allowed_stops_at_once(replay):
    replay.add(API, "/v1/standings", query={"season": "2023"}, status=429, headers={"Retry-After": "3600"})
    with pytest.raises(TransientFailure) as exc:
        client()[0].get("https://api.balldontlie.io/v1/standings?season=2023", source=BDL)
    assert exc.value.error_type == "http_429" and replay.hits(API, "/v1/standings") == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_other_4xx_are_permanent_and_not_retried(replay, status):
    replay.add(API, "/v1/standings", query={"season": "2023"}, status=status, body='{"error":"no"}')
    with pytest.raises(ScraperFailure) as exc:
        client()[0].get("https://api.balldontlie.io/v1/standings?season=2023", source=BDL)
    assert exc.value.error_type == f"http_{status}" and replay.hits(API, "/v1/standings") == 1


def test_timeouts_are_retried_then_transient(replay, monkeypatch):
    monkeypatch.setenv("NBA_ORCH_HTTP_TIMEOUT", "0.2")
    replay.add(API, "/v1/standings", query={"season": "2023"}, delay=1.0, body='{"data":[]}')
    with pytest.raises(TransientFailure) as exc:
        client()[0].get("https://api.balldontlie.io/v1/standings?season=2023", source=BDL)
    assert exc.value.error_type == "timeout" and replay.hits(API, "/v1/standings") == 3


def test_a_dropped_connection_is_retried_then_transient(replay):
    replay.add(API, "/v1/standings", query={"season": "2023"}, drop=True, body='{"data":[' + "1," * 500 + "1]}")
    with pytest.raises(TransientFailure) as exc:
        client()[0].get("https://api.balldontlie.io/v1/standings?season=2023", source=BDL)
    assert exc.value.error_type in ("connection_error", "timeout") and replay.hits(API, "/v1/standings") == 3


def test_odds_failures_never_carry_the_key(replay):
    url = "https://api.the-odds-api.com/v4/sports/basketball_nba/events/abcdef123456/odds?markets=spreads"
    replay.add("api.the-odds-api.com", "/v4/sports/basketball_nba/events/abcdef123456/odds", status=404, body="nope")
    with pytest.raises(ScraperFailure) as exc:
        client()[0].get(url, source=ODDS)
    assert "404" in exc.value.message and ODDS_KEY not in exc.value.message and ODDS_KEY not in str(exc.value)


def test_per_source_minimum_interval(replay):
    from dataclasses import replace

    slow = replace(BDL, min_interval_seconds=5.0)
    http, sleeps = client()
    settings = replace(HttpSettings.from_env(), backoff_scale=1.0)
    for _ in range(2):
        http.get("https://api.balldontlie.io/v1/box_scores?date=2024-01-15", source=slow, settings=settings)
    assert len(sleeps) == 1 and 4.0 < sleeps[0] <= 5.0  # the second call waited for the interval


def test_one_session_per_process():
    from shared.scrapers import http

    assert http.client() is http.client()
    assert http.client().session() is http.client().session()


def test_only_a_tunnel_answer_of_407_makes_a_proxy_error_permanent():
    """A proxy whose port holds the digits 407 (54073) is down, not refusing credentials: that stays transient."""
    from shared.scrapers.http import _TUNNEL_407

    refused = "('Unable to connect to proxy', OSError('Tunnel connection failed: 407 Proxy Authentication Required'))"
    assert _TUNNEL_407.search(refused)
    down = "HTTPConnectionPool(host='127.0.0.1', port=54073): Max retries exceeded (Caused by ProxyError('Unable to"
    assert not _TUNNEL_407.search(down + " connect to proxy', NewConnectionError('Connection refused')))")
