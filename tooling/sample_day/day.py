"""The sample day: every upstream answer of one operational day, as routes for the replay server.

`build(d)` generates the day's world (tooling.sample_day.world) and renders, for every scraper the default
workflows call, the answer at the scraper's real URL; `install(rp, day)` adds those routes to a
`tooling.local.replay.Replay`. Nothing is read from disk or from the network and nothing depends on the wall
clock: the same date gives the same bytes.

Routes check what the real upstream would refuse (answering 401 otherwise): balldontlie's Authorization
header, the Odds API's apiKey parameter, stats.nba.com's and cdn.nba.com's browser headers. Where a
parameter selects the document (season, date, game id, markets) the route matches on it, so a scraper that
asks for the wrong thing gets the replay's 404, not a wrong answer; where it does not (the Odds API's
commence-time window) the route matches on the path only.

Injected upstream faults (deterministic, listed in `SampleDay.faults` for the simulation report):
1. transient: the first /box_scores request of the date answers 503 with Retry-After: 1; the HTTP layer's
   retry (same request) gets the 200, so bdl_box_scores succeeds with one retry recorded.
2. missing recording: the BigDataBall CSV of the date's last game is listed by Google Drive (files.list) but
   its content was never recorded: files.get?alt=media has no route and answers the replay's 404, so that
   bigdataball_pbp run ends as a logged `failed` row (http_404); the other games succeed. (Why BigDataBall:
   NBA.com's CDN and PDF hosts answer 403/404 for documents not published yet, which the scrapers rightly
   record as no_data, and a failed run of a `critical` scraper would fail the day's checks; BigDataBall is
   neither, and a listed file that cannot be downloaded is a genuine failure.)
(The third fault of the simulation, a crash between the file write and the notification, is injected in the
scrapers service by the simulation itself, not here.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from shared.nba.injury_slots import slots_of_day
from shared.nba.schedule import Game
from shared.nba.teams import TEAMS
from tooling.sample_day import bbref, bdl, bigdataball, nba, odds, reports
from tooling.sample_day.teams import team
from tooling.sample_day.world import World, build_world

if TYPE_CHECKING:
    from tooling.local.replay import Replay

DEFAULT_DATE = date(2025, 1, 15)

JSON = "application/json; charset=utf-8"
STATS_HEADERS: dict[str, str | None] = {"x-nba-stats-origin": "stats", "x-nba-stats-token": "true", "Referer": None}
CDN_HEADERS: dict[str, str | None] = {"Origin": "https://www.nba.com", "User-Agent": None}
BDL_AUTH: dict[str, str | None] = {"Authorization": None}
ODDS_KEY: dict[str, str | None] = {"apiKey": None}


def _markets(kind: str) -> str:
    """The markets the live odds calls ask for (settings.yaml `odds:`), as the replay matches them."""
    from shared.config import get_config

    odds_cfg = get_config().odds
    return ",".join(odds_cfg.prop_markets if kind == "props" else odds_cfg.line_markets)


PROPS_MARKETS = _markets("props")
LINES_MARKETS = _markets("lines")


@dataclass(frozen=True)
class Answer:
    """One reply of a route (fields of tooling.local.replay.Reply)."""

    status: int = 200
    body: bytes = b""
    content_type: str = JSON
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class RouteDef:
    """One replay route: the scraper it serves, where, and its answers in order (the last one repeats)."""

    scraper: str
    host: str
    path: str
    answers: tuple[Answer, ...]
    query: tuple[tuple[str, str], ...] = ()
    require_headers: tuple[tuple[str, str | None], ...] = ()
    require_query: tuple[tuple[str, str | None], ...] = ()

    @property
    def url(self) -> str:
        q = "&".join(f"{k}={v}" for k, v in self.query)
        return f"https://{self.host}{self.path}" + (f"?{q}" if q else "")


@dataclass(frozen=True)
class Fault:
    """An upstream fault the sample day injects, and the outcome the pipeline must reach."""

    kind: str  # "transient" | "missing_recording"
    scraper: str
    target: str  # the upstream URL concerned
    injected: str
    expected: str
    params: tuple[tuple[str, str], ...] = ()  # the request parameters that hit it

    def __str__(self) -> str:
        return f"{self.kind}: {self.scraper} {self.target}: {self.injected}; expected: {self.expected}"


@dataclass
class SampleDay:
    date: date
    season: str
    world: World
    games: list[Game]  # the games of the date (what the schedule says)
    schedule_games: list[Game]  # every game in the schedule document (date - 1, date, date + 1)
    routes: list[RouteDef]
    faults: list[Fault]
    env: dict[str, str] = field(default_factory=dict)  # extra environment for the scrapers (none needed)

    def routes_for(self, scraper: str) -> list[RouteDef]:
        return [r for r in self.routes if r.scraper == scraper]

    def body(self, scraper: str, path: str | None = None, **query: str) -> bytes:
        """The (last) answer body of `scraper`'s route at `path` whose query contains `query` (tests, tools)."""
        for r in self.routes_for(scraper):
            if (path is None or r.path == path) and all(dict(r.query).get(k) == v for k, v in query.items()):
                return r.answers[-1].body
        raise KeyError(f"no {scraper} route at {path} with {query}")


