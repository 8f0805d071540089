"""The sample day's PDFs: the league's injury reports (every slot of the day) and one gamebook per game.

Injury report (landscape, like ak-static.cms.nba.com/referee/injury/Injury-Report_*.pdf), one per slot of
the date's naming era (shared.nba.injury_slots: hourly names printed at hh:30 up to 2025-12-22, 15-minute
names printed at their own time from 2025-12-23): a title line "Injury Report: MM/DD/YY hh:mm PM", a header
row on the first page only (its word positions define the columns), then one row per player; date, time and
matchup are printed only on a group's first row and the team only on its first player, every word is its
own text object, long reasons wrap onto a line above and below their row (at a page's foot the second line
goes on at the top of the next page, as in the 2025-26 reports), and pages end with "Page n of m". Teams
that have not filed show "NOT YET SUBMITTED".

Gamebook (statsdmz.nba.com/pdfs/YYYYMMDD/YYYYMMDD_AWYHOM_book.pdf): the box score page's lines (date and
arena, officials, duration, attendance, VISITOR/HOME headers with the records after the game, player stat
lines, DNP lines, Inactive lists), with the document title "Box Score {away} - {home}".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.nba.injury_slots import ReportSlot
from shared.timeutil import to_et
from tooling.sample_day.pdf import Document, Page, text_width
from tooling.sample_day.teams import team
from tooling.sample_day.world import GameDay, World

CREATOR = "nba-orch sample day"
# Every slot's report is published. Before this hour (ET) no team has submitted its list yet (every team of
# the day is NOT YET SUBMITTED: a report without a player row), ...
FIRST_SUBMITTED_HOUR = 10
# ... and until this hour the last game's two teams have not.
ALL_SUBMITTED_HOUR = 13
# The late scratch: the last game lists its first player ruled Out (or Doubtful) as Questionable until this
# hour, then with his status (the news that moves props; the box scores have him inactive all along).
SCRATCH_HOUR = 18

# Injury report geometry (points; `top` grows downwards like the parser's coordinates).
_PAGE_W, _PAGE_H = 841.95, 595.35
_HEADER = (
    ("Game Date", 23.15),
    ("Game Time", 119.59),
    ("Matchup", 199.95),
    ("Team", 264.24),
    ("Player Name", 424.98),
    ("Current Status", 585.71),
    ("Reason", 666.07),
)
_CELL_X = {name: x + 1.0 for name, x in _HEADER}
_ROW = 22.04
_WRAPPED_ROW = 29.06
_REASON_WIDTH = 168.0
_FIRST_TOP, _NEXT_TOP, _LAST_TOP = 136.26, 90.92, 520.0
_CONTINUED_TOP = 87.92  # a reason's line carried over to the next page


def _pdf_date(dt: datetime) -> str:
    local = to_et(dt)
    offset = local.utcoffset()
    assert offset is not None
    hours = int(offset.total_seconds() // 3600)
    return f"D:{local:%Y%m%d%H%M%S}{hours:+03d}'00'"


def _wrap(text: str, width: float, size: float) -> list[str]:
    if text_width(text, size) <= width:
        return [text]
    words = text.split()
    first: list[str] = []
    while words and text_width(" ".join([*first, words[0]]), size) <= width:
        first.append(words.pop(0))
    return [" ".join(first), " ".join(words)]


def injury_rows(world: World, hour24: int) -> list[dict[str, str]]:
    """The report's logical rows at `hour24` ET: one per listed player (or per team not yet submitted)."""
    rows = []
    late = max(world.game_days, key=lambda gd: (gd.game.commence_utc, gd.game.game_id), default=None)
    for gd in sorted(world.game_days, key=lambda g: (g.game.commence_utc, g.game.game_id)):
        local = to_et(gd.game.commence_utc)
        for tri in (gd.away, gd.home):
            base = {
                "game_date": f"{local:%m/%d/%Y}",
                "game_time": f"{local:%I:%M} (ET)",
                "matchup": f"{gd.away}@{gd.home}",
                "team": team(tri).full_name,
            }
            if hour24 < FIRST_SUBMITTED_HOUR or (gd is late and hour24 < ALL_SUBMITTED_HOUR):
                rows.append({**base, "player": "", "status": "", "reason": "NOT YET SUBMITTED"})
                continue
            scratch = late_scratch(world) if gd is late else None
            for inj in gd.injuries[tri]:
                status = "Questionable" if inj is scratch and hour24 < SCRATCH_HOUR else inj.status
                rows.append({**base, "player": inj.player.last_first, "status": status, "reason": inj.reason})
    return rows


