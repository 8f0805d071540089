"""What changed between two injury reports of the same day (pure, no I/O).

Why: a late scratch is the news that moves props most, and the league's report only ever shows the current
state. Each report's statuses are kept in a small, deterministically named status file (`status_file`), so
the next report's run can list the changes (player, team, game, from -> to) and name the games whose lines
should be captured again (`triggers`). The controller reads those games from the run ledger.

Players are matched by (matchup, team, player as printed): the report prints "Last, First" consistently
within a day. A player dropping off the report is a change to `None` ("no longer listed", in practice
available); a new listing is a change from `None`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from shared.bucket_layout import object_name
from shared.nba.injury_slots import ReportSlot

# A change *to* one of these, for a game not yet started, can move that game's props: re-snapshot it.
TRIGGER_STATUSES = ("Out", "Doubtful", "Questionable")
MAX_LISTED_CHANGES = 50  # in the run's summary (BigQuery row); the count is always complete
STATUS_VERSION = 1


def status_file(slot: ReportSlot) -> str:
    """The status file of a report: `_nba-orch/injury_status/<date>/<HHMM>.json` (ET wall clock of its name;
    the repeated fall-back hour's reports share a name with the first, as their PDFs do)."""
    local = slot.local
    return object_name("injury_status", local.date().isoformat(), f"{local:%H%M}")


def _key(rec: Mapping[str, Any]) -> str:
    return "|".join(str(rec.get(k) or "") for k in ("matchup", "team", "player"))


def statuses(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, str]]:
    """Player key -> {status, matchup, team, player, game_time} of one report's player rows."""
    out: dict[str, dict[str, str]] = {}
    for r in records:
        out[_key(r)] = {k: str(r.get(k) or "") for k in ("status", "matchup", "team", "player", "game_time")}
    return out


def pending_teams(not_submitted: Iterable[Mapping[str, Any]]) -> list[str]:
    """ "matchup|team" of the teams that had not submitted their list yet."""
    return sorted({f"{r.get('matchup') or ''}|{r.get('team') or ''}" for r in not_submitted})


def encode(slot: ReportSlot, records: Iterable[Mapping[str, Any]], not_submitted: Iterable[Mapping[str, Any]]) -> bytes:
    players, pending = statuses(records), pending_teams(not_submitted)
    doc = {"v": STATUS_VERSION, "report": slot.label, "players": players, "pending": pending}
    return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def decode(data: bytes) -> tuple[str, dict[str, dict[str, str]], set[str]]:
    """(report label, players, pending teams) of a status file; ValueError for anything else."""
    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("v") != STATUS_VERSION or not isinstance(doc.get("players"), dict):
        raise ValueError("not an injury status file of a version this code knows")
    return str(doc.get("report")), doc["players"], set(doc.get("pending") or ())


def diff(
    previous: Mapping[str, Mapping[str, str]],
    current: Mapping[str, Mapping[str, str]],
    pending_before: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Every player whose status differs, in (matchup, team, player) order. A team that had not submitted its
    list in the previous report is not compared (its first list is not news): `pending_before`."""
    pending = set(pending_before)
    out = []
    for key in sorted(set(previous) | set(current)):
        before, after = previous.get(key), current.get(key)
        was = before["status"] if before else None
        now = after["status"] if after else None
        if was == now:
            continue
        row = after or before
        assert row is not None
        if before is None and f"{row['matchup']}|{row['team']}" in pending:
            continue
        out.append({"player": row["player"], "team": row["team"], "matchup": row["matchup"], "from": was, "to": now})
    return out


def triggers(changes: Sequence[Mapping[str, Any]]) -> list[str]:
    """The matchups ("LAL@BOS") with a change to Out, Doubtful or Questionable: their lines may move."""
    return sorted({str(c["matchup"]) for c in changes if c.get("to") in TRIGGER_STATUSES and c.get("matchup")})


def summary(
    compared_with: str | None, changes: Sequence[Mapping[str, Any]], *, limit: int = MAX_LISTED_CHANGES
) -> dict[str, Any]:
    """The run summary's part: what it was compared with, the count, the first `limit` changes, triggers."""
    return {
        "compared_with": compared_with,
        "change_count": len(changes),
        "changes": [dict(c) for c in changes[:limit]],
        "injury_triggers": triggers(changes) if compared_with else [],
    }
