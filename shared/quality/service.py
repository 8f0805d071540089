"""The night's comparison, run by cleanup's tick (I/O at the edges; the decisions are pure functions).

Why cleanup: the comparison reads stored files and calls no upstream, must run once all post-game windows
are over, and must be retried until it is done; cleanup's 15-minute tick is the pipeline's reconciler of
stored files already, with its own claim per tick, and evaluates the SLAs right after (so a skewed source is
flagged at the tick that compared it). A controller workflow would need a request type no scraper serves.

Idempotent per game: the marker `_nba-orch/quality/<game date>/<game id>.json` (create-only) holds the
game's results and, in its metadata, each source's counts; a game with a marker is never compared again.
Rows go to `source_comparisons` before the marker, with insertId `<game id>~<source>`; a crash between the
two re-inserts identical rows, which readers collapse by (game_id, source) (`latest_rows`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from shared import rules
from shared.bucket_layout import object_name
from shared.config import Config
from shared.nba.schedule import Game
from shared.quality.compare import Comparison, compare
from shared.quality.config import QualityConfig
from shared.quality.lines import GameLines, read_lines
from shared.quality.window import MARKERS, marker_prefix, read_window
from shared.runtime import Runtime
from shared.timeutil import iso_utc

TABLE = "source_comparisons"


# ---------------------------------------------------------------------------------------------------------
# Pure


def due_at(cfg: Config, q: QualityConfig, d: date) -> datetime | None:
    """When operational day `d`'s games are compared: the last post-game window's time and tolerance, plus
    the grace (None when that wall time does not exist that day)."""
    wf = cfg.workflows[q.after_workflow]
    assert wf.fixed_time is not None
    at = rules.wall_instant(cfg, rules.clock_date(cfg, d, wf.fixed_time), wf.fixed_time)
    return None if at is None else at + timedelta(minutes=wf.tolerance_minutes + q.grace_minutes)


def date_prefix(cfg: Config, scraper: str, d: date) -> str:
    """The folder of a scraper's files about date `d` (its gcs_path up to `{date}`)."""
    template = cfg.scrapers[scraper].gcs_path
    head = template.split("{date}", 1)[0]
    if "{" in head or "{date}" not in template:
        raise ValueError(f"{scraper}: gcs_path {template!r} has no leading {{date}} folder")
    return f"{head}{d.isoformat()}/"


def suspects(q: QualityConfig, counts: Mapping[str, tuple[int, int]]) -> dict[str, float]:
    """Sources below the threshold over the window: source -> agreement (only with enough players)."""
    s = q.suspect
    return {
        src: agreeing / players
        for src, (players, agreeing) in sorted(counts.items())
        if players >= s.min_players and agreeing / players < s.min_agreement
    }


def trusted(q: QualityConfig, kind: str, suspect: Iterable[str], available: Iterable[str] | None = None) -> str | None:
    """The source to rely on for `kind`: the first of its primary/backups that is not suspect (and, when
    `available` is given, has the data)."""
    bad, have = set(suspect), None if available is None else set(available)
    return next((s for s in q.order(kind) if s not in bad and (have is None or s in have)), None)


@dataclass(frozen=True)
class GameResult:
    game: Game
    reference: str | None
    comparisons: tuple[Comparison, ...]
    missing: tuple[str, ...]  # sources with no stored answer for the game

    def marker(self) -> dict[str, Any]:
        return {
            "v": 1,
            "game_id": self.game.game_id,
            "teams": self.game.teams,
            "reference": self.reference,
            "missing": list(self.missing),
            "comparisons": [c.to_json() for c in self.comparisons],
        }

    def metadata(self) -> dict[str, str]:
        """Per source "players/agreeing": what the suspect SLA sums from a listing (no body reads)."""
        return {f"q_{c.source}": f"{c.players}/{c.agreeing}" for c in self.comparisons}


def compare_games(
    q: QualityConfig, games: Sequence[Game], found: Mapping[str, Sequence[GameLines]], suspect: Iterable[str] = ()
) -> list[GameResult]:
    """Each game of the night against the reference: the first source of `box_scores` that has the game and
    is not suspect (a suspect source still gets compared, never trusted)."""
    by_source = {src: {g.teams: g for g in lines} for src, lines in found.items()}
    out = []
    for g in games:
        have = [s for s in q.order() if g.teams in by_source.get(s, {})]
        ref = trusted(q, "box_scores", suspect, have)
        comps = tuple(
            compare(ref, by_source[ref][g.teams], s, by_source[s][g.teams], tolerances=q.tolerances, aliases=q.aliases)
            for s in have
            if ref is not None and s != ref
        )
        missing = tuple(s for s in q.order() if s not in have)
        out.append(GameResult(g, ref, comps, missing))
    return out


