"""Scraper name -> implementation, imported lazily.

Convention instead of a central list: the implementation of scraper `X` whose catalogue source is `S`
lives in module `shared.scrapers.sources.S` (e.g. `sources/balldontlie.py`), which maps names to classes
in a module-level `SCRAPERS` dict. Only that module (and the parser it imports) is loaded, and only when a
request for one of its scrapers runs, so a cold start pays for one source, never for all of them.
`register()` adds or replaces an implementation at run time (tests, plug-ins).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from shared.config import Config
from shared.scrapers.errors import InvalidRequest, ScraperFailure

if TYPE_CHECKING:
    from shared.scrapers.base import Scraper

SOURCES_PACKAGE = "shared.scrapers.sources"
_registered: dict[str, type[Scraper]] = {}


def register(name: str, cls: type[Scraper] | None) -> type[Scraper] | None:
    """Use `cls` for scraper `name` (None removes a registration); returns the previous registration."""
    previous = _registered.pop(name, None)
    if cls is not None:
        _registered[name] = cls
    return previous


def implementation(name: str, config: Config) -> type[Scraper]:
    """The class implementing `name`: InvalidRequest('unknown_scraper') if the catalogue lacks it,
    ScraperFailure('not_implemented') if no module provides it."""
    spec = config.scrapers.get(name)
    if spec is None:
        raise InvalidRequest("unknown_scraper", f"unknown scraper {name!r}: not in the catalogue (scrapers.yaml)")
    if name in _registered:
        return _registered[name]
    module_name = f"{SOURCES_PACKAGE}.{spec.source}"
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name != module_name:
            raise
        raise ScraperFailure("not_implemented", f"scraper {name!r}: no module {module_name}") from None
    cls = getattr(module, "SCRAPERS", {}).get(name)
    if cls is None:
        raise ScraperFailure("not_implemented", f"scraper {name!r} is catalogued but {module_name} does not provide it")
    return cls


def create(name: str, config: Config) -> Scraper:
    """A new scraper instance for one run."""
    spec = config.scrapers.get(name)
    cls = implementation(name, config)
    assert spec is not None
    return cls(spec, config.sources[spec.source])


def implemented(config: Config) -> list[str]:
    """Every catalogued scraper with an implementation (imports every source module: tools and tests only)."""
    out = []
    for name in config.scrapers:
        try:
            implementation(name, config)
            out.append(name)
        except ScraperFailure:
            pass
    return sorted(out)
