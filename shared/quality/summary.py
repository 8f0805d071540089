"""Per-source agreement over a range of game dates, from `source_comparisons` rows (pure): what
`nba-orch quality` prints."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from shared.quality.config import QualityConfig
from shared.quality.service import suspects, trusted


def latest_rows(rows: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """One row per (game_id, source): the newest comparison (a re-inserted row is an identical repeat)."""
    best: dict[tuple[str, str], Mapping[str, Any]] = {}
    for r in rows:
        k = (str(r["game_id"]), str(r["source"]))
        if k not in best or str(r.get("compared_at") or "") > str(best[k].get("compared_at") or ""):
            best[k] = r
    return [best[k] for k in sorted(best)]


def _json(v: Any) -> Any:
    return json.loads(v) if isinstance(v, str) else v


def summarise(q: QualityConfig, rows: Iterable[Mapping[str, Any]], *, worst: int = 10) -> dict[str, Any]:
    """{"sources": {src: {"agreement", "players", "agreeing", "games", "disagreements", "unmatched",
    "suspect"}}, "reference": {...}, "trusted": {kind: src}, "worst": [...]}."""
    rows = latest_rows(rows)
    per: dict[str, dict[str, Any]] = {}
    refs: dict[str, int] = {}
    diffs: list[dict[str, Any]] = []
    for r in rows:
        s = per.setdefault(
            str(r["source"]), {"players": 0, "agreeing": 0, "games": 0, "disagreements": 0, "unmatched": 0}
        )
        s["players"] += int(r.get("players_compared") or 0)
        s["agreeing"] += int(r.get("agreeing") or 0)
        s["games"] += 1
        s["disagreements"] += int(r.get("disagreement_count") or 0)
        un = _json(r.get("unmatched")) or {}
        s["unmatched"] += len(un.get("reference") or ()) + len(un.get("source") or ())
        refs[str(r["reference"])] = refs.get(str(r["reference"]), 0) + 1
        for d in _json(r.get("disagreements")) or ():
            diffs.append({"game_id": r["game_id"], "teams": r.get("teams"), "source": r["source"],
                          "reference_source": r["reference"], **d})  # fmt: skip
    for s in per.values():
        s["agreement"] = round(s["agreeing"] / s["players"], 4) if s["players"] else None
    bad = suspects(q, {k: (v["players"], v["agreeing"]) for k, v in per.items()})
    for k, v in per.items():
        v["suspect"] = k in bad
    diffs.sort(key=lambda d: -abs((d.get("reference") or 0) - (d.get("value") or 0)))
    return {
        "sources": dict(sorted(per.items())),
        "reference": dict(sorted(refs.items())),
        "trusted": {kind: trusted(q, kind, bad) for kind in q.sources},
        "games": len({r["game_id"] for r in rows}),
        "worst": diffs[:worst],
    }
