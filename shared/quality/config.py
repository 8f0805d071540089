"""quality.yaml as typed settings, validated once (every key read is checked: finite numbers, known names)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.config import CONFIG_DIR, Checker, Config, number_field, read_yaml

FILE = "quality.yaml"
FIELDS = ("minutes", "points", "rebounds", "assists")


@dataclass(frozen=True)
class Suspect:
    window_days: int = field(default=3, metadata=number_field(1))
    min_agreement: float = field(default=0.9, metadata=number_field(0, 1))
    min_players: int = field(default=20, metadata=number_field(1))


@dataclass(frozen=True)
class QualityConfig:
    scrapers: dict[str, str]  # source -> the scraper whose stored files hold its player box scores
    sources: dict[str, tuple[str, ...]]  # data kind -> primary, then backups
    tolerances: dict[str, float]
    suspect: Suspect = Suspect()
    after_workflow: str = "post_game_window_3"
    grace_minutes: float = 15.0
    aliases: dict[str, str] = field(default_factory=dict)

    def order(self, kind: str = "box_scores") -> tuple[str, ...]:
        return self.sources[kind]


def parse_quality_config(raw: Any, cfg: Config | None = None) -> QualityConfig:
    c = Checker(FILE)
    m = c.mapping(raw, "-")
    c.only(m, {"scrapers", "sources", "tolerances", "suspect", "after_workflow", "grace_minutes", "aliases"}, "-")
    scrapers = {str(k): str(v) for k, v in c.mapping(m.get("scrapers"), "scrapers").items()}
    if cfg is not None:
        for src, name in scrapers.items():
            if name not in cfg.scrapers:
                c.fail(f"scrapers.{src}", f"unknown scraper {name!r}")
            elif cfg.scrapers[name].source != src:
                c.fail(f"scrapers.{src}", f"{name} is a scraper of source {cfg.scrapers[name].source!r}")
    sources = {str(k): c.names(v, f"sources.{k}") for k, v in c.mapping(m.get("sources"), "sources").items()}
    if "box_scores" not in sources:
        c.fail("sources", "needs the box_scores kind")
    for kind, names in sources.items():
        for s in names:
            if s not in scrapers:
                c.fail(f"sources.{kind}", f"{s!r} has no scraper under `scrapers`")
    tol_raw = c.mapping(m.get("tolerances") or {}, "tolerances")
    c.only(tol_raw, set(FIELDS), "tolerances")
    tolerances = {f: float(c.number(tol_raw.get(f, 0), f"tolerances.{f}")) for f in FIELDS}
    suspect = c.section(m.get("suspect"), "suspect", Suspect)
    after = str(m.get("after_workflow", "post_game_window_3"))
    if cfg is not None and (after not in cfg.workflows or cfg.workflows[after].fixed_time is None):
        c.fail("after_workflow", f"{after!r} is not a fixed-time workflow")
    grace = float(c.number(m.get("grace_minutes", 15), "grace_minutes"))
    aliases = {str(k): str(v) for k, v in c.mapping(m.get("aliases") or {}, "aliases").items()}
    return QualityConfig(scrapers, sources, tolerances, suspect, after, grace, aliases)


@lru_cache(maxsize=4)
def _load(path: str) -> QualityConfig:
    from shared.config import get_config

    return parse_quality_config(read_yaml(Path(path)), get_config())


def load_quality_config(config_dir: str | Path | None = None) -> QualityConfig:
    """quality.yaml beside the other configuration files (NBA_ORCH_CONFIG_DIR, else the packaged default)."""
    d = Path(config_dir or os.environ.get("NBA_ORCH_CONFIG_DIR") or CONFIG_DIR)
    return _load(str(d / FILE))
