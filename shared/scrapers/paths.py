"""Filling URL and GCS path templates from a request's parameters and its logical time.

Why a module of its own: a GCS path is an address other systems rely on (cleanup lists it, processors
read it), so a parameter must never be able to change the path's shape. Every value substituted into a
path is checked: no `/` or `\\`, no `..`, no control characters, no secret. URL values are percent-encoded
instead, so they cannot add query parameters or path segments either.

Built-in placeholders (derived, never read from the wall clock):
  {timestamp} UTC YYYYMMDD_HHMMSS of the logical time  · {snap} UTC HHMM of the logical time
  {date} the `date`/`game_date` parameter, else the ET date of the logical time
  {gamedate} YYYYMMDD (parameter, else from game_code or date) · {teams} parameter, else from game_code
  {season} parameter, else the NBA season "YYYY-YY" of {date}
  {hour24} 00-23 from hour (1-12) + period (AM/PM) · {hour_token} "hh" or "hh_mm" (minute given)
  {game_code_dashes} game_code "YYYYMMDD/AWYHOM" as "YYYYMMDD-AWYHOM"
A scraper may add or override values derived from the upstream answer (`Scraper.path_values`).
"""

from __future__ import annotations

import re
import string
from datetime import UTC, datetime
from urllib.parse import quote

from shared.scrapers.errors import InvalidRequest
from shared.secrets import scrub
from shared.timeutil import et_date, season_of, utc_stamp

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def template_fields(template: str) -> list[str]:
    """Placeholder names of a str.format template, in order."""
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


def check_path_value(name: str, value: str) -> str:
    """`value` unchanged if it cannot alter a path's shape; InvalidRequest('unsafe_parameter') otherwise."""
    if not isinstance(value, str) or value == "":
        raise InvalidRequest("unsafe_parameter", f"parameter {name!r} is empty: it would change the path's shape")
    problem = None
    if "/" in value or "\\" in value:
        problem = "contains a path separator"
    elif ".." in value:
        problem = "contains '..'"
    elif _CONTROL.search(value):
        problem = "contains a control character"
    elif scrub(value) != value:
        problem = "contains a secret"
    if problem:
        raise InvalidRequest("unsafe_parameter", f"parameter {name!r} {problem}: rejected {scrub(value)[:80]!r}")
    return value


def check_control_chars(name: str, value: str) -> str:
    """Any parameter (also URL-only ones) must be free of control characters."""
    if _CONTROL.search(value):
        raise InvalidRequest("unsafe_parameter", f"parameter {name!r} contains a control character")
    return value


def derived_values(params: dict[str, str], as_of: datetime) -> dict[str, str]:
    """The built-in placeholders for a request: parameters win, the rest comes from the logical time."""
    if as_of.tzinfo is None:
        raise ValueError("as_of must be timezone-aware")
    out: dict[str, str] = {
        "timestamp": utc_stamp(as_of),
        "snap": as_of.astimezone(UTC).strftime("%H%M"),
    }
    date = params.get("date") or params.get("game_date") or et_date(as_of).isoformat()
    out["date"] = params.get("date") or date
    game_code = params.get("game_code")
    if game_code and re.fullmatch(r"\d{8}/[A-Z]{6}", game_code):
        out["game_code_dashes"] = game_code.replace("/", "-")
        out.setdefault("gamedate", game_code[:8])
        out.setdefault("teams", game_code[9:])
    if "gamedate" not in out and re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        out["gamedate"] = date.replace("-", "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", date):
        from shared.timeutil import parse_date

        out["season"] = season_of(parse_date(date))[0]
    hour, period = params.get("hour"), params.get("period")
    if hour and period and hour.isdigit():
        h = int(hour) % 12 + (12 if period == "PM" else 0)
        out["hour24"] = f"{h:02d}"
        out["hour_token"] = f"{int(hour):02d}" + (f"_{params['minute']}" if params.get("minute") else "")
    out.update(params)
    return out


def fill_path(template: str, values: dict[str, str]) -> str:
    """Fill a GCS path template; every substituted value is checked, and so is the resulting path."""
    filled: dict[str, str] = {}
    for name in template_fields(template):
        if name not in values or values[name] in (None, ""):
            raise InvalidRequest("missing_parameter", f"no value for path placeholder {{{name}}} in {template!r}")
        filled[name] = check_path_value(name, str(values[name]))
    path = template.format(**filled)
    if path.startswith("/") or "//" in path or any(seg in ("", ".", "..") for seg in path.split("/")):
        raise InvalidRequest("unsafe_parameter", f"path {scrub(path)!r} is not a plain relative object name")
    return path


def fill_url(template: str, values: dict[str, str]) -> str:
    """Fill an upstream URL template with percent-encoded values (a value cannot add a segment or a query)."""
    filled = {}
    for name in template_fields(template):
        if name not in values or values[name] in (None, ""):
            raise InvalidRequest("missing_parameter", f"no value for URL placeholder {{{name}}}")
        filled[name] = quote(str(check_control_chars(name, str(values[name]))), safe="-_.~:,")
    return template.format(**filled)


def gcs_uri(bucket: str, name: str) -> str:
    return f"gs://{bucket}/{name}"


def split_gcs_uri(uri: str) -> tuple[str, str]:
    """("bucket", "object/name") of a gs:// URI."""
    if not uri.startswith("gs://") or "/" not in uri[5:]:
        raise ValueError(f"not a gs:// object URI: {uri!r}")
    bucket, _, name = uri[5:].partition("/")
    return bucket, name
