"""The Odds API v4 scrapers (key in the `apiKey` query parameter, sport basketball_nba).

- oddsa_events: the ET day as a UTC window (commenceTimeFrom/commenceTimeTo); a success releases one
  oddsa_player_props and one oddsa_game_lines request per event of that ET day.
- oddsa_player_props / oddsa_game_lines: one event's odds; 200 and 204 (no odds yet) are both valid.
- *_his: the historical snapshots (`snapshot` instant), answers wrapped in
  {timestamp, previous_timestamp, next_timestamp, data}; oddsa_events_his releases the *_his requests.
The credit headers (x-requests-remaining/used/last) land in the row's data_summary["quota"] (core.quota).
Team names are mapped to tricodes for the `{teams}` ("{away}{home}") path segment.
"""

from __future__ import annotations

import json
from datetime import date as Date
from datetime import time, timedelta
from typing import Any

from shared.nba.teams import tricode_for_name
from shared.parsers import odds_api
from shared.parsers.errors import ParseError
from shared.scrapers.base import Context, Fetched, Parsed, Scraper
from shared.scrapers.errors import ScraperFailure
from shared.timeutil import et_at, et_date, iso_utc, parse_date, parse_instant


def day_window(day: Date) -> tuple[str, str]:
    """The ET calendar day as a UTC window [00:00 ET, next 00:00 ET - 1 s], in the API's format."""
    start = et_at(day, time(0, 0))
    end = et_at(day + timedelta(days=1), time(0, 0)) - timedelta(seconds=1)
    return iso_utc(start), iso_utc(end)


def _teams(away: str | None, home: str | None) -> str | None:
    a, h = tricode_for_name(away), tricode_for_name(home)
    return f"{a}{h}" if a and h else None


class OddsaEvents(Scraper):
    props_scraper = "oddsa_player_props"
    lines_scraper = "oddsa_game_lines"

    def query(self, ctx: Context) -> dict[str, str]:
        start, end = day_window(parse_date(ctx.params["date"]))
        return {"commenceTimeFrom": start, "commenceTimeTo": end}

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = odds_api.parse_events(fetched.body or b"")
        day = parse_date(ctx.params["date"])
        on_day = []
        for rec in out["records"]:
            try:
                local = et_date(parse_instant(rec["commence_time"]))
            except ValueError as exc:
                raise ParseError(f"event {rec['event_id']}: bad commence_time ({exc})", source="the-odds-api") from None
            if local == day:
                on_day.append(rec)
        summary = {
            **out["summary"],
            "event_ids_on_date": [r["event_id"] for r in on_day],
            "teams_on_date": {r["event_id"]: _teams(r["away_team"], r["home_team"]) for r in on_day},
        }
        return Parsed(len(out["records"]), summary, on_day)

    def follow_up_params(self, event: dict[str, Any], ctx: Context) -> dict[str, str]:
        params = {"event_id": event["event_id"], "date": ctx.params["date"]}
        teams = _teams(event["away_team"], event["home_team"])
        if teams:
            params["teams"] = teams
        return params

    def follow_ups(self, parsed: Parsed, ctx: Context) -> list[Any]:
        """Props and game lines per event; when the request names the games of a line snapshot
        (`snapshot_games`: {AWYHOM: snapshot_type}, set by a game_tip_offsets decision), only those events,
        each follow-up labelled with its game's snapshot_type."""
        wanted = ctx.request.context.get("snapshot_games")
        out = []
        for event in parsed.data or []:
            params = self.follow_up_params(event, ctx)
            if isinstance(wanted, dict):
                kind = wanted.get(params.get("teams") or "")
                if kind is None:
                    continue
                for name in (self.props_scraper, self.lines_scraper):
                    req = self.follow_up(ctx, name, params)
                    req.context["snapshot_type"] = kind
                    out.append(req)
                continue
            out.append(self.follow_up(ctx, self.props_scraper, params))
            out.append(self.follow_up(ctx, self.lines_scraper, params))
        return out


class OddsaEventsHis(OddsaEvents):
    props_scraper = "oddsa_player_props_his"
    lines_scraper = "oddsa_game_lines_his"

    def query(self, ctx: Context) -> dict[str, str]:
        return {}  # the snapshot is in the URL; the answer lists the events known at that instant

    def follow_up_params(self, event: dict[str, Any], ctx: Context) -> dict[str, str]:
        return {**super().follow_up_params(event, ctx), "snapshot": ctx.params["snapshot"]}


class OddsaEventOdds(Scraper):
    """One event's odds (player props or game lines, live or historical); 204 = no odds yet.

    The live calls ask for the markets, regions and bookmakers of settings.yaml `odds:` (each market costs
    credits: markets x regions per call); the historical URLs keep theirs in the catalogue."""

    def query(self, ctx: Context) -> dict[str, str]:
        if self.name not in ("oddsa_player_props", "oddsa_game_lines"):
            return {}
        from shared.config import get_config

        odds = get_config().odds
        markets = odds.prop_markets if self.name == "oddsa_player_props" else odds.line_markets
        out = {"markets": ",".join(markets), "regions": ",".join(odds.regions)}
        if odds.bookmakers:
            out["bookmakers"] = ",".join(odds.bookmakers)
        return out

    def parse(self, fetched: Fetched, ctx: Context) -> Parsed:
        out = odds_api.parse_event_odds(fetched.body or b"")
        recs = out["records"]
        summary = {**out["summary"]}
        if recs:
            summary["home_team"], summary["away_team"] = recs[0]["home_team"], recs[0]["away_team"]
        else:  # no bookmaker yet: the event object still names the teams
            doc = json.loads(fetched.body or b"{}")
            event = doc.get("data") if isinstance(doc, dict) and "timestamp" in doc else doc
            if isinstance(event, dict):
                summary["home_team"], summary["away_team"] = event.get("home_team"), event.get("away_team")
        return Parsed(int(summary["outcome_count"]), summary, recs)

    def path_values(self, parsed: Parsed, ctx: Context) -> dict[str, str]:
        if ctx.params.get("teams"):
            return {}
        teams = _teams(parsed.summary.get("away_team"), parsed.summary.get("home_team"))
        if not teams:
            raise ScraperFailure(
                "unknown_team",
                f"cannot name the teams of event {ctx.params.get('event_id')} "
                f"({parsed.summary.get('away_team')!r} @ {parsed.summary.get('home_team')!r}); pass teams=",
            )
        return {"teams": teams}


SCRAPERS: dict[str, type[Scraper]] = {
    "oddsa_events": OddsaEvents,
    "oddsa_player_props": OddsaEventOdds,
    "oddsa_game_lines": OddsaEventOdds,
    "oddsa_events_his": OddsaEventsHis,
    "oddsa_player_props_his": OddsaEventOdds,
    "oddsa_game_lines_his": OddsaEventOdds,
}
