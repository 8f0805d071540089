"""NBA PDFs: the official injury report (ak-static.cms.nba.com) and the game books (statsdmz.nba.com).

Both are stored byte for byte (BinaryDocument) with a parsed JSON beside them (`gcs_data_path`). pypdf is
imported by the parsers only when a PDF is parsed, so loading this module stays cheap.

Outcomes:
- 403/404 for a game book: not published yet (before the game ended): `no_data`, never `failed`.
- 403/404 for an injury report: `no_data` while the report is not due yet at the request's `as_of`; once it
  is (the next slot has begun, shared.nba.injury_slots), `failed` / `report_missing`: a report that should
  be online and is not, which is never a success.
- an injury report without a player row (no games, or no team has submitted yet): `no_data`.
- a body that is not a PDF (an HTML error page), an unreadable or text-less PDF: `failed` / `parse_error`,
  nothing stored. For the game book that includes the recorded files whose bytes were damaged by a text
  round-trip: the error names the cause and the document's title, and the run can simply be repeated
  (statsdmz keeps game books for years, so nothing is lost by not storing an unreadable copy).
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, ClassVar

from shared.nba import injury_changes, injury_slots
from shared.parsers import nba_gamebook, nba_injury_report
from shared.parsers.errors import ParseError
from shared.paths.template import fill_path
from shared.scrapers.base import BinaryDocument, Context, Fetched, Output, Parsed, Scraper
from shared.scrapers.errors import InvalidRequest, ScraperFailure
from shared.timeutil import parse_date, to_et


class NbacInjuryReport(BinaryDocument):
    """The report in its date's naming era: Injury-Report_{date}_{hh}{AM|PM}.pdf up to 2025-12-22,
    Injury-Report_{date}_{hh}_{mm}{AM|PM}.pdf from 2025-12-23 (shared.nba.injury_slots). Without hour and
    period the request means the newest report due at its `as_of` (of `date`, when one is given).
    Records: one per player row (date, game time, matchup, team, player, status, reason); teams that have not
    filed yet are kept apart (`not_submitted`) so the count is a player count.
    """

    no_data_statuses: ClassVar[tuple[int, ...]] = (403, 404)
    # The report's own schedule says whether a missing report is "not yet" or "missing" (fetch below), so
    # the object store's not-published answer is judged here, not by the request's workflow.
    judges_not_published: ClassVar[bool] = True

    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        """The report's own name: date, hour, period, and minute only in the 15-minute era."""
        try:
            slot = injury_slots.requested_slot(params, as_of)
        except ValueError as exc:
            raise InvalidRequest("invalid_parameter", f"{self.name}: {exc}") from None
        rest = {k: v for k, v in params.items() if k not in ("date", *injury_slots.TIME_PARAMS)}
        return {**rest, **slot.params}

    @staticmethod
    def slot(ctx: Context) -> injury_slots.ReportSlot:
        p = ctx.params
        return injury_slots.slot_of(parse_date(p["date"]), p["hour"], p["period"], p.get("minute"))

    def fetch(self, http: Any, ctx: Context) -> Fetched:
        fetched = super().fetch(http, ctx)
        if fetched.body is None and fetched.status in self.no_data_statuses:
            slot = self.slot(ctx)
            if slot.is_due(ctx.as_of):
                raise ScraperFailure(
                    "report_missing",
                    f"{slot.file_name} answered {fetched.status} at {to_et(ctx.as_of):%Y-%m-%d %H:%M} ET: the report "
                    f"of {slot.label} ET ({slot.era} names) should be online since {to_et(slot.due):%H:%M} ET",
                    status=fetched.status,
                    retries=fetched.retries,
                )
        return fetched

    # How many earlier reports of the day are looked for when comparing (the newest that exists wins): two
    # hours of 15-minute reports, twelve of hourly ones.
    prior_reports: ClassVar[int] = 8

    def prior_candidates(self, ctx: Context) -> list[str]:
        """The status files of the day's earlier reports, newest first (injury_changes.status_file)."""
        slot = self.slot(ctx)
        earlier = [s for s in injury_slots.slots_of_day(slot.date, slot.tz) if s.start < slot.start]
        return [injury_changes.status_file(s) for s in reversed(earlier[-self.prior_reports :])]

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = nba_injury_report.parse_injury_report_pdf(fetched.body or b"", ctx.params["date"])
        slot = self.slot(ctx)
        summary = {**out["summary"], "anomalies": list(out["summary"]["anomalies"])}
        summary.update(requested_report=slot.label, report_file=slot.file_name, naming_era=slot.era)
        printed = summary["report_datetime_et"]
        if printed != slot.printed_et:
            summary["anomalies"].append(f"printed time {printed} is not the {slot.printed_et} of {slot.file_name}")
        summary.update(self._changes(ctx, out["records"], summary["anomalies"]))
        data = {"records": out["records"], "not_submitted": out["not_submitted"]}
        return Parsed(summary["player_count"], summary, data)

    @staticmethod
    def _changes(ctx: Context, records: list[dict[str, Any]], anomalies: list[str]) -> dict[str, Any]:
        """The statuses compared with the newest earlier report of the day that was kept (ctx.prior)."""
        if ctx.prior is None:
            return injury_changes.summary(None, [])
        name, data = ctx.prior
        try:
            label, before, pending = injury_changes.decode(data)
        except ValueError as exc:
            anomalies.append(f"previous statuses {name} unreadable ({type(exc).__name__}); not compared")
            return injury_changes.summary(None, [])
        changes = injury_changes.diff(before, injury_changes.statuses(records), pending)
        return injury_changes.summary(label, changes)

    def state_outputs(self, parsed: Parsed, ctx: Context) -> list[Output]:
        """This report's statuses, for the next report's comparison."""
        slot = self.slot(ctx)
        data = injury_changes.encode(slot, parsed.data["records"], parsed.data["not_submitted"])
        return [Output(injury_changes.status_file(slot), data, "application/json", role="state")]

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
