"""official.nba.com referee assignments (wp-json/api/v1/get-game-officials?date=YYYY-MM-DD).

The answer has one section per league (``nba``, ``gl`` = G League, ``wnba``), each shaped
``{"Table": {"rows": [...], "columns": [...]}, "Table1": {...replay center...}}``. Only NBA games are
kept as records; other sections are only counted. Assignments are published the morning of game day,
so ``official1..4`` may be null; ``official4`` (the alternate) usually is.
"""

from __future__ import annotations

from typing import Any

from shared.parsers._common import clean_str, expect_dict, iso_day, load_json, require, result, to_int
from shared.parsers.errors import ParseError

SOURCE = "official.nba.com"
SLOTS = (1, 2, 3, 4)


def _rows(section: Any, name: str, table: str = "Table") -> list[dict[str, Any]]:
    if section is None:
        return []
    section = expect_dict(section, source=SOURCE, what=f"section {name!r}")
    if table not in section:
        if table == "Table":
            raise ParseError(f"section {name!r} has no 'Table'", source=SOURCE)
        return []
    block = expect_dict(section[table], source=SOURCE, what=f"{name}.{table}")
    rows = require(block, "rows", list, source=SOURCE, where=f"{name}.{table}")
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise ParseError(f"{name}.{table}.rows[{index}] is not an object", source=SOURCE)
    return rows


def parse_game_officials(payload: bytes | str | dict, **params: Any) -> dict[str, Any]:
    """One record per NBA game with its (possibly empty) crew; G League / WNBA rows are skipped."""
    data = expect_dict(load_json(payload, source=SOURCE), source=SOURCE)
    if "nba" not in data:
        raise ParseError(f"no 'nba' section (keys: {', '.join(sorted(data)) or 'none'})", source=SOURCE)
    records = []
    for index, row in enumerate(_rows(data["nba"], "nba")):
        if not row.get("game_id"):
            raise ParseError(f"nba.Table.rows[{index}] has no game_id", source=SOURCE)
        officials = []
        for slot in SLOTS:
            name = clean_str(row.get(f"official{slot}"))
            if name:
                officials.append(
                    {
                        "slot": slot,
                        "name": name,
                        "person_id": to_int(row.get(f"official{slot}_code")),
                        "jersey_number": clean_str(row.get(f"official{slot}_JNum")),
                    }
                )
        records.append(
            {
                "game_id": row["game_id"],
                "game_date": iso_day(row.get("game_date"), source=SOURCE),
                "game_code": clean_str(row.get("game_code")),
                "season": clean_str(row.get("season")),
                "home_team_id": to_int(row.get("home_team_id")),
                "home_team": clean_str(row.get("home_team_abbr")),
                "home_team_city": clean_str(row.get("home_team")),
                "away_team_id": to_int(row.get("away_team_id")),
                "away_team": clean_str(row.get("away_team_abbr")),
                "away_team_city": clean_str(row.get("away_team")),
                "officials": officials,
                "official_count": len(officials),
            }
        )
    replay = [clean_str(r.get("replaycenter_official")) for r in _rows(data["nba"], "nba", "Table1")]
    dates = sorted({r["game_date"] for r in records if r["game_date"]})
    summary = {
        "game_date": dates[0] if len(dates) == 1 else params.get("game_date"),
        "game_count": len(records),
        "game_ids": [r["game_id"] for r in records],
        "games_without_officials": sum(1 for r in records if not r["officials"]),
        "official_count": sum(r["official_count"] for r in records),
        "replay_center_officials": [name for name in replay if name],
        "skipped_games": {name: len(_rows(data.get(name), name)) for name in ("gl", "wnba") if name in data},
    }
    return result(records, summary)
