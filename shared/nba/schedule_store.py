"""The schedule-file store: where the league schedule files live in the bucket, which one is newest, whether
it is fresh, and how a stored file is parsed. NBA knowledge shared by the locker (which locks a day from the
newest fresh file, scraping one first when none is fresh) and the controller (which reads the same file).

Pure helpers first; `newest_schedule` and `read_schedule` are the small GCS edge (clients imported lazily).
"""

from __future__ import annotations

import gzip
import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from shared.errors import PermanentError
from shared.nba.schedule import Game, ScheduleError, parse_schedule
from shared.runtime import Runtime
from shared.timeutil import season_of

SCHEDULE_PREFIX = "nba-com/schedule/{season}/"
FRESH_FOR = timedelta(hours=24)
_STAMP = re.compile(r"(\d{8}_\d{6})")


class ScheduleFileError(PermanentError):
    """The schedule file cannot be read as a league schedule: redelivering will not fix it."""


class ScheduleUnavailable(RuntimeError):
    """No usable schedule (none stored and the scraper failed, or the file vanished): retry later."""


@dataclass(frozen=True)
class Schedule:
    """A schedule document: where it came from, its time stamp, its games."""

    source: str  # object name in the bucket, or a local file path
    stamp: datetime | None
    games: list[Game]
    scraped: bool = False
    stale: bool = False


def schedule_prefix(d: date) -> str:
    return SCHEDULE_PREFIX.format(season=season_of(d)[0])


def stamp_of(name: str) -> datetime | None:
    """The UTC time stamp in a schedule file's name (".../20250115_100000.json"), or None."""
    m = _STAMP.search(name.rsplit("/", 1)[-1])
    if not m:
        return None
    try:
        return datetime.strptime(m.group(1), "%Y%m%d_%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def is_fresh(stamp: datetime | None, as_of: datetime) -> bool:
    """Fresh when at most 24 h older than `as_of`. A file newer than `as_of` (a past day replayed) is fresh."""
    return stamp is not None and as_of - stamp <= FRESH_FOR


def parse_schedule_bytes(data: bytes, source: str) -> list[Game]:
    """Games of a stored schedule document (JSON, gzip-compressed or not); ScheduleFileError if unreadable."""
    try:
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
        return parse_schedule(json.loads(data))
    except (OSError, EOFError, UnicodeDecodeError, ValueError, ScheduleError) as exc:
        raise ScheduleFileError(f"schedule file {source} is not a readable league schedule: {exc}") from None


def newest_schedule(rt: Runtime, d: date) -> tuple[str, datetime] | None:
    """The newest schedule file of `d`'s season: by the stamp in its name, else its creation time."""
    from shared.adapters.gcs import list_objects

    best: tuple[datetime, str] | None = None
    for name, created, _size in list_objects(rt, schedule_prefix(d)):
        stamp = stamp_of(name) or created
        if stamp is not None and (best is None or (stamp, name) > best):
            best = (stamp, name)
    return None if best is None else (best[1], best[0])


def read_schedule(rt: Runtime, name: str) -> list[Game]:
    """The games of the stored schedule file `name`; ScheduleUnavailable if it vanished, ScheduleFileError if
    it cannot be read as a league schedule."""
    from shared.adapters.gcs import read_object

    data = read_object(rt, name)
    if data is None:
        raise ScheduleUnavailable(f"schedule file gs://{rt.bucket}/{name} disappeared before it was read")
    return parse_schedule_bytes(data, f"gs://{rt.bucket}/{name}")
