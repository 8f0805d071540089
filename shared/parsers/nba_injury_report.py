"""Official NBA injury report PDF (ak-static.cms.nba.com/referee/injury/Injury-Report_*.pdf).

The report is a table: Game Date | Game Time | Matchup | Team | Player Name | Current Status | Reason.
Date, time, matchup and team are printed only on the first row of their group, so later rows inherit
them (also across page breaks). Teams that have not filed yet show "NOT YET SUBMITTED" in the Reason
column with no player; those go to ``not_submitted`` instead of ``records`` so that ``records`` stays
"one row per player" and its length is a true player count.

Rows are rebuilt from word coordinates (see ``_pdf``: every word is its own text object, so plain text
extraction gives one word per line). The column header is printed on page 1 only (its positions hold for
every page). A long reason wraps onto a line above and below its row, so lines without a status are
attached to the vertically nearest row; a reason cut by a page break goes on at the top of the next page,
far above that page's first row, and is joined to the previous page's last row. Every layout since the
2021-22 season has this shape (recordings of 2024-01-04, 2025-01-10, 2025-11-01 and 2026-02-08).
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date, datetime
from typing import Any

from shared.parsers._common import result
from shared.parsers._pdf import (
    Word,
    check_pdf_bytes,
    group_lines,
    join_words,
    no_text_error,
    open_pdf,
    page_words,
)
from shared.parsers.errors import ParseError

SOURCE = "nba injury report pdf"
STATUSES = ("Out", "Questionable", "Doubtful", "Probable", "Available")
NOT_YET_SUBMITTED = "NOT_YET_SUBMITTED"
COLUMNS = ("game_date", "game_time", "matchup", "team", "player", "status", "reason")
# Column left edges of the 2023-24 layout; replaced by the header row's positions whenever one is seen.
DEFAULT_COLUMN_STARTS = (23.0, 119.0, 199.0, 264.0, 425.0, 585.0, 666.0)
HEADER_LABELS = (
    ("Game", "Date"),
    ("Game", "Time"),
    ("Matchup",),
    ("Team",),
    ("Player", "Name"),
    ("Current", "Status"),
    ("Reason",),
)
_TITLE = re.compile(r"Injury Report:\s*(\d{2}/\d{2}/\d{2,4})\s+(\d{1,2}:\d{2})\s*([AP]M)", re.IGNORECASE)
_FOOTER = re.compile(r"^Page\s*\d+\s*of\s*\d+$", re.IGNORECASE)
_DATE = re.compile(r"^\d{2}/\d{2}/\d{4}$")
_MATCHUP = re.compile(r"^([A-Z]{2,4})@([A-Z]{2,4})$")
_SLACK = 4.0  # points a cell's text may start left of its header
# Points above a page's first row beyond which a line cannot be that row's wrapped text (wrapped lines sit 7
# points from their row, 14 for a third line; rows are 22 apart): it continues the previous page's last row.
_CONTINUATION_GAP = 18.0


def _header_starts(line: list[Word]) -> tuple[float, ...] | None:
    """Column starts from a header line ("Game Date Game Time Matchup ..."), or None if not a header.

    Words may arrive one per chunk ("Game", "Date") or several per chunk ("Game Date"); only the x of
    each label's first word matters, and a label always starts a chunk in practice.
    """
    tokens: list[tuple[str, float]] = []
    for word in line:
        for k, token in enumerate(word.text.split()):
            tokens.append((token, word.x if k == 0 else float("nan")))
    texts = [t for t, _ in tokens]
    starts: list[float] = []
    i = 0
    for label in HEADER_LABELS:
        while i < len(texts) and tuple(texts[i : i + len(label)]) != label:
            i += 1
        if i >= len(texts) or tokens[i][1] != tokens[i][1]:  # not found, or label starts mid-chunk (NaN)
            return None
        starts.append(tokens[i][1])
        i += len(label)
    return tuple(starts)


def _column(x: float, starts: tuple[float, ...]) -> str:
    index = 0
    for i, start in enumerate(starts):
        if x >= start - _SLACK:
            index = i
    return COLUMNS[index]


def _after(row: list[Word], line: list[Word]) -> list[Word]:
    """`line` (from the next page) moved just below `row`, so its text reads after the row's in every cell."""
    bottom = max(w.top for w in row)
    return [Word(w.text, w.x, bottom + 1.0, w.size) for w in line]


def _line_text(line: list[Word]) -> str:
    return " ".join(w.text for w in line)


def _is_not_submitted(text: str) -> bool:
    return "NOT YET SUBMITTED" in " ".join(text.upper().split())


def _cells(words: list[Word], starts: tuple[float, ...]) -> dict[str, str | None]:
    by_col: dict[str, list[Word]] = {c: [] for c in COLUMNS}
    for word in sorted(words, key=lambda w: (w.top, w.x)):
        by_col[_column(word.x, starts)].append(word)
    return {c: (join_words(ws) or None) for c, ws in by_col.items()}


def _iso_date(text: str) -> str:
    return datetime.strptime(text, "%m/%d/%Y").date().isoformat()


def _first_last(player: str) -> str:
    """ "Payton II, Gary" -> "Gary Payton II" (the PDF prints "Last, First")."""
    last, sep, first = player.partition(",")
    return f"{first.strip()} {last.strip()}".strip() if sep else player