def _route(
    scraper: str,
    host: str,
    path: str,
    *answers: Answer,
    query: dict[str, str] | None = None,
    headers: dict[str, str | None] | None = None,
    params: dict[str, str | None] | None = None,
) -> RouteDef:
    return RouteDef(
        scraper=scraper,
        host=host,
        path=path,
        answers=tuple(answers),
        query=tuple((query or {}).items()),
        require_headers=tuple((headers or {}).items()),
        require_query=tuple((params or {}).items()),
    )


def _ok(body: bytes, content_type: str = JSON, headers: dict[str, str] | None = None) -> Answer:
    return Answer(200, body, content_type, tuple((headers or {}).items()))


def _snapshot_times(gd: Any) -> list[Any]:
    """The ticks at which the controller snapshots this game's lines (rules.tip_slot_ticks, every
    game_tip_offsets workflow), in order: the odds answers follow them."""
    from shared import rules
    from shared.config import get_config

    cfg = get_config()
    out = []
    for wf in cfg.enabled_workflows():
        if wf.decision_type == "game_tip_offsets":
            out += [t for _, _, t in rules.tip_slot_ticks(cfg, wf, gd.game.game_date, [gd.game])]
    return sorted(set(out))


# Sources whose answers `build(skew=...)` can distort (a simulated faulty source: `simulate --source-skew`).
SKEWABLE = ("balldontlie",)


