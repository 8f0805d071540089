"""www.nba.com page parsers (team roster page).

The www.nba.com team pages are Next.js pages whose data is embedded as JSON in
``<script id="__NEXT_DATA__" type="application/json">``. A regex on that one tag is enough and much
cheaper than building a DOM for a ~250 KB page; no HTML library is needed here.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from shared.parsers._common import clean_str, decode_text, require, result, to_int
from shared.parsers.errors import ParseError

SOURCE = "www.nba.com roster page"
_NEXT_DATA = re.compile(
    r"<script\b[^>]*\bid\s*=\s*[\"']__NEXT_DATA__[\"'][^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL
)


def next_data(html: bytes | str, *, source: str = SOURCE) -> dict[str, Any]:
    """Return the decoded ``__NEXT_DATA__`` JSON of a Next.js page (ParseError if absent or broken)."""
    text = decode_text(html, source=source)
    match = _NEXT_DATA.search(text)
    if not match:
        raise ParseError('no <script id="__NEXT_DATA__"> tag (not a Next.js page, or truncated)', source=source)
    try:
        data = json.loads(match.group(1))
    except json.JSONDecodeError as exc:
        raise ParseError(f"__NEXT_DATA__ is not valid JSON: {exc.msg}", source=source) from exc
    if not isinstance(data, dict):
        raise ParseError("__NEXT_DATA__ is not a JSON object", source=source)
    return data


def _birth_date(value: Any) -> str | None:
    """``"DEC 24, 2002"`` -> ``"2002-12-24"``; unknown formats are kept as-is rather than dropped."""
    text = clean_str(value)
    if not text:
        return None
    for fmt in ("%b %d, %Y", "%B %d, %Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d"):
        try:
            return datetime.strptime(text.title() if "," in text else text, fmt).date().isoformat()
        except ValueError:
            continue
    return text


def parse_team_roster_page(html: bytes | str, **params: Any) -> dict[str, Any]:
    """Team roster page HTML -> one record per rostered player plus team identity in the summary."""
    data = next_data(html)
    try:
        page_props = data["props"]["pageProps"]
    except (KeyError, TypeError) as exc:
        raise ParseError("__NEXT_DATA__ has no props.pageProps", source=SOURCE) from exc
    team = require(page_props, "team", dict, source=SOURCE, where="props.pageProps")
    roster = require(team, "roster", list, source=SOURCE, where="props.pageProps.team")
    info = team.get("info") if isinstance(team.get("info"), dict) else {}

    records = []
    for index, player in enumerate(roster):
        if not isinstance(player, dict) or "PLAYER_ID" not in player or "PLAYER" not in player:
            raise ParseError(f"roster[{index}] lacks PLAYER_ID/PLAYER", source=SOURCE)
        experience = clean_str(player.get("EXP"))
        records.append(
            {
                "player_id": to_int(player["PLAYER_ID"]),
                "player_name": clean_str(player["PLAYER"]),
                "first_name": clean_str(player.get("NICKNAME")),
                "player_slug": clean_str(player.get("PLAYER_SLUG")),
                "jersey_number": clean_str(player.get("NUM")),
                "position": clean_str(player.get("POSITION")),
                "height": clean_str(player.get("HEIGHT")),
                "weight_lbs": to_int(player.get("WEIGHT")),
                "birth_date": _birth_date(player.get("BIRTH_DATE")),
                "age": player.get("AGE"),
                "experience": experience,
                "years_experience": 0 if experience == "R" else to_int(experience),
                "school": clean_str(player.get("SCHOOL")),
                "how_acquired": clean_str(player.get("HOW_ACQUIRED")),
                "roster_season": clean_str(player.get("SEASON")),
                "team_id": to_int(player.get("TeamID")),
            }
        )
    city, name = clean_str(info.get("TEAM_CITY")), clean_str(info.get("TEAM_NAME"))
    coaches = team.get("coaches") if isinstance(team.get("coaches"), list) else []
    summary = {
        "team_id": to_int(team.get("id")) or to_int(info.get("TEAM_ID")),
        "team_abbreviation": clean_str(info.get("TEAM_ABBREVIATION")),
        "team_name": " ".join(p for p in (city, name) if p) or None,
        "team_slug": clean_str(team.get("slug")),
        "roster_season": records[0]["roster_season"] if records else None,
        "player_count": len(records),
        "player_ids": [r["player_id"] for r in records],
        "coach_count": len(coaches),
        "head_coach": next(
            (
                clean_str(c.get("COACH_NAME"))
                for c in coaches
                if isinstance(c, dict) and c.get("COACH_TYPE") == "Head Coach"
            ),
            None,
        ),
    }
    return result(records, summary)
