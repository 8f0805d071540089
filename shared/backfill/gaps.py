"""Gaps (pure): the planned requests of a range against the runs the run ledger holds.

Why the run ledger: it is what the controller decides from (one record per finished run, by operational
day), written from the same row as the `scraper_execution_log` audit row, so both tell the same story. A
request is **done** when a run of its scraper, or of one of its catalogue fallbacks (on the parameters that
fallback takes), covers its parameters with a done status (success, or no_data where the catalogue accepts
it: the controller's `_done`), at or after its `final_at` (a box score fetched while the game was still in
play is not its final box score); **failed** when runs covering it exist and none is done (the newest
error is named); **missing** when nothing ran for it. A historical line snapshot is done only when, for
every game of the snapshot, both follow-ups (props and lines of that game's event at that instant) are done;
otherwise the gap is that snapshot for exactly the games still lacking one (`games`), and healing asks for
those games only (`heal_items`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from shared.backfill.plan import Item, follow_ups, snapshot_cost
from shared.config import Config

STATES = ("done", "failed", "missing")


@dataclass(frozen=True)
class Record:
    """One run as the ledger files it (shared.run_ledger.parse), reduced to what the comparison reads."""

    scraper: str
    at: datetime
    status: str
    params: Mapping[str, str]
    execution_id: str = ""
    error_type: str | None = None

    @classmethod
    def of(cls, rec: Mapping[str, Any]) -> Record:
        return cls(
            str(rec["scraper_name"]),
            rec["triggered_at"],
            str(rec["status"]),
            {str(k): str(v) for k, v in (rec.get("params") or {}).items()},
            str(rec.get("execution_id") or ""),
            rec.get("error_type"),
        )


@dataclass(frozen=True)
class Verdict:
    item: Item
    state: str  # done | failed | missing
    detail: str = ""
    games: tuple[str, ...] = ()  # for a partial line snapshot: the games (AWYHOM) still without their odds

    def to_json(self) -> dict[str, Any]:
        out = {**self.item.to_json(), "state": self.state}
        if self.detail:
            out["detail"] = self.detail
        if self.games:
            out["missing_games"] = list(self.games)
        return out


class Index:
    """Runs by scraper, looked up by the values of the parameters a request names (tables built lazily per
    (scraper, parameter names): a season's thousands of runs stay one dictionary probe per request)."""

    def __init__(self, records: Iterable[Record]) -> None:
        self.by_scraper: dict[str, list[Record]] = defaultdict(list)
        for r in records:
            self.by_scraper[r.scraper].append(r)
        self._tables: dict[tuple[str, tuple[str, ...]], dict[tuple[str, ...], list[Record]]] = {}

    def covering(self, scraper: str, params: Mapping[str, str]) -> list[Record]:
        keys = tuple(sorted(params))
        table = self._tables.get((scraper, keys))
        if table is None:
            table = self._tables[(scraper, keys)] = defaultdict(list)
            for r in self.by_scraper.get(scraper, ()):
                table[tuple(r.params.get(k, "\0") for k in keys)].append(r)
        return table.get(tuple(params[k] for k in keys), [])


def is_done(cfg: Config, r: Record) -> bool:
    """The controller's notion of a run that did its work."""
    spec = cfg.scrapers.get(r.scraper)
    return r.status == "success" or (r.status == "no_data" and spec is not None and spec.treat_no_data_as_success)


def _runs_for(cfg: Config, index: Index, scraper: str, params: Mapping[str, str]) -> list[Record]:
    out = list(index.covering(scraper, params))
    for fb in cfg.fallbacks_of(scraper):
        out.extend(index.covering(fb, cfg.scrapers[fb].accepted(params)))
    return out


def assess(cfg: Config, items: Sequence[Item], records: Iterable[Record]) -> list[Verdict]:
    """Every item's verdict (see the module docstring), in the items' order."""
    index = Index(records)
    return [_assess(cfg, index, i) for i in items]


def _assess(cfg: Config, index: Index, item: Item) -> Verdict:
    runs = _runs_for(cfg, index, item.scraper, item.params)
    final = [r for r in runs if item.final_at is None or r.at >= item.final_at]
    done = [r for r in final if is_done(cfg, r)]
    if not done:
        if not runs:
            return Verdict(item, "missing", "no run")
        newest = max(runs, key=lambda r: r.at)
        if not final:
            return Verdict(item, "missing", f"only runs before the game was final ({newest.status})")
        return Verdict(item, "failed", f"{newest.status}" + (f" ({newest.error_type})" if newest.error_type else ""))
    released = follow_ups(cfg, item.scraper)
    teams = item.context.get("snapshot_games")
    if not released or not isinstance(teams, Mapping) or "snapshot" not in item.params:
        return Verdict(item, "done")
    lacking = []
    for t in sorted(teams):
        for f in released:
            want = {"teams": t, "snapshot": item.params["snapshot"]}
            if not any(is_done(cfg, r) for r in index.covering(f, want)):
                lacking.append(t)
                break
    if not lacking:
        return Verdict(item, "done")
    return Verdict(item, "missing", f"odds of {len(lacking)} of {len(teams)} game(s) missing", tuple(lacking))


def gaps(verdicts: Iterable[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if v.state != "done"]


def heal_items(cfg: Config, verdicts: Iterable[Verdict]) -> list[Item]:
    """The requests that fill the gaps: each failed or missing item as planned; a partial line snapshot asked
    again for its missing games only (its follow-ups are released for those games, as live)."""
    out = []
    for v in gaps(verdicts):
        item = v.item
        if v.games:
            teams = {t: k for t, k in item.context["snapshot_games"].items() if t in v.games}
            calls, credits = snapshot_cost(cfg, item.scraper, len(teams))
            item = replace(item, context={**item.context, "snapshot_games": teams}, calls=calls, credits=credits)
        out.append(item)
    return out


def report(verdicts: Sequence[Verdict]) -> dict[str, Any]:
    """Counts by state, and the gaps per scraper and per game."""
    counts = {s: 0 for s in STATES}
    per_scraper: dict[str, dict[str, int]] = defaultdict(lambda: {"failed": 0, "missing": 0})
    per_game: dict[str, list[str]] = defaultdict(list)
    for v in verdicts:
        counts[v.state] += 1
        if v.state == "done":
            continue
        per_scraper[v.item.scraper][v.state] += 1
        for g in v.item.games:
            per_game[g].append(v.item.scraper)
    return {
        "expected": len(verdicts),
        **counts,
        "per_scraper": {k: dict(v) for k, v in sorted(per_scraper.items())},
        "per_game": {k: sorted(set(v)) for k, v in sorted(per_game.items())},
        "gaps": [v.to_json() for v in verdicts if v.state != "done"],
    }
