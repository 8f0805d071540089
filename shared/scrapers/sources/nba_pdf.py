"""NBA PDFs: the official injury report (ak-static.cms.nba.com) and the game books (statsdmz.nba.com).

Both are stored byte for byte (BinaryDocument) with a parsed JSON beside them (`gcs_data_path`). pypdf is
imported by the parsers only when a PDF is parsed, so loading this module stays cheap.

Outcomes:
- 403/404: the document is not published yet (the injury report of an hour to come, a game book before the
  game ended): `no_data`, never `failed`, even though the catalogue counts an empty report as success.
- a body that is not a PDF (an HTML error page), an unreadable or text-less PDF: `failed` / `parse_error`,
  nothing stored. For the game book that includes the recorded files whose bytes were damaged by a text
  round-trip: the error names the cause and the document's title, and the run can simply be repeated
  (statsdmz keeps game books for years, so nothing is lost by not storing an unreadable copy).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from shared.parsers import nba_gamebook, nba_injury_report
from shared.parsers.errors import ParseError
from shared.paths.template import fill_path
from shared.scrapers.base import BinaryDocument, Context, Fetched, Output, Parsed, Scraper
from shared.scrapers.errors import InvalidRequest


class NbacInjuryReport(BinaryDocument):
    """Injury-Report_{date}_{hh}{AM|PM}.pdf, or `_{hh}_{mm}{AM|PM}` (the form used since late 2025) when a
    `minute` is given. Records: one per player row (date, game time, matchup, team, player, status,
    reason); teams that have not filed yet are kept apart (`not_submitted`) so the count is a player count.
    """

    no_data_statuses: ClassVar[tuple[int, ...]] = (403, 404)

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nba_injury_report.parse_injury_report_pdf(fetched.body or b"", ctx.params["date"])
        summary = dict(out["summary"])
        minute = ctx.params.get("minute", "00")
        summary["requested_report"] = f"{ctx.params['date']} {int(ctx.params['hour'])}:{minute} {ctx.params['period']}"
        data = {"records": out["records"], "not_submitted": out["not_submitted"]}
        return Parsed(summary["player_count"], summary, data)

    def extra_outputs(self, fetched: Fetched, parsed: Parsed, ctx: Context, values: dict[str, str]) -> list[Output]:
        assert self.spec.gcs_data_path
        doc = {**parsed.data, "summary": parsed.summary}
        data = json.dumps(doc, separators=(",", ":"), default=str).encode()
        return [Output(fill_path(self.spec.gcs_data_path, values), data, "application/json", role="data")]


class NbacGamebookPdf(BinaryDocument):
    """pdfs/{YYYYMMDD}/{YYYYMMDD}_{AWYHOM}_book.pdf for game_code "YYYYMMDD/AWYHOM" (path: YYYYMMDD-AWYHOM).

    Records: one per player line (active with stats, did-not-play, inactive); the summary has the game's
    date, arena, officials, attendance, teams and records.
    """

    no_data_statuses: ClassVar[tuple[int, ...]] = (403, 404)

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        code, day = params.get("game_code", ""), params.get("date")
        code_day = f"{code[:4]}-{code[4:6]}-{code[6:8]}"
        if day and day != code_day:
            raise InvalidRequest("invalid_parameter", f"game_code {code} is a game of {code_day}, not of date {day}")
        return {**params, "date": day or code_day}

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        body = fetched.body or b""
        try:
            out = nba_gamebook.parse_gamebook_pdf(body)
        except ParseError as exc:
            raise ParseError(f"{exc.detail}{_document(body)}", source=exc.source) from None
        summary = {**out["summary"], "game_code": ctx.params["game_code"]}
        return Parsed(summary["player_count"], summary, out["records"])


def _document(body: bytes) -> str:
    """ " (document: 'Box Score Grizzlies - Cavaliers', 1 page)" when the PDF's info is still readable."""
    try:
        info: dict[str, Any] = nba_gamebook.gamebook_pdf_info(body)
    except ParseError:
        return ""
    pages = info.get("page_count")
    return f" (document: {info.get('title')!r}, {pages} page{'s' if pages != 1 else ''})"


SCRAPERS: dict[str, type[Scraper]] = {
    "nbac_injury_report": NbacInjuryReport,
    "nbac_gamebook_pdf": NbacGamebookPdf,
}
