"""One source's player lines of a game against the reference source's (pure).

Identity: by player id where both sources use the same ids (NBA.com stats and the CDN share NBA person
ids), else by team and normalised name (shared.quality.names, with the configured aliases). Only players
who played in either source are compared (balldontlie lists every rostered player with "00"). A player
found on one side only is listed as unmatched and counts as not agreeing. Agreement: every field within its
tolerance (minutes within 1, counting stats equal by default); team totals are the players' points summed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.quality.lines import GameLines, PlayerLine
from shared.quality.names import normalise

# Sources whose player ids are the same ids (NBA person ids).
ID_FAMILIES = ({"nba_stats", "nba_cdn"},)
FIELDS = ("minutes", "points", "rebounds", "assists")
# A game's disagreements are kept up to this many (the row stays small; the count is exact).
MAX_LISTED = 40


@dataclass(frozen=True)
class Comparison:
    source: str
    reference: str
    players: int  # compared: who played on either side
    matched: int
    agreeing: int
    disagreements: tuple[dict[str, Any], ...] = ()
    disagreement_count: int = 0
    unmatched_reference: tuple[str, ...] = ()  # "TEAM Name" of the reference's players not found
    unmatched_source: tuple[str, ...] = ()
    team_points: Mapping[str, tuple[int, int]] = field(default_factory=dict)  # team -> (reference, source)

    @property
    def agreement(self) -> float:
        return self.agreeing / self.players if self.players else 1.0

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "reference": self.reference,
            "players": self.players,
            "matched": self.matched,
            "agreeing": self.agreeing,
            "agreement": round(self.agreement, 4),
            "disagreement_count": self.disagreement_count,
            "disagreements": list(self.disagreements),
            "unmatched_reference": list(self.unmatched_reference),
            "unmatched_source": list(self.unmatched_source),
            "team_points": {k: list(v) for k, v in sorted(self.team_points.items())},
        }


def _shares_ids(a: str, b: str) -> bool:
    return any(a in f and b in f for f in ID_FAMILIES)


def _label(p: PlayerLine) -> str:
    return f"{p.team} {p.name}"


def _diffs(ref: PlayerLine, got: PlayerLine, tolerances: Mapping[str, float]) -> list[dict[str, Any]]:
    out = []
    for f in FIELDS:
        a, b = getattr(ref, f), getattr(got, f)
        if abs(a - b) > tolerances.get(f, 0) + 1e-9:
            out.append({"player": ref.name, "team": ref.team, "field": f, "reference": _round(a), "value": _round(b)})
    return out


def _round(v: float) -> float | int:
    return int(v) if float(v).is_integer() else round(v, 2)


def compare(
    ref_source: str,
    ref: GameLines,
    source: str,
    got: GameLines,
    *,
    tolerances: Mapping[str, float],
    aliases: Mapping[str, str] | None = None,
) -> Comparison:
    """`got` (of `source`) against `ref` (of `ref_source`), the same game."""
    by_id = _shares_ids(ref_source, source)

    def key(p: PlayerLine) -> tuple[str, str]:
        return (p.team, p.source_id or "") if by_id and p.source_id else (p.team, normalise(p.name, aliases))

    ref_lines = {key(p): p for p in ref.lines}
    got_lines = {key(p): p for p in got.lines}
    keys = [
        k
        for k in dict.fromkeys([*ref_lines, *got_lines])
        if any(d.get(k) is not None and d[k].played for d in (ref_lines, got_lines))
    ]
    matched = agreeing = 0
    diffs: list[dict[str, Any]] = []
    miss_ref, miss_got = [], []
    for k in keys:
        a, b = ref_lines.get(k), got_lines.get(k)
        if a is None:
            assert b is not None
            miss_got.append(_label(b))
        elif b is None:
            miss_ref.append(_label(a))
        else:
            matched += 1
            d = _diffs(a, b, tolerances)
            agreeing += not d
            diffs += d
    points: dict[str, tuple[int, int]] = {}
    for team in (ref.away, ref.home):
        points[team] = (
            sum(p.points for p in ref.lines if p.team == team),
            sum(p.points for p in got.lines if p.team == team),
        )
        if points[team][0] != points[team][1]:
            diffs.append({"player": None, "team": team, "field": "team_points",
                          "reference": points[team][0], "value": points[team][1]})  # fmt: skip
    worst = sorted(diffs, key=lambda d: -abs((d["reference"] or 0) - (d["value"] or 0)))
    return Comparison(
        source=source,
        reference=ref_source,
        players=len(keys),
        matched=matched,
        agreeing=agreeing,
        disagreements=tuple(worst[:MAX_LISTED]),
        disagreement_count=len(diffs),
        unmatched_reference=tuple(sorted(miss_ref)),
        unmatched_source=tuple(sorted(miss_got)),
        team_points=points,
    )
