"""The sample day's documents, read by the product's own parsers (pure: no emulators, no HTTP).

Every answer must parse with the parser its scraper uses and say exactly what the generated world says; and
every source must tell the same story: the same games (ids, codes, matchups, tip-offs) in the schedule, the
odds, the box scores, the play-by-play, the gamebooks, the injury report and the referee assignments, and
the same players for a team everywhere.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

import pytest

from shared.config import get_config
from shared.nba.injury_slots import QUARTER_HOURLY_FROM, slots_of_day
from shared.nba.schedule import parse_schedule
from shared.nba.teams import TEAMS, br_code, tricode_for_name
from shared.parsers import balldontlie, basketball_reference, bigdataball, nba_officials, nbacom_cdn, nbacom_stats
from shared.parsers import odds_api as odds_parser
from shared.parsers.nba_gamebook import gamebook_pdf_info, parse_gamebook_pdf
from shared.parsers.nba_injury_report import parse_injury_report_pdf
from tooling.sample_day import DEFAULT_DATE, build, reports
from tooling.sample_day import bigdataball as bdb_docs
from tooling.sample_day.day import LINES_MARKETS, PROPS_MARKETS
from tooling.sample_day.odds import BOOKMAKERS, PROP_MARKETS, prop_players
from tooling.sample_day.teams import team

D = DEFAULT_DATE


def names_of(world, tri: str) -> set[str]:
    return {p.name for p in world.rosters[tri]}


def route_body(day, scraper: str, path: str | None = None, **query: str) -> bytes:
    return day.body(scraper, path, **query)


# ---- the day as a whole ----------------------------------------------------------------------------------


def test_default_date_and_games(day):
    assert D == date(2025, 1, 15)
    assert day.date == D and day.season == "2024-25"
    assert 6 <= len(day.games) <= 8
    for g in day.games:
        local = g.commence_utc.astimezone(get_config().timezone)
        assert g.game_date == D and local.date() == D
        assert (19, 0) <= (local.hour, local.minute) <= (22, 30)
        assert g.game_id.startswith("00224") and len(g.game_id) == 10
        assert g.game_code == f"20250115/{g.away}{g.home}"
    teams = [t for g in day.games for t in (g.home, g.away)]
    assert len(teams) == len(set(teams)), "a team plays twice on the same night"
    dates = Counter(g.game_date for g in day.schedule_games)
    assert set(dates) == {D - timedelta(days=1), D, D + timedelta(days=1)}


def test_every_scraper_of_the_default_workflows_has_routes(day):
    cfg = get_config()
    called = {s for wf in cfg.workflows.values() for s in wf.scrapers}
    assert called == {
        "nbac_schedule_api", "nbac_player_list", "br_season_roster", "bdl_standings", "bdl_active_players",
        "oddsa_events", "oddsa_player_props", "oddsa_game_lines", "bdl_box_scores", "nbac_team_boxscore",
        "nbac_player_boxscore", "nbac_cdn_boxscore", "bigdataball_pbp", "nbac_play_by_play", "nbac_gamebook_pdf",
        "nbac_injury_report", "nbac_referee_assignments",
    }  # fmt: skip
    for scraper in called:
        assert day.routes_for(scraper), f"no sample-day answer for {scraper}"
    for r in day.routes:
        assert r.scraper in cfg.scrapers, f"route for an unknown scraper {r.scraper}"


def test_build_is_deterministic_byte_for_byte():
    a, b = build(D), build(D)
    assert a.routes == b.routes
    assert [str(f) for f in a.faults] == [str(f) for f in b.faults]
    other = build(D + timedelta(days=1))
    assert other.routes != a.routes
    # The day after shows the same players (rosters belong to the season) but other games.
    assert {p.name for p in other.world.players} == {p.name for p in a.world.players}
    assert {g.game_id for g in other.games}.isdisjoint({g.game_id for g in a.games})


@pytest.mark.parametrize("d", [date(2024, 11, 2), date(2025, 3, 9), date(2025, 4, 13)])
def test_other_dates_build_and_parse(d):
    day = build(d)
    sched = parse_schedule(json.loads(route_body(day, "nbac_schedule_api")))
    assert [g.game_id for g in sched if g.game_date == d] == [g.game_id for g in day.games]
    assert balldontlie.summarize_box_scores(route_body(day, "bdl_box_scores"))["summary"]["game_count"] == len(
        day.games
    )


def test_faults_are_described(day):
    kinds = {f.kind: f for f in day.faults}
    assert set(kinds) == {"transient", "missing_recording"}
    transient = kinds["transient"]
    assert transient.scraper == "bdl_box_scores"
    (route,) = day.routes_for("bdl_box_scores")
    assert [a.status for a in route.answers] == [503, 200]
    assert dict(route.answers[0].headers) == {"Retry-After": "1"}
    missing = kinds["missing_recording"]
    assert missing.scraper == "bigdataball_pbp"
    gid = dict(missing.params)["game_id"]
    media = [r for r in day.routes_for("bigdataball_pbp") if dict(r.query).get("alt") == "media"]
    assert len(media) == len(day.games) - 1
    assert all(gid not in r.path for r in media)
    assert gid in str(missing) and "404" in str(missing)


# ---- morning_operations ------------------------------------------------------------------------------------


def test_schedule(day, world):
    doc = json.loads(route_body(day, "nbac_schedule_api"))
    games = parse_schedule(doc)
    assert games == sorted(day.schedule_games, key=lambda g: (g.commence_utc, g.game_id))
    assert [g for g in games if g.game_date == D] == day.games
    # The NBA.com quirk is kept: gameDateTimeEst is ET wall time with a Z.
    first = next(
        g for gd in doc["leagueSchedule"]["gameDates"] for g in gd["games"] if g["gameId"] == day.games[0].game_id
    )
    local = day.games[0].commence_utc.astimezone(get_config().timezone)
    assert first["gameDateTimeEst"] == f"{local:%Y-%m-%dT%H:%M}:00Z"
    out = nbacom_cdn.parse_schedule(route_body(day, "nbac_schedule_api"), game_date=D.isoformat())
    assert out["summary"]["by_status"] == {"1": len(day.games)}
    before = nbacom_cdn.parse_schedule(route_body(day, "nbac_schedule_api"), game_date=str(D - timedelta(days=1)))
    assert {r["game_id"]: (r["home_score"], r["away_score"]) for r in before["records"]} == world.final_scores_before
    assert route_body(day, "nbac_schedule_cdn") == route_body(day, "nbac_schedule_api")


def test_player_index_and_rosters_agree_everywhere(day, world):
    idx = nbacom_stats.parse_player_list(route_body(day, "nbac_player_list", Season="2024-25"))
    assert idx["summary"] == {"season": "2024-25", "player_count": 390, "team_count": 30, "rostered_count": 390}
    by_team_idx: dict[int, set[str]] = {}
    for r in idx["records"]:
        by_team_idx.setdefault(r["team_id"], set()).add(r["player_name"])
    pages = [body for r in day.routes_for("bdl_active_players") for body in [r.answers[-1].body]]
    active = balldontlie.parse_active_players(pages)
    assert active["summary"]["player_count"] == 390 and active["summary"]["pages"] == len(pages) >= 2
    by_team_bdl: dict[str, set[str]] = {}
    for r in active["records"]:
        by_team_bdl.setdefault(r["team"], set()).add(r["player_name"])
    for tri in TEAMS:
        path = f"/teams/{br_code(tri)}/2025.html"
        roster = basketball_reference.parse_season_roster(
            route_body(day, "br_season_roster", path), br_code(tri), season=2025
        )
        br_names = {r["player"] for r in roster["records"]}
        assert br_names == by_team_idx[team(tri).nba_id] == by_team_bdl[tri] == names_of(world, tri), tri
        assert sum(r["two_way"] for r in roster["records"]) == 1


def test_active_players_cursor_pages(day):
    routes = day.routes_for("bdl_active_players")
    cursors = [dict(r.query).get("cursor") for r in routes]
    assert cursors[0] is None and all(cursors[1:])
    for k, r in enumerate(routes):
        page = json.loads(r.answers[-1].body)
        assert len(page["data"]) <= 100 == page["meta"]["per_page"]
        nxt = page["meta"].get("next_cursor")
        assert nxt == (int(cursors[k + 1]) if k + 1 < len(routes) else None)


def test_standings(day, world):
    out = balldontlie.parse_standings(route_body(day, "bdl_standings", season="2024"))
    assert out["summary"]["team_count"] == 30 and out["summary"]["season"] == 2024
    for rec in out["records"]:
        assert (rec["wins"], rec["losses"]) == (world.records[rec["team"]].wins, world.records[rec["team"]].losses)
        hw, hl = (int(x) for x in rec["home_record"].split("-"))
        rw, rl = (int(x) for x in rec["road_record"].split("-"))
        assert (hw + rw, hl + rl) == (rec["wins"], rec["losses"])
    for conf in ("East", "West"):
        ranks = sorted(r["conference_rank"] for r in out["records"] if r["conference"] == conf)
        assert ranks == list(range(1, 16))


# ---- betting_lines -----------------------------------------------------------------------------------------


def test_odds_events_are_the_schedule_games(day):
    events = odds_parser.parse_events(route_body(day, "oddsa_events"))["records"]
    seen = {(tricode_for_name(e["away_team"]), tricode_for_name(e["home_team"]), e["commence_time"]) for e in events}
    want = {(g.away, g.home, g.commence_utc.strftime("%Y-%m-%dT%H:%M:%SZ")) for g in day.games}
    assert seen == want
    for e in events:
        path = f"/v4/sports/basketball_nba/events/{e['event_id']}/odds"
        props = odds_parser.parse_event_odds(route_body(day, "oddsa_player_props", path, markets=PROPS_MARKETS))
        lines = odds_parser.parse_event_odds(route_body(day, "oddsa_game_lines", path, markets=LINES_MARKETS))
        assert props["summary"]["markets"] == sorted(PROP_MARKETS)
        assert lines["summary"]["markets"] == ["h2h", "spreads", "totals"]
        assert lines["summary"]["outcome_count"] == 3 * len(BOOKMAKERS) * 2  # h2h, spreads, totals
        for rec in lines["records"] + props["records"]:
            assert (rec["event_id"], rec["home_team"], rec["away_team"]) == (
                e["event_id"],
                e["home_team"],
                e["away_team"],
            )
            assert isinstance(rec["price"], int), "oddsFormat=american prices are integers"


def test_props_only_for_players_expected_to_play(day, world):
    for gd in world.game_days:
        path = f"/v4/sports/basketball_nba/events/{gd.event_id}/odds"
        props = odds_parser.parse_event_odds(route_body(day, "oddsa_player_props", path, markets=PROPS_MARKETS))
        players = {r["description"] for r in props["records"]}
        assert players == {p.name for p in prop_players(gd)}
        assert props["summary"]["outcome_count"] == len(players) * len(PROP_MARKETS) * len(BOOKMAKERS) * 2
        out = {i.player.name for tri in (gd.home, gd.away) for i in gd.inactive[tri]}
        assert not players & out
        assert players <= names_of(world, gd.home) | names_of(world, gd.away)


# ---- post-game windows ---------------------------------------------------------------------------------------


def test_balldontlie_box_scores(day, world):
    out = balldontlie.summarize_box_scores(route_body(day, "bdl_box_scores", date=D.isoformat()))
    assert out["summary"]["game_count"] == len(day.games) and out["summary"]["statuses"] == {"Final": len(day.games)}
    got = {(r["away_team"], r["home_team"]): (r["away_score"], r["home_score"]) for r in out["records"]}
    assert got == {(gd.away, gd.home): (gd.away_score, gd.home_score) for gd in world.game_days}
    doc = json.loads(route_body(day, "bdl_box_scores", date=D.isoformat()))
    for game in doc["data"]:
        for side in ("home_team", "visitor_team"):
            t = game[side]
            names = {f"{p['player']['first_name']} {p['player']['last_name']}" for p in t["players"]}
            assert names == names_of(world, t["abbreviation"])  # every rostered player, inactive ones at "00"
            assert sum(p["pts"] for p in t["players"]) == game[f"{side}_score"]


def test_stats_v3_box_scores(day, world):
    for gd in world.game_days:
        gid = gd.game.game_id
        raw = route_body(day, "nbac_team_boxscore", GameID=gid)
        assert route_body(day, "nbac_player_boxscore", GameID=gid) == raw  # one answer, two scrapers
        box = nbacom_stats.parse_boxscore_traditional_v3(raw)
        s = box["summary"]
        assert s["game_id"] == gid and s["teams"] == sorted([gd.home, gd.away])
        assert s["team_points"] == s["player_points"] == {gd.home: gd.home_score, gd.away: gd.away_score}
        assert s["players_played"] == len(gd.played(gd.home)) + len(gd.played(gd.away))
        for t in box["teams"]:
            assert t["minutes"] == "240:00"
        for tri in (gd.home, gd.away):
            rows = [r for r in box["records"] if r["team_tricode"] == tri]
            assert {r["player_name"] for r in rows if r["played"]} == {ln.player.name for ln in gd.played(tri)}
            dnp = {r["player_name"]: r["comment"] for r in rows if not r["played"]}
            assert dnp == {ln.player.name: "DNP - Coach's Decision" for ln in gd.dnp(tri)}
            assert sum(r["starter"] for r in rows) == 5
            assert not {r["player_name"] for r in rows} & {i.player.name for i in gd.inactive[tri]}  # not listed
        halves = {(r["team_tricode"], r["starters_bench"]): r["points"] for r in box["starter_bench"]}
        assert halves[(gd.home, "starters")] + halves[(gd.home, "bench")] == gd.home_score


def test_cdn_live_box_scores(day, world):
    officials = {
        r["game_id"]: [o["name"] for o in r["officials"]]
        for r in nba_officials.parse_game_officials(route_body(day, "nbac_referee_assignments"))["records"]
    }
    for gd in world.game_days:
        gid = gd.game.game_id
        raw = route_body(day, "nbac_cdn_boxscore", f"/static/json/liveData/boxscore/boxscore_{gid}.json")
        out = nbacom_cdn.parse_boxscore_live(raw)
        s = out["summary"]
        assert (s["game_id"], s["game_code"], s["final"], s["overtime_periods"]) == (gid, gd.game.game_code, True, 0)
        assert s["player_points"] == {gd.home: gd.home_score, gd.away: gd.away_score}
        for key, tri in (("home_team", gd.home), ("away_team", gd.away)):
            assert s[key]["team_tricode"] == tri and s[key]["score"] == gd.score(tri)
            assert sum(p["score"] for p in s[key]["periods"]) == gd.score(tri) and len(s[key]["periods"]) == 4
        assert s["players_played"] == len(gd.played(gd.home)) + len(gd.played(gd.away))
        assert s["officials"] == officials[gid] and s["arena"] == gd.arena
        inactive = {(i.player.name, i.reason) for tri in (gd.home, gd.away) for i in gd.inactive[tri]}
        assert s["inactive_count"] == len(inactive)
        for x in s["not_playing"]:
            reason = next(r for name, r in inactive if name == x["name"])
            if reason.startswith("Injury/Illness - "):
                assert (x["not_playing_reason"], x["not_playing_description"]) == (
                    "INACTIVE_INJURY",
                    reason.removeprefix("Injury/Illness - "),
                )
            else:
                assert x["not_playing_reason"].startswith("INACTIVE_GLEAGUE_")
        # the same players as the stats box score, plus the inactive ones
        v3 = nbacom_stats.parse_boxscore_traditional_v3(route_body(day, "nbac_team_boxscore", GameID=gid))
        assert {r["name"] for r in out["records"]} == {r["player_name"] for r in v3["records"]} | {
            n for n, _ in inactive
        }


def test_play_by_play_and_bigdataball(day, world):
    listing = json.loads(route_body(day, "bigdataball_pbp", "/drive/v3/files"))
    by_name = {f["name"]: f for f in listing["files"]}
    for gd in world.game_days:
        path = f"/static/json/liveData/playbyplay/playbyplay_{gd.game.game_id}.json"
        pbp = nbacom_cdn.parse_play_by_play(route_body(day, "nbac_play_by_play", path))
        s = pbp["summary"]
        assert s["game_id"] == gd.game.game_id and s["has_game_end"] and s["final_period"] == 4
        assert s["final_score"] == {"home": gd.home_score, "away": gd.away_score}
        by_team = Counter()
        for r in pbp["records"]:
            if r["action_type"] in ("2pt", "3pt", "freethrow") and r["shot_result"] == "Made":
                by_team[r["team_tricode"]] += {"2pt": 2, "3pt": 3, "freethrow": 1}[r["action_type"]]
        assert by_team == {gd.home: gd.home_score, gd.away: gd.away_score}
        ids = {p.person_id for tri in (gd.home, gd.away) for p in world.rosters[tri]}
        assert {r["person_id"] for r in pbp["records"] if r["person_id"]} <= ids
        csv = bdb_docs.pbp_csv(world, gd)
        b = bigdataball.parse_pbp_csv(csv)["summary"]
        assert (b["nba_game_id"], b["away_team"], b["home_team"]) == (gd.game.game_id, gd.away, gd.home)
        assert b["final_score"] == {"away": gd.away_score, "home": gd.home_score}
        assert b["row_count"] == len(gd.actions)
        f = by_name[bdb_docs.file_name(gd)]
        assert int(f["size"]) == len(csv) and gd.game.game_id in f["name"]
    assert sum("combined-stats" in n for n in by_name) == 1


def test_gamebooks(day, world):
    officials = {
        r["game_id"]: [o["name"] for o in r["officials"]]
        for r in nba_officials.parse_game_officials(route_body(day, "nbac_referee_assignments"))["records"]
    }
    for gd in world.game_days:
        ymd = f"{D:%Y%m%d}"
        pdf = route_body(day, "nbac_gamebook_pdf", f"/pdfs/{ymd}/{ymd}_{gd.away}{gd.home}_book.pdf")
        out = parse_gamebook_pdf(pdf)
        s = out["summary"]
        away, home = team(gd.away), team(gd.home)
        assert (s["away_team"], s["home_team"]) == (away.full_name, home.full_name)
        assert s["game_date"] == D.isoformat() and s["arena"] == home.arena
        assert s["points_from_player_lines"] == {away.full_name: gd.away_score, home.full_name: gd.home_score}
        assert s["unparsed_lines"] == []
        assert [o["name"] for o in s["officials"]] == officials[gd.game.game_id]
        assert s["active_count"] == len(gd.played(gd.home)) + len(gd.played(gd.away))
        assert s["did_not_play_count"] == len(gd.dnp(gd.home)) + len(gd.dnp(gd.away))
        assert s["inactive_count"] == len(gd.inactive[gd.home]) + len(gd.inactive[gd.away])
        assert s["away_record"] == world.record_after(gd.away).text
        info = gamebook_pdf_info(pdf)
        assert (info["away_team_nickname"], info["home_team_nickname"]) == (away.nickname, home.nickname)


# ---- discovery -----------------------------------------------------------------------------------------------


# 2025-01-15 (the default), 2025-01-31 (hourly too, a reason cut by a page break), 2026-01-11 (15-minute
# names, a reason cut by a page break).
INJURY_DATES = (D, date(2025, 1, 31), date(2026, 1, 11))


@pytest.fixture(scope="module", params=INJURY_DATES, ids=str)
def injury_day(request, day):
    return day if request.param == D else build(request.param)


def test_injury_reports_every_slot_in_the_dates_naming_era(injury_day):
    d, w = injury_day.date, injury_day.world
    routes = injury_day.routes_for("nbac_injury_report")
    slots = slots_of_day(d)
    assert len(routes) == (24 if d < QUARTER_HOURLY_FROM else 96) == len(slots)
    assert [r.path for r in routes] == [f"/referee/injury/{s.file_name}" for s in slots]
    matchups = sorted(f"{g.away}@{g.home}" for g in injury_day.games)
    late = max(w.game_days, key=lambda gd: (gd.game.commence_utc, gd.game.game_id))
    cut = 0
    for r, slot in zip(routes, slots, strict=True):
        (answer,) = r.answers
        h24 = slot.local.hour
        assert answer.status == 200  # every slot is published; early ones have no player row yet
        out = parse_injury_report_pdf(answer.body, report_date=d.isoformat())
        s = out["summary"]
        assert s["report_datetime_et"] == slot.printed_et  # hh:30 for hourly names, the name's time after
        assert s["matchups"] == matchups and s["anomalies"] == []
        expected = [
            i for gd in w.game_days for tri in (gd.away, gd.home) for i in gd.injuries[tri]
            if h24 >= reports.FIRST_SUBMITTED_HOUR and not (gd is late and h24 < reports.ALL_SUBMITTED_HOUR)
        ]  # fmt: skip
        assert s["player_count"] == len(expected)
        teams_waiting = 2 * len(w.game_days) if h24 < reports.FIRST_SUBMITTED_HOUR else 2
        assert s["not_yet_submitted_count"] == (teams_waiting if h24 < reports.ALL_SUBMITTED_HOUR else 0)
        # The late scratch is listed Questionable until SCRATCH_HOUR, then with his status (issue 18).
        scratch = reports.late_scratch(w)
        shown = [("Questionable" if i is scratch and h24 < reports.SCRATCH_HOUR else i.status) for i in expected]
        assert sorted((x["player_name"], x["status"], x["reason"]) for x in out["records"]) == sorted(
            (i.player.name, st, i.reason) for i, st in zip(expected, shown, strict=True)
        )
        for rec in out["records"]:
            assert rec["player_name"] in names_of(w, next(t for t in TEAMS if team(t).full_name == rec["team"]))
        cut += _reason_cut_by_page_break(answer.body)
    assert cut > 0 or d == D  # the dates other than the default were chosen for a reason cut by a page break
    assert scratch is not None and scratch.status in ("Out", "Doubtful")


def _reason_cut_by_page_break(pdf: bytes) -> bool:
    """A page after the first starts with a reason's second line (above its first row, as the real ones)."""
    from shared.parsers._pdf import open_pdf, page_words

    pages = open_pdf(pdf, source="test").pages[1:]
    return any(any(abs(w.top - 87.92) < 0.1 for w in page_words(p)) for p in pages)