def late_scratch(world: World):
    """The injury of the day's late scratch (see SCRATCH_HOUR), None when the last game rules no one out."""
    late = max(world.game_days, key=lambda gd: (gd.game.commence_utc, gd.game.game_id), default=None)
    if late is None:
        return None
    listed = late.injuries[late.home] + late.injuries[late.away]
    return next((i for i in listed if i.status in ("Out", "Doubtful")), None)


def injury_report(world: World, slot: ReportSlot) -> bytes:
    """The report of `slot` (a slot of the world's date), with its printed time."""
    return render_injury_report(slot.printed, injury_rows(world, slot.local.hour))


def render_injury_report(stamp: datetime, rows: list[dict[str, str]]) -> bytes:
    """The PDF of `rows` (see `injury_rows`) titled with `stamp` (ET); no rows: the "no injuries" page."""
    stamp = to_et(stamp)
    doc = Document(info={"Creator": CREATOR, "Producer": CREATOR, "CreationDate": _pdf_date(stamp)})
    pages: list[Page] = []
    shown = {"game_date": None, "game_time": None, "matchup": None, "team": None}
    size = 10.0
    title = f"Injury Report: {stamp:%m/%d/%y} {stamp:%I:%M %p}"

    def y(t: float) -> float:
        return _PAGE_H - t

    def new_page() -> float:
        """A new page with its title (and the header on the first one); the top of its first row."""
        page = doc.page(_PAGE_W, _PAGE_H)
        pages.append(page)
        page.words(289.11, y(62.01), title, 22.0)
        if len(pages) > 1:
            return _NEXT_TOP
        for label, x in _HEADER:
            page.words(x, y(115.23), label, size)
        return _FIRST_TOP

    top = _LAST_TOP + 1  # forces a first page
    for row in rows:
        reason = _wrap(row["reason"], _REASON_WIDTH, size)
        # A wrapped reason that no longer fits at the page's foot is cut: its row and first line here, the
        # second line at the top of the next page (as the league's own reports do).
        cut = len(reason) > 1 and top + _ROW <= _LAST_TOP < top + _WRAPPED_ROW
        height = _ROW if cut else _WRAPPED_ROW if len(reason) > 1 else _ROW
        if top + height > _LAST_TOP:
            top = new_page()
            shown = dict.fromkeys(shown)  # a new page repeats nothing, like the real report
        page = pages[-1]
        if len(reason) > 1 and not cut:
            top += _WRAPPED_ROW - _ROW
        new_group = row["matchup"] != shown["matchup"]
        if row["game_date"] != shown["game_date"]:
            page.words(_CELL_X["Game Date"], y(top), row["game_date"], size)
        if new_group:
            page.words(_CELL_X["Game Time"], y(top), row["game_time"], size)
            page.words(_CELL_X["Matchup"], y(top), row["matchup"], size)
        if new_group or row["team"] != shown["team"]:
            page.words(_CELL_X["Team"], y(top), row["team"], size)
        shown = {k: row[k] for k in shown}
        if row["player"]:
            page.words(_CELL_X["Player Name"], y(top), row["player"], size)
            page.words(_CELL_X["Current Status"], y(top), row["status"], size)
        if cut:
            page.words(_CELL_X["Reason"], y(top), reason[0], size)
            new_page()
            shown = dict.fromkeys(shown)
            pages[-1].words(_CELL_X["Reason"], y(_CONTINUED_TOP), reason[1], size)
            top = _CONTINUED_TOP
        elif len(reason) > 1:
            page.words(_CELL_X["Reason"], y(top - 7.02), reason[0], size)
            page.words(_CELL_X["Reason"], y(top + 7.02), reason[1], size)
        else:
            page.words(_CELL_X["Reason"], y(top), reason[0], size)
        top += _ROW
    if not pages:  # no games: the real report then says so on its single page
        new_page()
        pages[-1].words(_CELL_X["Game Date"], y(_FIRST_TOP), "NO INJURIES TO REPORT", size)
    for n, page in enumerate(pages, start=1):
        page.words(398.53, y(545.43), f"Page {n} of {len(pages)}", size)
    return doc.to_bytes()