def parse_injury_report_pdf(pdf_bytes: bytes, report_date: str | date | None = None, **params: Any) -> dict:
    """Parse an injury report PDF into player rows (``records``) and not-yet-submitted teams.

    ``report_date`` (e.g. taken from the URL) is echoed in the summary; the report's own timestamp from
    its title line is returned as ``report_datetime_et``.
    """
    data = check_pdf_bytes(pdf_bytes, source=SOURCE)
    reader = open_pdf(data, source=SOURCE)

    starts = DEFAULT_COLUMN_STARTS
    report_dt: str | None = None
    saw_header = False
    context: dict[str, str | None] = {"game_date": None, "game_time": None, "matchup": None, "team": None}
    records: list[dict[str, Any]] = []
    not_submitted: list[dict[str, Any]] = []
    anomalies: list[str] = []

    # Pass 1: the rows of every page, each a status (or NOT YET SUBMITTED) line plus the wrapped lines that
    # belong to it, with the column starts in force on its page.
    rows: list[tuple[int, tuple[float, ...], list[Word]]] = []
    word_count = 0
    for page_number, page in enumerate(reader.pages, start=1):
        anchors: list[list[Word]] = []
        orphans: list[list[Word]] = []
        words = page_words(page, source=SOURCE)
        word_count += len(words)
        for line in group_lines(words):
            text = _line_text(line)
            title = _TITLE.search(text)
            if title:
                day, clock, ampm = title.groups()
                fmt = "%m/%d/%y" if len(day) == 8 else "%m/%d/%Y"
                stamp = datetime.strptime(f"{day} {clock} {ampm.upper()}", f"{fmt} %I:%M %p")
                report_dt = report_dt or stamp.isoformat(timespec="minutes")
                continue
            if _FOOTER.match(text):
                continue
            header = _header_starts(line)
            if header:
                starts, saw_header = header, True
                continue
            status_words = [w for w in line if _column(w.x, starts) == "status" and w.text in STATUSES]
            if status_words or _is_not_submitted(text):
                anchors.append(line)
            else:
                orphans.append(line)

        # Wrapped cell text (a reason split above and below its row) belongs to the nearest row, except at the
        # top of a page, far above its first row: the rest of the previous page's last reason.
        previous = rows[-1][2] if rows else None
        members: list[list[Word]] = [list(a) for a in anchors]
        for line in orphans:
            if previous is not None and (not anchors or line[0].top < anchors[0][0].top - _CONTINUATION_GAP):
                previous.extend(_after(previous, line))
                continue
            if not anchors:
                anomalies.append(f"page {page_number}: text outside any row: {_line_text(line)!r}")
                continue
            nearest = min(range(len(anchors)), key=lambda i: abs(anchors[i][0].top - line[0].top))
            members[nearest].extend(line)
        rows.extend((page_number, starts, m) for m in members)

    # Pass 2: cells, inherited group fields, and the split into player rows and teams not yet submitted.
    for page_number, page_starts, words in rows:
        cells = _cells(words, page_starts)
        for key in ("game_date", "game_time", "matchup"):
            if cells[key]:
                context[key] = cells[key]
                if key == "matchup":
                    context["team"] = None
        if cells["team"]:
            context["team"] = cells["team"]
        row = _context_row(context, page_number, anomalies)
        if _is_not_submitted(cells["reason"] or "") and not cells["player"]:
            not_submitted.append({**row, "status": NOT_YET_SUBMITTED})
            continue
        player = cells["player"]
        status = cells["status"]
        if not player:
            anomalies.append(f"page {page_number}: status {status!r} without a player name")
            continue
        records.append(
            {
                **row,
                "player": player,
                "player_name": _first_last(player),
                "status": status,
                "reason": cells["reason"],
            }
        )

    if word_count == 0:
        raise no_text_error(data, reader, source=SOURCE)
    if report_dt is None and not saw_header and not records and not not_submitted:
        raise ParseError("no injury report title or table found in the PDF text", source=SOURCE)

    summary = {
        "report_date": report_date.isoformat() if isinstance(report_date, date) else report_date,
        "report_datetime_et": report_dt,
        "page_count": len(reader.pages),
        "player_count": len(records),
        "not_yet_submitted_count": len(not_submitted),
        "status_counts": {s: n for s, n in Counter(r["status"] for r in records).most_common()},
        "game_count": len({(r["game_date"], r["matchup"]) for r in records + not_submitted}),
        "game_dates": sorted({r["game_date"] for r in records + not_submitted if r["game_date"]}),
        "matchups": sorted({r["matchup"] for r in records + not_submitted if r["matchup"]}),
        "anomalies": anomalies,
    }
    return result(records, summary, not_submitted=not_submitted)


def _context_row(context: dict[str, str | None], page: int, anomalies: list[str]) -> dict[str, Any]:
    """The inherited group fields for the current row, normalised (ISO date, away/home split)."""
    raw_date = context["game_date"]
    game_date = _iso_date(raw_date) if raw_date and _DATE.match(raw_date) else raw_date
    matchup = context["matchup"]
    match = _MATCHUP.match(matchup or "")
    if not (raw_date and matchup and context["team"]):
        anomalies.append(f"page {page}: row without inherited date/matchup/team ({context})")
    return {
        "game_date": game_date,
        "game_time": context["game_time"],
        "matchup": matchup,
        "away_team": match.group(1) if match else None,
        "home_team": match.group(2) if match else None,
        "team": context["team"],
        "page": page,
    }
