"""Basketball-Reference team season page (www.basketball-reference.com/teams/{TEAM}/{YEAR}.html).

Only the roster table (``table#roster``) is parsed. Cells are read by their ``data-stat`` attribute
(number, player, pos, height, weight, birth_date, birth_country, years_experience, college), which is
stabler than column order. Sports-Reference ships some tables inside HTML comments to defer rendering,
so the roster is also looked for there. bs4 (stdlib ``html.parser`` backend) is imported lazily.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from shared.parsers._common import clean_str, decode_text, result, to_int
from shared.parsers.errors import ParseError

SOURCE = "basketball-reference roster"
_PLAYER_HREF = re.compile(r"/players/[a-z]/([a-z0-9.'-]+)\.html", re.IGNORECASE)


def _find_roster(soup: Any) -> Any:
    from bs4 import BeautifulSoup, Comment

    table = soup.find("table", id="roster")
    if table is not None:
        return table
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment) and 'id="roster"' in s):
        table = BeautifulSoup(str(comment), "html.parser").find("table", id="roster")
        if table is not None:
            return table
    return None


def _birth_date(cell: Any) -> str | None:
    """ISO date from the ``csk="19980727"`` sort key, else from text like "July 27, 1998"."""
    if cell is None:
        return None
    csk = cell.get("csk")
    if csk and re.fullmatch(r"\d{8}", csk):
        return f"{csk[:4]}-{csk[4:6]}-{csk[6:]}"
    text = clean_str(cell.get_text(" ", strip=True))
    if not text:
        return None
    try:
        return datetime.strptime(text, "%B %d, %Y").date().isoformat()
    except ValueError:
        return text


def parse_season_roster(html: bytes | str, team: str, season: int | None = None, **params: Any) -> dict:
    """Roster table -> one record per player (``team`` is the page's team code, e.g. "BOS")."""
    from bs4 import BeautifulSoup

    if not team or not isinstance(team, str):
        raise ParseError("team code is required (e.g. 'BOS')", source=SOURCE)
    text = decode_text(html, source=SOURCE)
    if not text.strip():
        raise ParseError("empty page", source=SOURCE)
    soup = BeautifulSoup(text, "html.parser")
    table = _find_roster(soup)
    if table is None:
        raise ParseError("no table#roster on the page (wrong page, or blocked/rate-limited answer)", source=SOURCE)
    body = table.find("tbody") or table
    records = []
    for row in body.find_all("tr"):
        if "thead" in (row.get("class") or []):
            continue  # repeated header rows inside long tables
        cells = {cell.get("data-stat"): cell for cell in row.find_all(["th", "td"]) if cell.get("data-stat")}
        player_cell = cells.get("player")
        if player_cell is None:
            continue
        name = clean_str(player_cell.get_text(" ", strip=True))
        if not name:
            continue
        link = player_cell.find("a")
        match = _PLAYER_HREF.search(link.get("href", "")) if link else None
        # "(TW)" marks two-way contracts in the player cell.
        two_way = "(TW)" in name
        experience = clean_str(cells["years_experience"].get_text(strip=True)) if "years_experience" in cells else None

        def cell_text(key: str, cells: dict[str, Any] = cells) -> str | None:
            return clean_str(cells[key].get_text(" ", strip=True)) if key in cells else None

        records.append(
            {
                "team": team.upper(),
                "season": season,
                "number": cell_text("number"),
                "player": re.sub(r"\s*\(TW\)\s*$", "", name),
                "player_id": match.group(1) if match else None,
                "two_way": two_way,
                "position": cell_text("pos"),
                "height": cell_text("height"),
                "weight_lbs": to_int(cell_text("weight")),
                "birth_date": _birth_date(cells.get("birth_date")),
                "birth_country": (cell_text("birth_country") or "").upper() or None,
                "experience": experience,
                "years_experience": 0 if experience == "R" else to_int(experience),
                "college": cell_text("college"),
            }
        )
    summary = {
        "team": team.upper(),
        "season": season,
        "player_count": len(records),
        "player_ids": [r["player_id"] for r in records if r["player_id"]],
    }
    return result(records, summary)
