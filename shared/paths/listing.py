"""The catalogue's GCS path templates as data: which prefixes hold a time window's files, and which scraper
(with which parameters) a listed object belongs to.

Pure: no I/O. Cleanup must never list the whole bucket, so each template is turned into the few prefixes its
dated folders can be under for the window; a placeholder that comes *before* the date (a market folder, say)
is resolved by asking a `list_folders(prefix)` callback for that folder's children (one delimiter listing,
which returns folder names, not objects). Matching uses a regular expression compiled from the template, with
each parameter constrained by the catalogue's `param_patterns`, so a stray file is recognised as foreign
instead of being republished under a guessed scraper.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cached_property

from shared.paths.template import (
    DATE_FORMATS,
    SEASON_FORMS,
    PathTemplate,
    TemplateError,
    compile_template,
    parts,
)
from shared.timeutil import et_date, season_of

# ---------------------------------------------------------------------------------------------------------
# The window's listing scope and the prefixes of one template


@dataclass(frozen=True)
class Scope:
    """The folder values a window can touch: ET dates for {date}, UTC dates for {timestamp}, seasons."""

    dates: tuple[date, ...]
    utc_dates: tuple[date, ...]

    @property
    def season_years(self) -> tuple[int, ...]:
        return tuple(sorted({season_of(d)[1] for d in self.dates}))


def _days(first: date, last: date) -> tuple[date, ...]:
    return tuple(first + timedelta(days=i) for i in range((last - first).days + 1))


def scope_for(
    start: datetime, end: datetime, *, date_margin_days: int = 1, timestamp_margin: timedelta = timedelta(hours=1)
) -> Scope:
    """Dates to list for files created in [start, end).

    A file's {date} is the date it is *about* (a 04:00 post-game run writes yesterday's box scores), so ET dates
    are widened by `date_margin_days` on each side; {timestamp} is the run's UTC start, slightly before the file
    exists, hence `timestamp_margin`.
    """
    if end < start:
        raise ValueError(f"window end {end} is before its start {start}")
    m = timedelta(days=date_margin_days)
    dates = _days(et_date(start) - m, et_date(end) + m)
    utc = _days((start - timestamp_margin).astimezone(UTC).date(), end.astimezone(UTC).date())
    return Scope(dates=dates, utc_dates=utc)


def _values(name: str, scope: Scope) -> tuple[str, ...]:
    if name in DATE_FORMATS:
        return tuple(d.strftime(DATE_FORMATS[name]) for d in scope.dates)
    if name in SEASON_FORMS:
        return tuple(dict.fromkeys(v for y in scope.season_years for v in SEASON_FORMS[name](y)))
    raise KeyError(name)


def _bindable(tpl: PathTemplate) -> set[str]:
    """Placeholders whose values the window fixes. {timestamp} only narrows templates that have no date."""
    names = set(tpl.placeholders)
    out = names & (set(DATE_FORMATS) | set(SEASON_FORMS))
    if not names & set(DATE_FORMATS) and "timestamp" in names:
        out.add("timestamp")
    return out


def template_prefixes(
    tpl: PathTemplate, scope: Scope, list_folders: Callable[[str], Iterable[str]] | None = None
) -> list[str]:
    """Prefixes under which `tpl`'s files for `scope` can be, never shorter than the template's static prefix.

    Folders are followed left to right: a literal folder is appended; a folder made of window-fixed
    placeholders (dates, seasons) expands to their values; a folder with other placeholders is resolved with
    `list_folders` (children that match the folder's pattern and whose fixed parts are in scope) when a fixed
    placeholder still follows, and otherwise ends the prefix. A {timestamp} in an undated template ends the
    prefix with the UTC dates (YYYYMMDD). Without `list_folders`, such a folder ends the prefix instead.
    """
    bindable = _bindable(tpl)
    segments = tpl.template.split("/")
    prefixes = [""]
    for i, seg in enumerate(segments):
        seg_parts = parts(seg)
        names = [n for _, n in seg_parts if n]
        last = i == len(segments) - 1
        later = {n for s in segments[i:] for _, n in parts(s) if n} & bindable
        if not names:
            prefixes = [p + seg + ("" if last else "/") for p in prefixes]
            continue
        if not later:
            return _checked(tpl, prefixes)
        if all(n in bindable for n in names) or names[0] == "timestamp":
            prefixes, done = _expand_segment(prefixes, seg_parts, bindable, scope, last)
            if done:
                return _checked(tpl, prefixes)
            continue
        if list_folders is None or last:
            return _checked(tpl, prefixes)
        seg_regex = re.compile(_segment_regex(tpl, seg))
        allowed = {n: set(_values(n, scope)) for n in names if n in bindable and n != "timestamp"}
        found: list[str] = []
        for p in prefixes:
            for child in list_folders(p):
                m = seg_regex.fullmatch(child)
                if m and all(m.group(n) in vals for n, vals in allowed.items()):
                    found.append(f"{p}{child}/")
        prefixes = found
        if not prefixes:
            return []
    return _checked(tpl, prefixes)


def _checked(tpl: PathTemplate, prefixes: list[str]) -> list[str]:
    if "" in prefixes:
        raise TemplateError(f"{tpl.scraper}.{tpl.role}: {tpl.template!r} has no fixed folder to list")
    return sorted(set(prefixes))


def _expand_segment(
    prefixes: list[str], parts: list[tuple[str, str | None]], bindable: set[str], scope: Scope, last: bool
) -> tuple[list[str], bool]:
    """Render one segment for every combination of fixed values; (prefixes, stop here?)."""
    out = prefixes
    for literal, name in parts:
        out = [p + literal for p in out]
        if name is None:
            continue
        if name == "timestamp":
            return [p + d.strftime("%Y%m%d") for p in out for d in scope.utc_dates], True
        if name not in bindable:
            return out, True
        out = [p + v for p in out for v in _values(name, scope)]
    if last:
        return out, True
    return [p + "/" for p in out], False


def _segment_regex(tpl: PathTemplate, seg: str) -> str:
    """The regex of one folder of `tpl`, with the same placeholder bodies as the whole template."""
    bodies = dict(tpl.bodies)
    out, seen = [], set()
    for literal, name in parts(seg):
        out.append(re.escape(literal))
        if name:
            out.append(f"(?P={name})" if name in seen else f"(?P<{name}>{bodies[name]})")
            seen.add(name)
    return "".join(out)


# ---------------------------------------------------------------------------------------------------------
# The whole catalogue


@dataclass(frozen=True)
class ListingPrefix:
    """One prefix to list, and the templates whose files can be under it."""

    prefix: str
    templates: tuple[PathTemplate, ...]


@dataclass(frozen=True)
class PathCatalogue:
    templates: tuple[PathTemplate, ...]

    @classmethod
    def from_config(cls, cfg: object) -> PathCatalogue:
        """Every gcs_path and gcs_data_path of the scraper catalogue (a shared.config.Config)."""
        out = []
        patterns = cfg.param_patterns  # type: ignore[attr-defined]
        for spec in cfg.scrapers.values():  # type: ignore[attr-defined]
            for role in ("gcs_path", "gcs_data_path"):
                tpl = getattr(spec, role)
                if tpl:
                    out.append(compile_template(spec.name, tpl, patterns, required=spec.required, role=role))
        return cls(tuple(out))

    def for_scraper(self, scraper: str) -> tuple[PathTemplate, ...]:
        return tuple(t for t in self.templates if t.scraper == scraper)

    @cached_property
    def _siblings(self) -> dict[PathTemplate, tuple[PathTemplate, ...]]:
        return {
            tpl: tuple(t for t in self.for_scraper(tpl.scraper) if t.role != tpl.role and t.template != tpl.template)
            for tpl in self.templates
        }

    def siblings(self, tpl: PathTemplate) -> tuple[PathTemplate, ...]:
        """The same scraper's other templates (a PDF's parsed JSON and back): outputs of the same run."""
        return self._siblings.get(tpl, ())

    def sibling_paths(self, tpl: PathTemplate, params: Mapping[str, str]) -> tuple[str, ...]:
        """The same run's other outputs, covered by the same notification."""
        return tuple(t.render(params) for t in self.siblings(tpl) if set(t.placeholders) <= set(params))

    def listing(self, scope: Scope, list_folders: Callable[[str], Iterable[str]] | None = None) -> list[ListingPrefix]:
        """Prefixes to list for `scope`, de-duplicated: a prefix inside another listed prefix is dropped and
        its templates merged into the outer one, so no object is listed twice."""
        by_prefix: dict[str, list[PathTemplate]] = {}
        discovered: dict[str, list[str]] = {}

        def cached(prefix: str) -> list[str]:
            if prefix not in discovered:
                discovered[prefix] = list(list_folders(prefix)) if list_folders else []
            return discovered[prefix]

        for tpl in self.templates:
            for p in template_prefixes(tpl, scope, cached if list_folders else None):
                by_prefix.setdefault(p, []).append(tpl)
        ordered = sorted(by_prefix)
        kept: list[ListingPrefix] = []
        for p in ordered:
            if kept and p.startswith(kept[-1].prefix):
                outer = kept[-1]
                merged = outer.templates + tuple(t for t in by_prefix[p] if t not in outer.templates)
                kept[-1] = ListingPrefix(outer.prefix, merged)
            else:
                kept.append(ListingPrefix(p, tuple(by_prefix[p])))
        return kept


def match_template(
    name: str, templates: Iterable[PathTemplate], hint_scraper: str | None = None
) -> tuple[PathTemplate, re.Match[str]] | None:
    """The template `name` belongs to, with the regex match; None for a foreign file. (The fast form of
    match_path: parameters are only extracted when needed.)

    Two scrapers may share a template (schedule from stats.nba.com or the CDN); the object's own
    `scraper_name` metadata then decides, else the first in catalogue order.
    """
    first: tuple[PathTemplate, re.Match[str]] | None = None
    for tpl in templates:
        m = tpl.regex.fullmatch(name)
        if m is None:
            continue
        if hint_scraper is None or tpl.scraper == hint_scraper:
            return tpl, m
        if first is None:
            first = (tpl, m)
    return first


def match_path(
    name: str, templates: Iterable[PathTemplate], hint_scraper: str | None = None
) -> tuple[PathTemplate, dict[str, str]] | None:
    """The template `name` belongs to, with its parameters; None for a foreign file (see match_template)."""
    found = match_template(name, templates, hint_scraper)
    if found is None:
        return None
    tpl, m = found
    return tpl, {k: v for k, v in m.groupdict().items() if v is not None}
