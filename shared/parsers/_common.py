"""Small helpers shared by the parser modules (stdlib only, cheap to import)."""

from __future__ import annotations

import gzip
import json
import re
import zlib
from collections.abc import Iterable, Mapping
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


def lower_keys(row: Mapping[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in row.items()}


def sorted_unique(values: Iterable[Any]) -> list[Any]:
    return sorted({v for v in values if v is not None})


def result(records: list[dict[str, Any]], summary: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Uniform parser output: ``records`` + ``summary`` (+ optional extra sections)."""
    out: dict[str, Any] = {"records": records, "summary": summary}
    out.update(extra)
    return out