def rows(results: Iterable[GameResult], d: date, now: datetime, environment: str) -> list[tuple[str, dict]]:
    """(insertId, row) per (game, compared source)."""
    out = []
    for r in results:
        for c in r.comparisons:
            out.append(
                (
                    f"{r.game.game_id}~{c.source}",
                    {
                        "game_date": r.game.game_date,
                        "game_id": r.game.game_id,
                        "teams": r.game.teams,
                        "source": c.source,
                        "reference": c.reference,
                        "players_compared": c.players,
                        "matched": c.matched,
                        "agreeing": c.agreeing,
                        "agreement": round(c.agreement, 4),
                        "disagreement_count": c.disagreement_count,
                        "disagreements": json.dumps(list(c.disagreements)),
                        "unmatched": json.dumps(
                            {"reference": list(c.unmatched_reference), "source": list(c.unmatched_source)}
                        ),
                        "operational_day": d,
                        "compared_at": now,
                        "environment": environment,
                    },
                )
            )
    return out


# ---------------------------------------------------------------------------------------------------------
# Edges


def _newest_bodies(rt: Runtime, cfg: Config, scraper: str, d: date) -> list[bytes]:
    """The newest stored answer of each folder (game) of a scraper's date folder."""
    from shared.adapters.gcs import list_objects, read_object

    newest: dict[str, str] = {}
    for name, _created, _size in list_objects(rt, date_prefix(cfg, scraper, d)):
        folder = name.rsplit("/", 1)[0]
        if name > newest.get(folder, ""):
            newest[folder] = name  # names end in the run's UTC timestamp: the greatest is the newest
    return [b for n in sorted(newest.values()) if (b := read_object(rt, n)) is not None]


def compare_night(rt: Runtime, cfg: Config, q: QualityConfig, d: date, now: datetime) -> dict[str, Any]:
    """Compare the games of game date `d` that have no marker yet; returns a summary for cleanup's row/log."""
    from shared import log
    from shared.adapters.bigquery import insert_rows
    from shared.adapters.gcs import create_object, list_objects
    from shared.controller.state import load_games
    from shared.errors import AlreadyExists

    games, _ = load_games(rt, d)
    night = [g for g in rules.day_games(cfg, d, games) if g.teams_known]
    done = {n.rsplit("/", 1)[1].removesuffix(".json") for n, _c, _s in list_objects(rt, marker_prefix(d))}
    todo = [g for g in night if g.game_id not in done]
    if not todo:
        return {"date": d.isoformat(), "games": len(night), "compared": 0}
    found: dict[str, list[GameLines]] = {}
    unreadable: list[str] = []
    for src, scraper in q.scrapers.items():
        for body in _newest_bodies(rt, cfg, scraper, d):
            try:
                found.setdefault(src, []).extend(read_lines(src, body))
            except (ValueError, KeyError, TypeError) as exc:  # a stored answer we cannot read: that file only
                unreadable.append(f"{src}: {type(exc).__name__}")
    prior = suspects(q, read_window(rt, q, d - timedelta(days=1)))
    results = compare_games(q, todo, found, prior)
    results = [r for r in results if r.reference is not None]  # no source has it: final_box_scores says so
    keyed = rows(results, d, now, rt.environment)
    insert_rows(rt, TABLE, [r for _, r in keyed], row_ids=[k for k, _ in keyed])
    for r in results:
        try:
            create_object(
                rt,
                object_name(MARKERS, d.isoformat(), r.game.game_id),
                json.dumps(r.marker(), separators=(",", ":")).encode(),
                metadata={"compared_at": iso_utc(now), **r.metadata()},
            )
        except AlreadyExists:
            pass  # another delivery compared it first: the same deterministic result
    worst = sorted((c for r in results for c in r.comparisons), key=lambda c: c.agreement)[:3]
    for c in worst:
        if c.agreement < q.suspect.min_agreement:
            log.warning(
                f"quality: {c.source} agrees with {c.reference} on {c.agreeing} of {c.players} players",
                game_date=d.isoformat(),
                source=c.source,
            )
    return {
        "date": d.isoformat(),
        "games": len(night),
        "compared": len(results),
        "rows": len(keyed),
        "suspect_before": sorted(prior),
        **({"unreadable": unreadable} if unreadable else {}),
    }


def run_due(rt: Runtime, cfg: Config, now: datetime) -> list[dict[str, Any]]:
    """At a cleanup tick: compare every night whose comparison is due (yesterday's and today's operational
    day, the latter once its last post-game window is over)."""
    from shared.quality.config import load_quality_config

    q = load_quality_config()
    today = rules.operational_day_of(cfg, now)
    out = []
    for d in (today - timedelta(days=1), today):
        due = due_at(cfg, q, d)
        if due is not None and now >= due:
            out.append(compare_night(rt, cfg, q, d, now))
    return out
