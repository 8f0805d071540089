"""ESPN parsers: site API scoreboard / team roster / summary, and the www.espn.com box score page.

ESPN answers unknown ids with a small JSON error document (``{"code": 404, "message": ...}``) rather
than data; every JSON parser here turns that into :class:`UpstreamError` (``status`` = ESPN's code) so
callers can treat it as "not found" instead of as a malformed payload. ESPN team abbreviations differ
from NBA tricodes (GS, NY, NO, SA, UTAH, WSH); records carry both.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from shared.parsers._common import (
    clean_str,
    decode_text,
    expect_dict,
    load_json,
    require,
    result,
    to_float,
    to_int,
)
from shared.parsers.errors import ParseError, UpstreamError

SOURCE = "espn"
ESPN_TO_NBA = {"GS": "GSW", "NY": "NYK", "NO": "NOP", "SA": "SAS", "UTAH": "UTA", "WSH": "WAS"}
_FITT = re.compile(r"window\[\s*['\"]__espnfitt__['\"]\s*\]\s*=\s*")


def nba_tricode(espn_abbreviation: str | None) -> str | None:
    """ESPN team abbreviation -> NBA tricode (identity for the 24 teams that already match)."""
    if not espn_abbreviation:
        return None
    upper = espn_abbreviation.upper()
    return ESPN_TO_NBA.get(upper, upper)


def _json(payload: Any, source: str) -> dict[str, Any]:
    data = expect_dict(load_json(payload, source=source), source=source)
    code = data.get("code")
    if isinstance(code, int) and code >= 400 and "message" in data:
        raise UpstreamError(f"ESPN error {code}: {data.get('message')}", source=source, status=code)
    return data


def parse_scoreboard(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """site.api scoreboard?dates=YYYYMMDD -> one record per event (``events: []`` on off days is valid)."""
    source = f"{SOURCE} scoreboard"
    data = _json(payload, source)
    events = require(data, "events", list, source=source, where="payload")
    records = []
    for index, event in enumerate(events):
        where = f"events[{index}]"
        event = expect_dict(event, source=source, what=where)
        competitions = require(event, "competitions", list, source=source, where=where)
        if not competitions or not isinstance(competitions[0], dict):
            raise ParseError(f"{where}.competitions is empty", source=source)
        comp = competitions[0]
        status = comp.get("status") or event.get("status") or {}
        status_type = status.get("type") or {}
        sides: dict[str, dict[str, Any]] = {}
        for competitor in require(comp, "competitors", list, source=source, where=f"{where}.competitions[0]"):
            side = competitor.get("homeAway")
            team = competitor.get("team") or {}
            if side not in ("home", "away") or not team.get("abbreviation"):
                raise ParseError(f"{where} competitor lacks homeAway/team.abbreviation", source=source)
            sides[side] = {
                "abbreviation": team["abbreviation"],
                "tricode": nba_tricode(team["abbreviation"]),
                "team_id": clean_str(team.get("id")),
                "name": team.get("displayName"),
                "score": to_int(competitor.get("score")),
                "winner": competitor.get("winner"),
            }
        if set(sides) != {"home", "away"}:
            raise ParseError(f"{where} needs one home and one away competitor", source=source)
        state = status_type.get("state")
        records.append(
            {
                "event_id": clean_str(event.get("id")),
                "date_utc": event.get("date"),
                "name": event.get("name"),
                "short_name": event.get("shortName"),
                "state": state,
                "status_name": status_type.get("name"),
                "completed": bool(status_type.get("completed")),
                "period": status.get("period"),
                "display_clock": status.get("displayClock"),
                "home_team": sides["home"]["tricode"],
                "away_team": sides["away"]["tricode"],
                "home_abbreviation": sides["home"]["abbreviation"],
                "away_abbreviation": sides["away"]["abbreviation"],
                "home_team_id": sides["home"]["team_id"],
                "away_team_id": sides["away"]["team_id"],
                # Scores are "0" before tip-off; only meaningful once the game has started.
                "home_score": sides["home"]["score"] if state != "pre" else None,
                "away_score": sides["away"]["score"] if state != "pre" else None,
                "venue": (comp.get("venue") or {}).get("fullName"),
                "attendance": comp.get("attendance") or None,
            }
        )
    summary = {
        "date": params.get("date"),
        "event_count": len(records),
        "event_ids": [r["event_id"] for r in records],
        "states": dict(Counter(r["state"] for r in records)),
        "all_final": bool(records) and all(r["completed"] for r in records),
    }
    return result(records, summary)


def parse_team_roster(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """site.api teams/{id}?enable=roster -> one record per athlete, with current injury status."""
    source = f"{SOURCE} team roster"
    data = _json(payload, source)
    team = require(data, "team", dict, source=source, where="payload")
    athletes = require(team, "athletes", list, source=source, where="team")
    records = []
    for index, athlete in enumerate(athletes):
        athlete = expect_dict(athlete, source=source, what=f"team.athletes[{index}]")
        if not athlete.get("id") or not athlete.get("displayName"):
            raise ParseError(f"team.athletes[{index}] lacks id/displayName", source=source)
        injuries = athlete.get("injuries") or []
        injury = injuries[0] if injuries and isinstance(injuries[0], dict) else {}
        details = injury.get("details") or {}
        records.append(
            {
                "athlete_id": str(athlete["id"]),
                "name": athlete["displayName"],
                "first_name": athlete.get("firstName"),
                "last_name": athlete.get("lastName"),
                "jersey": clean_str(athlete.get("jersey")),
                "position": (athlete.get("position") or {}).get("abbreviation"),
                "height_in": to_float(athlete.get("height")),
                "weight_lbs": to_float(athlete.get("weight")),
                "age": athlete.get("age"),
                "date_of_birth": (athlete.get("dateOfBirth") or "")[:10] or None,
                "experience_years": (athlete.get("experience") or {}).get("years"),
                "status": (athlete.get("status") or {}).get("type"),
                "injury_status": injury.get("status"),
                "injury_type": details.get("type"),
                "injury_return_date": details.get("returnDate"),
                "injury_date": injury.get("date"),
            }
        )
    summary = {
        "team_id": clean_str(team.get("id")),
        "team_abbreviation": team.get("abbreviation"),
        "team_tricode": nba_tricode(team.get("abbreviation")),
        "team_name": team.get("displayName"),
        "player_count": len(records),
        "athlete_ids": [r["athlete_id"] for r in records],
        "injured_count": sum(1 for r in records if r["injury_status"]),
    }
    return result(records, summary)


_STAT_KEYS = {
    "minutes": "minutes",
    "offensiveRebounds": "oreb",
    "defensiveRebounds": "dreb",
    "rebounds": "reb",
    "assists": "ast",
    "steals": "stl",
    "blocks": "blk",
    "turnovers": "to",
    "fouls": "pf",
    "plusMinus": "plus_minus",
    "points": "pts",
}
_PAIR_KEYS = {
    "fieldGoalsMade-fieldGoalsAttempted": ("fgm", "fga"),
    "threePointFieldGoalsMade-threePointFieldGoalsAttempted": ("fg3m", "fg3a"),
    "freeThrowsMade-freeThrowsAttempted": ("ftm", "fta"),
}


def _stat_values(keys: list[str], values: list[Any]) -> dict[str, Any]:
    """Map ESPN's positional stat strings ("5-9", "+17") to named ints using the group's ``keys``."""
    out: dict[str, Any] = {}
    for key, value in zip(keys, values, strict=False):
        if key in _PAIR_KEYS:
            made, _, attempted = str(value).partition("-")
            out[_PAIR_KEYS[key][0]], out[_PAIR_KEYS[key][1]] = to_int(made), to_int(attempted)
        elif key in _STAT_KEYS:
            out[_STAT_KEYS[key]] = to_int(value)
    return out


def _box_player(team: dict[str, Any], group: dict[str, Any], entry: dict[str, Any], keys: list[str]) -> dict:
    athlete = entry.get("athlt") or entry.get("athlete") or {}
    values = entry.get("stats") or []
    reason = clean_str(entry.get("dnpRsn") or entry.get("reason"))
    return {
        "team_abbreviation": team.get("abbrev") or team.get("abbreviation"),
        "team_tricode": nba_tricode(team.get("abbrev") or team.get("abbreviation")),
        "team_id": clean_str(team.get("id")),
        "home": team.get("hm"),
        "athlete_id": clean_str(athlete.get("id")),
        "name": athlete.get("dspNm") or athlete.get("displayName"),
        "jersey": clean_str(athlete.get("jersey")),
        "starter": group.get("type") == "starters",
        "played": bool(values) and not reason,
        "dnp_reason": reason,
        **_stat_values(keys, values),
    }


def parse_game_boxscore_html(html: bytes | str, **params: Any) -> dict[str, Any]:
    """www.espn.com/nba/boxscore/_/gameId/{id} -> one record per player from the embedded page state.

    The page embeds its data as ``window['__espnfitt__']={...};``; the box score lives under
    ``page.content.gamepackage.bxscr`` (one entry per team with starters/bench/totals groups).
    """
    source = f"{SOURCE} boxscore page"
    text = decode_text(html, source=source)
    match = _FITT.search(text)
    if not match:
        raise ParseError(
            "no window['__espnfitt__'] state in the page (layout changed or not a box score)", source=source
        )
    try:
        state, _ = json.JSONDecoder().raw_decode(text, match.end())
    except json.JSONDecodeError as exc:
        raise ParseError(f"embedded __espnfitt__ JSON is invalid (truncated page?): {exc.msg}", source=source) from exc
    try:
        package = state["page"]["content"]["gamepackage"]
    except (KeyError, TypeError) as exc:
        raise ParseError("embedded state has no page.content.gamepackage", source=source) from exc
    boxscore = require(package, "bxscr", list, source=source, where="gamepackage")
    if len(boxscore) != 2:
        raise ParseError(f"expected 2 teams in gamepackage.bxscr, got {len(boxscore)}", source=source)

    records: list[dict[str, Any]] = []
    teams = []
    for team_block in boxscore:
        team = (team_block or {}).get("tm") or {}
        totals: dict[str, Any] = {}
        for group in team_block.get("stats") or []:
            keys = group.get("keys") or []
            if group.get("type") == "totals":
                totals = group
                continue
            for entry in group.get("athlts") or []:
                records.append(_box_player(team, group, entry, keys))
        points = to_int((totals.get("ttls") or [None])[-1]) if totals else None
        teams.append(
            {
                "abbreviation": team.get("abbrev"),
                "tricode": nba_tricode(team.get("abbrev")),
                "team_id": clean_str(team.get("id")),
                "name": team.get("dspNm"),
                "home": team.get("hm"),
                "points": points,
            }
        )
    strip = package.get("gmStrp") or {}
    info = package.get("gmInfo") or {}
    status = strip.get("status") or {}
    home = next((t for t in teams if t["home"]), None)
    away = next((t for t in teams if t["home"] is False), None)
    summary = {
        "event_id": clean_str(strip.get("gid")) or params.get("event_id"),
        "date_utc": strip.get("dt"),
        "state": status.get("state"),
        "status": status.get("det") or status.get("desc"),
        "home_team": home["tricode"] if home else None,
        "away_team": away["tricode"] if away else None,
        "home_score": home["points"] if home else None,
        "away_score": away["points"] if away else None,
        "teams": teams,
        "player_count": len(records),
        "players_played": sum(1 for r in records if r["played"]),
        "venue": info.get("loc"),
        "attendance": info.get("attnd"),
        "officials": [r.get("dspNm") for r in info.get("refs") or [] if isinstance(r, dict)],
    }
    return result(records, summary)


def parse_summary(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """site.api summary?event={id} -> one record per player box line; header info in the summary.

    Unknown/expired events answer ESPN's JSON 404 document, raised as ``UpstreamError(status=404)``.
    """
    source = f"{SOURCE} summary"
    data = _json(payload, source)
    header = require(data, "header", dict, source=source, where="payload")
    competitions = require(header, "competitions", list, source=source, where="header")
    if not competitions or not isinstance(competitions[0], dict):
        raise ParseError("header.competitions is empty", source=source)
    comp = competitions[0]
    status_type = (comp.get("status") or {}).get("type") or {}
    sides = {c.get("homeAway"): c for c in comp.get("competitors") or [] if isinstance(c, dict)}

    records: list[dict[str, Any]] = []
    box = data.get("boxscore") or {}
    for team_block in box.get("players") or []:
        team = team_block.get("team") or {}
        for group in team_block.get("statistics") or []:
            keys = group.get("keys") or []
            for entry in group.get("athletes") or []:
                athlete = entry.get("athlete") or {}
                reason = clean_str(entry.get("reason"))
                records.append(
                    {
                        "team_abbreviation": team.get("abbreviation"),
                        "team_tricode": nba_tricode(team.get("abbreviation")),
                        "team_id": clean_str(team.get("id")),
                        "athlete_id": clean_str(athlete.get("id")),
                        "name": athlete.get("displayName"),
                        "jersey": clean_str(athlete.get("jersey")),
                        "starter": bool(entry.get("starter")),
                        "played": not entry.get("didNotPlay") and bool(entry.get("stats")),
                        "dnp_reason": reason,
                        **_stat_values(keys, entry.get("stats") or []),
                    }
                )

    def side(name: str, field: str) -> Any:
        competitor = sides.get(name) or {}
        if field == "team":
            return nba_tricode((competitor.get("team") or {}).get("abbreviation"))
        return to_int(competitor.get("score"))

    summary = {
        "event_id": clean_str(header.get("id")) or params.get("event_id"),
        "state": status_type.get("state"),
        "completed": bool(status_type.get("completed")),
        "home_team": side("home", "team"),
        "away_team": side("away", "team"),
        "home_score": side("home", "score"),
        "away_score": side("away", "score"),
        "player_count": len(records),
    }
    return result(records, summary)
