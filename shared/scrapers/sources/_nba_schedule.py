"""The league schedule, shared by nbac_schedule_api (stats.nba.com) and nbac_schedule_cdn (cdn.nba.com):
both answer the same leagueSchedule/gameDates document, parsed by shared.nba.schedule."""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from shared.nba.schedule import ScheduleError, parse_schedule, season_label
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, Parsed, Scraper, load_json
from shared.scrapers.errors import InvalidRequest

SOURCE = "nba.com schedule"


def normalize_season(value: str) -> str:
    """ "2024" or "2024-25" -> "2024-25" (the form NBA.com uses); InvalidRequest for "2024-27"."""
    m = re.fullmatch(r"(\d{4})(?:-(\d{2}))?", value)
    if not m:
        raise InvalidRequest("invalid_parameter", f"season {value!r}: expected YYYY or YYYY-YY")
    start = int(m.group(1))
    label = f"{start}-{(start + 1) % 100:02d}"
    if m.group(2) is not None and f"{start}-{m.group(2)}" != label:
        raise InvalidRequest("invalid_parameter", f"season {value!r}: the second year must follow the first")
    return label


def with_season(params: dict[str, str]) -> dict[str, str]:
    """`params` with an optional `season` in the NBA.com form (see `normalize_season`)."""
    if params.get("season"):
        return {**params, "season": normalize_season(params["season"])}
    return params


class ScheduleScraper(Scraper):
    def normalize_params(self, params: dict[str, str], as_of: datetime) -> dict[str, str]:
        return with_season(params)

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        doc = load_json(fetched, SOURCE)
        try:
            games = parse_schedule(doc)
        except ScheduleError as exc:
            raise ParseError(str(exc), source=SOURCE) from None
        per_date = Counter(g.game_date.isoformat() for g in games)
        summary = {
            "season": season_label(doc),
            "game_count": len(games),
            "game_date_count": len(per_date),
            "first_game_date": min(per_date) if per_date else None,
            "last_game_date": max(per_date) if per_date else None,
            "game_types": dict(sorted(Counter(g.game_type for g in games).items())),
            "games_per_date": dict(sorted(per_date.items())),
        }
        return Parsed(len(games), summary, None)