def build(d: date = DEFAULT_DATE, skew: dict[str, float] | None = None) -> SampleDay:
    """The sample day of date `d` (deterministic: seeded by the date and its season, no wall clock).
    `skew` (source -> factor): that source's box scores report minutes and points times the factor."""
    skew = dict(skew or {})
    unknown = sorted(set(skew) - set(SKEWABLE))
    if unknown:
        raise ValueError(f"cannot skew {', '.join(unknown)} (skewable: {', '.join(SKEWABLE)})")
    w = build_world(d)
    ymd = f"{d:%Y%m%d}"
    routes: list[RouteDef] = []
    add = routes.append
    stats, cdn = "stats.nba.com", "cdn.nba.com"

    # ---- morning_operations
    schedule = nba.schedule(w)
    add(_route("nbac_schedule_api", stats, "/stats/scheduleleaguev2int", _ok(schedule),
               query={"LeagueID": "00", "Season": w.season}, headers=STATS_HEADERS))  # fmt: skip
    add(_route("nbac_schedule_cdn", cdn, "/static/json/staticData/scheduleLeagueV2_1.json", _ok(schedule),
               headers=CDN_HEADERS))  # fmt: skip
    add(_route("nbac_player_list", stats, "/stats/playerindex", _ok(nba.player_index(w)),
               query={"LeagueID": "00", "Season": w.season}, headers=STATS_HEADERS))  # fmt: skip
    html = "text/html; charset=UTF-8"
    for tri in TEAMS:
        path = f"/teams/{team(tri).br_code}/{w.season_start + 1}.html"
        add(_route("br_season_roster", "www.basketball-reference.com", path, _ok(bbref.roster_page(w, tri), html)))
    bdl_api = "api.balldontlie.io"
    add(_route("bdl_standings", bdl_api, "/v1/standings", _ok(bdl.standings(w)),
               query={"season": str(w.season_start)}, headers=BDL_AUTH))  # fmt: skip
    for cursor, body in bdl.active_players_pages(w):
        q = {"per_page": "100", **({"cursor": cursor} if cursor else {})}
        add(_route("bdl_active_players", bdl_api, "/v1/players/active", _ok(body), query=q, headers=BDL_AUTH))

    # ---- betting_lines
    odds_api = "api.the-odds-api.com"
    add(_route("oddsa_events", odds_api, "/v4/sports/basketball_nba/events",
               _ok(odds.events(w), "application/json", odds.quota_headers(0)), params=ODDS_KEY))  # fmt: skip
    n_props, n_lines = len(PROPS_MARKETS.split(",")), len(LINES_MARKETS.split(","))
    for gd in w.game_days:
        path = f"/v4/sports/basketball_nba/events/{gd.event_id}/odds"
        # one answer per line snapshot the controller takes of this game, lines moving from one to the next
        times = _snapshot_times(gd) or [None]
        props = [
            _ok(odds.player_props(gd, t, k), "application/json", odds.quota_headers(n_props))
            for k, t in enumerate(times)
        ]
        lines = [
            _ok(odds.game_lines(gd, t, k), "application/json", odds.quota_headers(n_lines)) for k, t in enumerate(times)
        ]
        add(_route("oddsa_player_props", odds_api, path, *props, query={"markets": PROPS_MARKETS}, params=ODDS_KEY))
        add(_route("oddsa_game_lines", odds_api, path, *lines, query={"markets": LINES_MARKETS}, params=ODDS_KEY))

    # ---- post-game windows
    unavailable = Answer(
        503,
        b"<html><head><title>503 Service Temporarily Unavailable</title></head><body><center>"
        b"<h1>503 Service Temporarily Unavailable</h1></center></body></html>",
        "text/html",
        (("Retry-After", "1"),),
    )
    bdl_box = _ok(bdl.box_scores(w, skew.get("balldontlie", 1.0)))
    add(_route("bdl_box_scores", bdl_api, "/v1/box_scores", unavailable, bdl_box,
               query={"date": d.isoformat()}, headers=BDL_AUTH))  # fmt: skip
    for gd in w.game_days:
        # one boxscoretraditionalv3 answer per game, read by both NBA.com stats box score scrapers
        v3 = _ok(nba.boxscore_traditional_v3(gd))
        for name in ("nbac_team_boxscore", "nbac_player_boxscore"):
            add(_route(name, stats, "/stats/boxscoretraditionalv3", v3, query={"GameID": gd.game.game_id},
                       headers=STATS_HEADERS))  # fmt: skip
        path = f"/static/json/liveData/boxscore/boxscore_{gd.game.game_id}.json"
        add(_route("nbac_cdn_boxscore", cdn, path, _ok(nba.boxscore_live(gd)), headers=CDN_HEADERS))
    for gd in w.game_days:
        path = f"/static/json/liveData/playbyplay/playbyplay_{gd.game.game_id}.json"
        add(_route("nbac_play_by_play", cdn, path, _ok(nba.play_by_play(gd)), headers=CDN_HEADERS))
    for gd in w.game_days:
        path = f"/pdfs/{ymd}/{ymd}_{gd.away}{gd.home}_book.pdf"
        add(_route("nbac_gamebook_pdf", "statsdmz.nba.com", path, _ok(reports.gamebook(w, gd), "application/pdf")))
    missing = max(w.game_days, key=lambda gd: (gd.game.commence_utc, gd.game.game_id))
    routes.extend(bigdataball_routes(w, missing=missing.game.game_id))

    # ---- discovery: every report of the date, named in its era (any other name answers the replay's 404)
    for slot in slots_of_day(d):
        pdf = _ok(reports.injury_report(w, slot), "application/pdf")
        add(_route("nbac_injury_report", "ak-static.cms.nba.com", f"/referee/injury/{slot.file_name}", pdf))
    add(_route("nbac_referee_assignments", "official.nba.com", "/wp-json/api/v1/get-game-officials",
               _ok(nba.referee_assignments(w)), query={"date": d.isoformat()}))  # fmt: skip

    missing_file = bigdataball.drive_file_id(w, missing)
    faults = [
        Fault(
            kind="transient",
            scraper="bdl_box_scores",
            target=f"https://{bdl_api}/v1/box_scores?date={d.isoformat()}",
            injected="the first request answers 503 (Retry-After: 1), later ones 200",
            expected="success after 1 retry inside the same run (retry_count 1)",
            params=(("date", d.isoformat()),),
        ),
        Fault(
            kind="missing_recording",
            scraper="bigdataball_pbp",
            target=f"https://{DRIVE}{DRIVE_FILES}/{missing_file}?alt=media",
            injected=(
                f"Drive lists {bigdataball.file_name(missing)} but its content was not recorded: files.get answers 404"
            ),
            expected=f"a logged failed run (http_404) for game {missing.game.game_id}; the other games succeed",
            params=(("game_id", missing.game.game_id), ("date", d.isoformat())),
        ),
    ]
    return SampleDay(
        date=d,
        season=w.season,
        world=w,
        games=list(w.games),
        schedule_games=[*w.games_before, *w.games, *w.games_after],
        routes=routes,
        faults=faults,
    )