# ---------------------------------------------------------------------------------------------------------
# Gamebook


def gamebook_lines(world: World, gd: GameDay) -> list[str]:
    """The text lines of the gamebook's box score page."""
    local = to_et(gd.game.commence_utc)
    officials = ", ".join(f"#{o.jersey} {o.name}" for o in gd.officials)
    attendance = f"Attendance: {gd.attendance}" + (" (Sellout)" if gd.attendance >= 19500 else "")
    lines = [
        f"{local:%A}, {local:%B} {local.day}, {local.year} {gd.arena}, {gd.location}",
        f"Officials: {officials}",
        f"Game Duration: {gd.duration}",
        attendance,
    ]
    for side, tri in (("VISITOR", gd.away), ("HOME", gd.home)):
        info = team(tri)
        lines.append(f"{side}: {info.full_name} ({world.record_after(tri).text})")
        lines.append("NO PLAYER POS MIN FG FGA 3P 3PA FT FTA OR DR TOT A PF ST TO BS +/- PTS")
        for ln in gd.lines[tri]:
            p = ln.player
            if not ln.played:
                lines.append(f"{p.jersey} {p.name} DNP - Coach's Decision")
                continue
            pos = f" {ln.start_position}" if ln.start_position else ""
            stats = (ln.fgm, ln.fga, ln.fg3m, ln.fg3a, ln.ftm, ln.fta, ln.oreb, ln.dreb, ln.reb, ln.ast, ln.pf,
                     ln.stl, ln.tov, ln.blk, ln.plus_minus, ln.pts)  # fmt: skip
            lines.append(f"{p.jersey} {p.name}{pos} {ln.minutes_text} " + " ".join(str(v) for v in stats))
        played = gd.played(tri)
        totals = [sum(getattr(ln, k) for ln in played) for k in ("fgm", "fga", "fg3m", "fg3a", "ftm", "fta", "pts")]
        lines.append("Totals: 240:00 " + " ".join(str(v) for v in totals))
        if gd.inactive[tri]:
            listed = ", ".join(f"{i.player.name} ({i.reason})" for i in gd.inactive[tri])
            lines.append(f"Inactive: {info.nickname} - {listed}")
    lines.append(f"SCORE BY PERIOD: {gd.away} {gd.away_score} {gd.home} {gd.home_score}")
    lines.append("Technical fouls: none")
    return lines


def gamebook(world: World, gd: GameDay) -> bytes:
    doc = Document(
        info={
            "Title": f"Box Score {team(gd.away).nickname} - {team(gd.home).nickname}",
            "Creator": CREATOR,
            "Producer": CREATOR,
            "CreationDate": _pdf_date(gd.game.commence_utc + timedelta(hours=2, minutes=40)),
        }
    )
    page = doc.page(612.0, 792.0)
    top = 40.0
    for k, text in enumerate(gamebook_lines(world, gd)):
        bold = k == 0 or text.startswith(("VISITOR:", "HOME:"))
        page.text(20.0, 792.0 - top, text, 7.5, bold=bold)
        top += 11.0 if not text.startswith(("VISITOR:", "HOME:")) else 14.0
    return doc.to_bytes()
