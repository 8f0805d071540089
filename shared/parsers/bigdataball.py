"""BigDataBall play-by-play CSV files (shared on Google Drive).

Rows are kept as dicts of strings (csv module) with empty cells mapped to None, so nothing is lost or
re-typed here. The file names the away lineup a1..a5 and home lineup h1..h5 but not the teams, so
the away/home team codes are inferred from which lineup the acting player belongs to.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from typing import Any

from shared.parsers._common import decode_text, result, to_int
from shared.parsers.errors import ParseError

SOURCE = "bigdataball pbp csv"
REQUIRED_COLUMNS = ("game_id", "period", "away_score", "home_score", "team", "event_type")


def parse_pbp_csv(raw_bytes: bytes | str, **params: Any) -> dict[str, Any]:
    """CSV -> one record per play; summary with row count, game id, teams and final score."""
    text = decode_text(raw_bytes, source=SOURCE)
    if not text.strip():
        raise ParseError("empty CSV", source=SOURCE)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise ParseError(f"CSV header lacks columns {missing} (got {columns[:6]}...)", source=SOURCE)
    records: list[dict[str, Any]] = []
    for line_number, row in enumerate(reader, start=2):
        if None in row or any(value is None for value in row.values()):
            raise ParseError(f"line {line_number} has a different number of fields than the header", source=SOURCE)
        records.append({key: (value if value != "" else None) for key, value in row.items()})
    if not records:
        raise ParseError("CSV has a header but no rows", source=SOURCE)

    game_ids = sorted({r["game_id"] for r in records if r["game_id"]})
    away_votes: Counter[str] = Counter()
    home_votes: Counter[str] = Counter()
    for rec in records:
        player, team = rec.get("player"), rec.get("team")
        if not player or not team:
            continue
        if player in {rec.get(f"a{i}") for i in range(1, 6)}:
            away_votes[team] += 1
        elif player in {rec.get(f"h{i}") for i in range(1, 6)}:
            home_votes[team] += 1
    last = records[-1]
    game_id = game_ids[0] if len(game_ids) == 1 else None
    summary = {
        "row_count": len(records),
        "game_id": game_id,
        # BigDataBall drops the leading zeros of NBA game ids ("42400407" = "0042400407").
        "nba_game_id": game_id.zfill(10) if game_id and game_id.isdigit() else None,
        "game_ids": game_ids,
        "date": next((r["date"] for r in records if r.get("date")), None),
        "data_set": next((r["data_set"] for r in records if r.get("data_set")), None),
        "teams": sorted({r["team"] for r in records if r["team"]}),
        "away_team": away_votes.most_common(1)[0][0] if away_votes else None,
        "home_team": home_votes.most_common(1)[0][0] if home_votes else None,
        "periods": max((to_int(r["period"]) or 0 for r in records), default=0),
        "final_score": {"away": to_int(last["away_score"]), "home": to_int(last["home_score"])},
    }
    return result(records, summary)