DRIVE = "www.googleapis.com"
DRIVE_FILES = "/drive/v3/files"


def bigdataball_routes(w: World, *, missing: str | None = None) -> list[RouteDef]:
    """Google Drive v3 for bigdataball_pbp: files.list answers the shared folder's files of the date (the
    replay cannot evaluate Drive's `q` syntax, so it lists them all; the scraper picks its game's CSV by name,
    which it must do anyway), and files.get?alt=media serves each CSV, except game `missing`'s (a fault)."""
    auth: dict[str, str | None] = {"Authorization": None}
    csvs = {gd.game.game_id: bigdataball.pbp_csv(w, gd) for gd in w.game_days}
    listing = _ok(bigdataball.listing(w, csvs), "application/json; charset=UTF-8")
    routes = [_route("bigdataball_pbp", DRIVE, DRIVE_FILES, listing, headers=auth)]
    for gd in w.game_days:
        if gd.game.game_id == missing:
            continue
        path = f"{DRIVE_FILES}/{bigdataball.drive_file_id(w, gd)}"
        csv = _ok(csvs[gd.game.game_id], "text/csv")
        routes.append(_route("bigdataball_pbp", DRIVE, path, csv, query={"alt": "media"}, headers=auth))
    return routes


def install(rp: Replay, day: SampleDay) -> Replay:
    """Add every route of `day` to the replay server `rp` (later routes of a test can still override)."""
    from tooling.local.replay import Reply

    for r in day.routes:
        rp.add(
            r.host,
            r.path,
            query=dict(r.query) or None,
            replies=[Reply(a.status, a.body, headers=dict(a.headers), content_type=a.content_type) for a in r.answers],
            require_headers=dict(r.require_headers) or None,
            require_query=dict(r.require_query) or None,
        )
    return rp