def test_an_empty_report_has_its_title_and_no_row():
    from datetime import datetime

    from shared.timeutil import ET

    pdf = reports.render_injury_report(datetime(2026, 2, 14, 17, 0, tzinfo=ET), [])
    s = parse_injury_report_pdf(pdf)["summary"]
    assert (s["report_datetime_et"], s["player_count"], s["not_yet_submitted_count"], s["game_count"]) == (
        "2026-02-14T17:00",
        0,
        0,
        0,
    )


def test_injury_report_agrees_with_the_box_scores(world):
    for gd in world.game_days:
        for tri in (gd.home, gd.away):
            played = {ln.player.person_id for ln in gd.played(tri)}
            for inj in gd.injuries[tri]:
                if inj.status in ("Out", "Doubtful"):
                    assert inj.player.person_id not in played
            assert {i.player.person_id for i in gd.inactive[tri]} == {
                i.player.person_id for i in gd.injuries[tri] if not i.plays
            }


def test_referee_assignments(day, world):
    out = nba_officials.parse_game_officials(route_body(day, "nbac_referee_assignments", date=D.isoformat()))
    s = out["summary"]
    assert s["game_date"] == D.isoformat() and s["game_count"] == len(day.games)
    assert s["games_without_officials"] == 0 and s["skipped_games"] == {"gl": 3, "wnba": 0}
    got = {(r["game_id"], r["game_code"], r["away_team"], r["home_team"]) for r in out["records"]}
    assert got == {(g.game_id, g.game_code, g.away, g.home) for g in day.games}
    crews = [o["person_id"] for r in out["records"] for o in r["officials"]]
    assert len(crews) == len(set(crews)) == 3 * len(day.games)
    names = {o["name"] for r in out["records"] for o in r["officials"]}
    assert len(s["replay_center_officials"]) == 3 and not names & set(s["replay_center_officials"])


