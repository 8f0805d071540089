"""The path-template language, in one place: the placeholders of a URL or GCS path template (`placeholders`), how a
request fills them (`derived_values`, `fill_path`, `fill_url`), and how a stored object name is matched back
to its template (`compile_template`). Used by config validation, the scrapers, parameter resolution and
cleanup (whose dated listing prefixes are in shared.paths.listing).

Templates are str.format strings. Why filling is strict: a GCS path is an address other systems rely on
(cleanup lists it, processors read it), so a parameter must never be able to change the path's shape. Every
value substituted into a path is checked: no `/` or `\\`, no `..`, no control characters, no secret. URL
values are percent-encoded instead, so they cannot add query parameters or path segments either.

Built-in placeholders (derived, never read from the wall clock):
  {timestamp} UTC YYYYMMDD_HHMMSS of the logical time  · {snap} UTC HHMM of the logical time
  {date} the `date`/`game_date` parameter, else the ET date of the logical time
  {gamedate} YYYYMMDD (parameter, else from game_code or date) · {teams} parameter, else from game_code
  {season} parameter, else the NBA season "YYYY-YY" of {date}
  {hour24} 00-23 from hour (1-12) + period (AM/PM) · {hour_token} "hh" or "hh_mm" (minute given)
  {game_code_dashes} game_code "YYYYMMDD/AWYHOM" as "YYYYMMDD-AWYHOM"
A scraper may add or override values derived from the upstream answer (`Scraper.path_values`).

Pure: no I/O.
"""

from __future__ import annotations

import re
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

from shared.scrapers.errors import InvalidRequest
from shared.secrets import scrub
from shared.timeutil import et_date, season_of, utc_stamp

# Formats of the date-valued placeholders (ET dates, as the scrapers fill them).
DATE_FORMATS: dict[str, str] = {"date": "%Y-%m-%d", "game_date": "%Y-%m-%d", "gamedate": "%Y%m%d"}
# Season-valued placeholders, with the spellings a folder may use for the season starting in year `y`
# ("2024-25", its start or end year) plus the next season's (a September run may fetch next season's schedule).
SEASON_FORMS: dict[str, Callable[[int], tuple[str, ...]]] = {
    "season": lambda y: (f"{y}-{(y + 1) % 100:02d}", str(y), str(y + 1), f"{y + 1}-{(y + 2) % 100:02d}"),
    "season_year": lambda y: (str(y),),
    "year": lambda y: (str(y), str(y + 1)),
}
# Regular expressions of the framework-filled placeholders.
BUILTIN_REGEX: dict[str, str] = {
    "date": r"\d{4}-\d{2}-\d{2}",
    "timestamp": r"\d{8}_\d{6}",
    "snap": r"\d{4}",
    "hour24": r"\d{1,2}",
    "hour_token": r"\d{1,2}(?:_\d{2})?",
    "game_code_dashes": r"\d{8}-[A-Z]{2,4}[A-Z]{2,4}",
}


# Placeholders a path or URL template may use besides declared parameters: filled by the framework.
BUILTIN_PLACEHOLDERS = frozenset(BUILTIN_REGEX)


class TemplateError(ValueError):
    """A template cannot be compiled (unknown placeholder, no pattern)."""


def _anchorless(pattern: str) -> str:
    """A param pattern without its ^...$ anchors, so it can be embedded in a path expression."""
    if pattern.startswith("^"):
        pattern = pattern[1:]
    if pattern.endswith("$") and not pattern.endswith("\\$"):
        pattern = pattern[:-1]
    return pattern


def parts(text: str) -> list[tuple[str, str | None]]:
    """[(literal, placeholder or None), ...] of a template; ValueError when it is not a valid template."""
    return [(lit, name or None) for lit, name, _, _ in string.Formatter().parse(text)]


def placeholders(template: str) -> list[str]:
    """Placeholder names of a template, in order (a name used twice appears twice)."""
    return [name for _, name in parts(template) if name]


@dataclass(frozen=True)
class PathTemplate:
    """One path template of one scraper (`role` is gcs_path or gcs_data_path), compiled for matching."""

    scraper: str
    template: str
    role: str
    regex: re.Pattern[str] = field(compare=False, repr=False)
    # Regex body of each placeholder (as in `regex`), to build the pattern of a single folder.
    bodies: tuple[tuple[str, str], ...] = field(default=(), compare=False, repr=False)

    @property
    def placeholders(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.bodies)

    @property
    def static_prefix(self) -> str:
        """Literal text before the first placeholder."""
        return parts(self.template)[0][0] if parts(self.template) else ""

    def match(self, name: str) -> dict[str, str] | None:
        m = self.regex.fullmatch(name)
        return None if m is None else {k: v for k, v in m.groupdict().items() if v is not None}

    def render(self, params: Mapping[str, str]) -> str:
        return self.template.format_map({k: params.get(k, "") for k in self.placeholders})


def compile_template(
    scraper: str,
    template: str,
    patterns: Mapping[str, re.Pattern[str] | str],
    *,
    required: Iterable[str] = (),
    role: str = "gcs_path",
) -> PathTemplate:
    """Compile `template` into a full-match regex with one named group per placeholder.

    Built-in placeholders use BUILTIN_REGEX; parameters use their catalogue pattern. A parameter the scraper
    does not require may be left empty by the framework, so its group may match the empty string.
    """
    req = set(required)
    bodies: dict[str, str] = {}
    out: list[str] = []
    for literal, name in parts(template):
        out.append(re.escape(literal))
        if name is None:
            continue
        if name in bodies:  # the same value twice in one path: must be equal
            out.append(f"(?P={name})")
            continue
        if name in BUILTIN_REGEX and name not in patterns:
            body, optional = BUILTIN_REGEX[name], False
        elif name in patterns:
            pat = patterns[name]
            body = _anchorless(pat.pattern if isinstance(pat, re.Pattern) else str(pat))
            optional = name not in req and name not in BUILTIN_REGEX
        else:
            raise TemplateError(f"{scraper}.{role}: placeholder {{{name}}} has no pattern")
        bodies[name] = f"(?:{body}){'?' if optional else ''}"
        out.append(f"(?P<{name}>{bodies[name]})")
    return PathTemplate(
        scraper=scraper,
        template=template,
        role=role,
        regex=re.compile("".join(out)),
        bodies=tuple(bodies.items()),
    )


# ---------------------------------------------------------------------------------------------------------
# Filling a template from a request

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
    for name in placeholders(template):
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
    for name in placeholders(template):
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
