"""Small helpers shared by the parser modules (stdlib only, cheap to import)."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from shared.parsers.errors import ParseError

GZIP_MAGIC = b"\x1f\x8b"


def maybe_gunzip(raw: bytes, *, source: str) -> bytes:
    """Return ``raw`` decompressed if it is gzip data (captures are sometimes stored gzipped)."""
    if raw[:2] != GZIP_MAGIC:
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as exc:
        raise ParseError(f"gzip data is corrupt or truncated ({exc})", source=source) from exc


def decode_text(raw: bytes | bytearray | str, *, source: str) -> str:
    """Decode bytes (optionally gzipped, optional UTF-8 BOM) to text; ``str`` passes through."""
    if isinstance(raw, str):
        return raw.removeprefix("\ufeff")
    if not isinstance(raw, (bytes, bytearray)):
        raise ParseError(f"expected bytes or str, got {type(raw).__name__}", source=source)
    data = maybe_gunzip(bytes(raw), source=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Upstream HTML occasionally carries stray Windows-1252 bytes; do not fail the whole page.
        return data.decode("utf-8", errors="replace")


def load_json(raw: Any, *, source: str) -> Any:
    """Accept raw bytes/str JSON (optionally gzipped) or an already-decoded dict/list."""
    if isinstance(raw, (dict, list)):
        return raw
    if isinstance(raw, (bytes, bytearray, str)):
        text = decode_text(raw, source=source)
        if not text.strip():
            raise ParseError("empty body, expected JSON", source=source)
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"invalid JSON (truncated or not JSON?): {exc.msg} at line {exc.lineno} column {exc.colno}",
                source=source,
            ) from exc
    raise ParseError(f"expected JSON bytes/str or a decoded dict/list, got {type(raw).__name__}", source=source)


def expect_dict(obj: Any, *, source: str, what: str = "payload") -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ParseError(f"{what} must be a JSON object, got {type(obj).__name__}", source=source)
    return obj


def expect_list(obj: Any, *, source: str, what: str) -> list[Any]:
    if not isinstance(obj, list):
        raise ParseError(f"{what} must be a JSON array, got {type(obj).__name__}", source=source)
    return obj


def require(obj: Mapping[str, Any], key: str, typ: type | tuple[type, ...], *, source: str, where: str) -> Any:
    """Fetch a required key and check its type, raising a ParseError naming the location."""
    if key not in obj:
        raise ParseError(f"missing required key {key!r} in {where}", source=source)
    value = obj[key]
    if not isinstance(value, typ):
        names = typ.__name__ if isinstance(typ, type) else "/".join(t.__name__ for t in typ)
        raise ParseError(f"{where}.{key} must be {names}, got {type(value).__name__}", source=source)
    return value


def to_int(value: Any) -> int | None:
    """Best-effort int: ints, integral floats (stats.nba.com sends ids as 1610612744.0) and digit strings."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        text = value.strip().replace(",", "")
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
        if re.fullmatch(r"[+-]?\d+\.0+", text):
            return int(float(text))
    return None


def to_float(value: Any) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip().rstrip("%")
        try:
            return float(text)
        except ValueError:
            return None
    return None


def clean_str(value: Any) -> str | None:
    """Strip strings and map empty strings to None so 'missing' has one representation."""
    if value is None:
        return None
    text = str(value).strip()
    return text or None


# The forms upstream APIs write a calendar date in: ISO (2026-02-22, optionally with a time such as
# 2026-02-22T00:00:00, 2026-02-22 00:00:00.000 or 2026-02-22T19:00:00Z) and US (02/22/2026, 2/22/2026,
# optionally with a time: 02/22/2026 00:00:00, 02/22/2026 7:30 PM). stats.nba.com echoes ISO requests as
# MM/DD/YYYY; its rows write GAME_DATE_EST as 2024-01-15T00:00:00.
_ISO_DAY = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?", re.IGNORECASE
)
_US_DAY = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?: ?[AP]M)?)?", re.IGNORECASE
)


def iso_day(value: Any, *, source: str) -> str | None:
    """The calendar date written in `value` as YYYY-MM-DD (None when empty); ParseError for any other form.

    Why one helper: every check of an answer's echoed date against the requested one must compare dates, not
    spellings (stats.nba.com answers `GameDate=2026-02-22` with "02/22/2026"). The date is the one WRITTEN,
    never shifted by a time zone: an echo is a calendar date, not an instant.
    """
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    if not text:
        return None
    if m := _ISO_DAY.fullmatch(text):
        y, mo, d = m.groups()
    elif m := _US_DAY.fullmatch(text):
        mo, d, y = m.groups()
    else:
        raise ParseError(
            f"unrecognised date {text!r} (expected YYYY-MM-DD or MM/DD/YYYY, with or without a time)", source=source
        )
    try:
        return date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        raise ParseError(f"impossible date {text!r}", source=source) from None


def check_day(asked: Any, answered: Any, *, source: str, what: str = "the answer is of") -> None:
    """ParseError unless the answer's date `answered` (any form of `iso_day`; None: not echoed, nothing to
    check) names the requested day `asked`. The message reads "asked for <asked>, <what> <answered>"."""
    got = iso_day(answered, source=source)
    want = iso_day(asked, source=source)
    if got is None or got == want:
        return
    shown = got if str(answered).strip() == got else f"{got} (written {str(answered).strip()!r})"
    raise ParseError(f"asked for {want}, {what} {shown}", source=source)


_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def snake(name: str) -> str:
    """camelCase -> snake_case (``fieldGoalsMade`` -> ``field_goals_made``): NBA.com's v3 and liveData keys."""
    return _CAMEL.sub("_", name).lower()


_MMSS = re.compile(r"(\d{1,3}):(\d{2})(?:\.\d+)?")
_PT = re.compile(r"PT(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?")


def pt_seconds(value: Any) -> float | None:
    """``"PT11M44.00S"`` -> 704.0: the ISO-8601 duration liveData writes game clocks and minutes in."""
    if not isinstance(value, str):
        return None
    m = _PT.fullmatch(value.strip())
    if not m or not any(m.groups()):
        return None
    return round(int(m.group(1) or 0) * 60 + float(m.group(2) or 0), 2)


def minutes_seconds(value: Any) -> float | None:
    """Minutes played as seconds: "34:24" (stats.nba.com v2/v3) or "PT34M24.00S" (liveData) -> 2064.0;
    None for an empty or unknown form (a player who did not play has "")."""
    if isinstance(value, str) and (m := _MMSS.fullmatch(value.strip())):
        return float(int(m.group(1)) * 60 + int(m.group(2)))
    return pt_seconds(value)


def lower_keys(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in row.items()}


def sorted_unique(values: Iterable[Any]) -> list[Any]:
    return sorted({v for v in values if v is not None})


def result(records: list[dict[str, Any]], summary: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Uniform parser output: ``records`` + ``summary`` (+ optional extra sections)."""
    out: dict[str, Any] = {"records": records, "summary": summary}
    out.update(extra)
    return out