def test_odds_answer_every_snapshot_with_moving_lines(day, world):
    """Each event answers once per line snapshot the controller takes of its game (open ... closing), stamped
    with the snapshot's tick, and the lines move between the opening and the closing answer; the latest
    tip (22:30) gets its closing answer too."""
    from shared import rules
    from shared.config import get_config

    cfg = get_config()
    wf = cfg.workflows["betting_lines"]
    late = max(world.game_days, key=lambda gd: gd.game.commence_utc)
    assert rules.hm(cfg, late.game.commence_utc) == "22:30"
    for gd in world.game_days:
        ticks = [t for _, _, t in rules.tip_slot_ticks(cfg, wf, gd.game.game_date, [gd.game])]
        path = f"/v4/sports/basketball_nba/events/{gd.event_id}/odds"
        (route,) = [r for r in day.routes if r.scraper == "oddsa_game_lines" and r.path == path]
        assert len(route.answers) == len(ticks) == 5
        docs = [odds_parser.parse_event_odds(a.body) for a in route.answers]
        stamps = {json.loads(a.body)["bookmakers"][0]["last_update"] for a in route.answers}
        assert len(stamps) == 5
        points = [tuple(r["point"] for r in d["records"] if r["point"] is not None) for d in docs]
        assert len(set(points)) > 1, "the lines move between snapshots"
