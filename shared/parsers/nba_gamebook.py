"""NBA gamebook / box score PDFs (statsdmz.nba.com/pdfs/YYYYMMDD/YYYYMMDD_AWYHOM[_book].pdf).

Two layers:

* :func:`parse_gamebook_pdf` validates the bytes, extracts text with pypdf and hands it to
  :func:`parse_gamebook_text`. If the PDF has no extractable text it raises ParseError with a diagnosis.
  In particular it recognises PDFs whose binary content was destroyed by a text round-trip (bytes
  decoded as UTF-8 with errors dropped, then saved): such a file is *entirely* valid UTF-8, which a real
  PDF with compressed streams never is, and its Flate streams no longer decompress. Both recorded
  fixtures are damaged this way, so the scraper must store ``response.content`` unmodified.
* :func:`parse_gamebook_text` parses the text lines of the box score page: the date/arena line,
  ``Officials:``, ``Game Duration:``, ``Attendance:``, ``VISITOR:``/``HOME:`` team headers, player stat
  lines (``45 GG Jackson F 35:42 7 21 2 10 6 6 0 2 2 2 2 2 1 1 -13 22``), ``DNP``/``DND``/``NWT`` lines
  and ``Inactive:`` lists.

:func:`gamebook_pdf_info` reads what survives even in damaged files: the document info, whose title
is ``Box Score {away nickname} - {home nickname}``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from shared.parsers._common import result
from shared.parsers._pdf import check_pdf_bytes, no_text_error, open_pdf
from shared.parsers.errors import ParseError

SOURCE = "nba gamebook pdf"
STAT_FIELDS = (
    "field_goals_made",
    "field_goals_attempted",
    "three_pointers_made",
    "three_pointers_attempted",
    "free_throws_made",
    "free_throws_attempted",
    "offensive_rebounds",
    "defensive_rebounds",
    "total_rebounds",
    "assists",
    "personal_fouls",
    "steals",
    "turnovers",
    "blocks",
    "plus_minus",
    "points",
)
_DATE_LINE = re.compile(
    r"^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday),\s+([A-Z][a-z]+ \d{1,2}, \d{4})\s+(.+)$"
)
_TEAM_HEADER = re.compile(r"^(VISITOR|HOME):\s*(.+?)\s*(?:\((\d+)-(\d+)\))?\s*$")
_OFFICIAL = re.compile(r"#\s*(\d+)\s+([^,#]+)")
_NOT_PLAYED = re.compile(r"^(\d{1,2})\s+(.+?)\s+(DNP|DND|NWT)\s*-\s*(.+)$")
_STAT_LINE = re.compile(r"^(\d{1,2})\s+(.+?)\s+(?:(G|F|C|G-F|F-G|F-C|C-F)\s+)?(\d{1,2}:\d{2})\s+([-+\d\s]+)$")
_INACTIVE_STOP = re.compile(
    r"^(Inactive:|Points in the Paint|SCORE BY|Technical|MEMO|Copyright|VISITOR:|HOME:|\d{1,2}\s+\S)"
)
_TITLE = re.compile(r"^\s*Box Score\s+(.+?)\s+-\s+(.+?)\s*$")


def gamebook_pdf_info(pdf_bytes: bytes) -> dict[str, Any]:
    """Document metadata (title teams, creation time, page count); works even when text is unreadable."""
    data = check_pdf_bytes(pdf_bytes, source=SOURCE)
    reader = open_pdf(data, source=SOURCE)
    meta = reader.metadata or {}
    title = str(meta.get("/Title") or "") or None
    match = _TITLE.match(title or "")
    created = meta.get("/CreationDate")
    created_iso = None
    if isinstance(created, str):
        stamp = re.match(r"D:(\d{14})", created)
        if stamp:
            created_iso = datetime.strptime(stamp.group(1), "%Y%m%d%H%M%S").isoformat()
    return {
        "title": title,
        "away_team_nickname": match.group(1) if match else None,
        "home_team_nickname": match.group(2) if match else None,
        "creator": str(meta.get("/Creator") or "") or None,
        "created": created_iso,
        "page_count": len(reader.pages),
    }


def parse_gamebook_pdf(pdf_bytes: bytes, **params: Any) -> dict[str, Any]:
    """Parse a gamebook PDF: game info in ``summary``, one record per player line (active/DNP/inactive)."""
    data = check_pdf_bytes(pdf_bytes, source=SOURCE)
    reader = open_pdf(data, source=SOURCE)
    try:
        text = "\n".join((page.extract_text() or "") for page in reader.pages)
    # pypdf raises assorted exception types on damaged content streams; all mean "no usable text".
    except Exception as exc:
        text = ""
        extract_error: str | None = f"{type(exc).__name__}: {exc}"
    else:
        extract_error = None
    if not text.strip():
        raise no_text_error(data, reader, source=SOURCE, detail=extract_error)
    parsed = parse_gamebook_text(text)
    parsed["summary"]["page_count"] = len(reader.pages)
    return parsed


def _split_outside_parens(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        if char == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(char)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


def _int(token: str) -> int | None:
    return int(token) if re.fullmatch(r"[+-]?\d+", token) else None


def parse_gamebook_text(text: str) -> dict[str, Any]:
    """Parse the extracted text of a gamebook box score page (see module docstring for the grammar)."""
    if not isinstance(text, str) or not text.strip():
        raise ParseError("empty gamebook text", source=SOURCE)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    info: dict[str, Any] = {
        "game_date": None,
        "arena": None,
        "location": None,
        "officials": [],
        "game_duration": None,
        "attendance": None,
        "attendance_note": None,
        "away_team": None,
        "home_team": None,
        "away_record": None,
        "home_record": None,
    }
    records: list[dict[str, Any]] = []
    unparsed: list[str] = []
    team: str | None = None
    index = 0
    while index < len(lines):
        line = lines[index]
        index += 1
        if not line:
            continue
        if match := _DATE_LINE.match(line):
            info["game_date"] = datetime.strptime(match.group(1), "%B %d, %Y").date().isoformat()
            place = [p.strip() for p in match.group(2).split(",")]
            info["arena"] = place[0]
            info["location"] = ", ".join(place[1:]) or None
        elif line.startswith("Officials:"):
            info["officials"] = [{"number": int(n), "name": name.strip()} for n, name in _OFFICIAL.findall(line)]
        elif match := re.match(r"^Game Duration:\s*(\d+:\d{2})", line):
            info["game_duration"] = match.group(1)
        elif match := re.match(r"^Attendance:\s*([\d,]+)\s*(?:\(([^)]*)\))?", line):
            info["attendance"] = int(match.group(1).replace(",", ""))
            info["attendance_note"] = match.group(2)
        elif match := _TEAM_HEADER.match(line):
            side = "away" if match.group(1) == "VISITOR" else "home"
            team = match.group(2)
            info[f"{side}_team"] = team
            if match.group(3):
                info[f"{side}_record"] = f"{match.group(3)}-{match.group(4)}"
        elif line.startswith("Inactive:"):
            block = [line[len("Inactive:") :].strip()]
            while index < len(lines) and lines[index] and not _INACTIVE_STOP.match(lines[index]):
                block.append(lines[index])
                index += 1
            records.extend(_inactive(" ".join(block), team))
        elif match := _NOT_PLAYED.match(line):
            number, name, code, reason = match.groups()
            records.append(
                {
                    "team": team,
                    "jersey_number": number,
                    "name": name,
                    "position": None,
                    "status": "did_not_play",
                    "dnp_code": code,
                    "reason": f"{code} - {reason.strip()}",
                    "stats": None,
                }
            )
        elif match := _STAT_LINE.match(line):
            number, name, position, minutes, rest = match.groups()
            values = [_int(tok) for tok in rest.split()]
            if len(values) != len(STAT_FIELDS) or any(v is None for v in values):
                unparsed.append(line)
                continue
            stats: dict[str, Any] = {"minutes": minutes, **dict(zip(STAT_FIELDS, values, strict=True))}
            records.append(
                {
                    "team": team,
                    "jersey_number": number,
                    "name": name,
                    "position": position,
                    "status": "active",
                    "dnp_code": None,
                    "reason": None,
                    "stats": stats,
                }
            )
    if not records and not info["away_team"] and not info["officials"]:
        raise ParseError("text does not look like an NBA gamebook (no teams, officials or player lines)", source=SOURCE)

    points: dict[str, int] = {}
    for rec in records:
        if rec["status"] == "active" and rec["team"]:
            points[rec["team"]] = points.get(rec["team"], 0) + rec["stats"]["points"]
    summary = {
        **info,
        "player_count": len(records),
        "active_count": sum(1 for r in records if r["status"] == "active"),
        "did_not_play_count": sum(1 for r in records if r["status"] == "did_not_play"),
        "inactive_count": sum(1 for r in records if r["status"] == "inactive"),
        "points_from_player_lines": points,
        "unparsed_lines": unparsed,
    }
    return result(records, summary)


def _inactive(text: str, current_team: str | None) -> list[dict[str, Any]]:
    """``"Grizzlies - Morant (Injury/Illness - Right Shoulder; Labral Repair), Bane (...)"`` -> rows."""
    team_label, sep, rest = text.partition(" - ")
    if not sep or "(" in team_label:
        team_label, rest = current_team or "", text
    out = []
    for part in _split_outside_parens(rest):
        match = re.match(r"^(.+?)\s*(?:\((.*)\))?$", part)
        if not match:
            continue
        out.append(
            {
                "team": team_label.strip() or current_team,
                "jersey_number": None,
                "name": match.group(1).strip(),
                "position": None,
                "status": "inactive",
                "dnp_code": None,
                "reason": (match.group(2) or "").strip() or None,
                "stats": None,
            }
        )
    return out
