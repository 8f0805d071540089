"""`nba-orch scrapers [list]` and `nba-orch scrapers show NAME`: the scraper catalogue (shared/config/scrapers.yaml
through the registry), so a missing parameter or key is found before a run fails on it."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from tooling.cli import emit


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("scrapers", help="the scraper catalogue: source, parameters, path template, key")
    s = p.add_subparsers(dest="scrapers_command", metavar="ACTION")
    p.set_defaults(func=_list, cloud=False)
    ls = s.add_parser("list", help="every scraper (the default action)")
    ls.set_defaults(func=_list, cloud=False)
    sh = s.add_parser("show", help="one scraper: URL, parameters and their patterns, paths, fallbacks, workflows")
    sh.add_argument("name", help="a scraper name, as in `nba-orch scrapers`")
    sh.set_defaults(func=_show, cloud=False)


def _key(cfg: Any, source: str) -> dict[str, Any]:
    """The key a source needs (its environment variable) and whether it is set here (never its value)."""
    src = cfg.sources.get(source)
    auth = getattr(src, "auth", None)
    if auth is None:
        return {"needs_key": False, "key_variable": None, "key_set": None}
    return {"needs_key": True, "key_variable": auth.secret, "key_set": bool(os.environ.get(auth.secret))}


def entry(cfg: Any, name: str) -> dict[str, Any]:
    spec = cfg.scrapers[name]
    return {
        "name": name,
        "source": spec.source,
        "required": list(spec.required),
        "optional": list(spec.optional),
        "gcs_path": spec.gcs_path,
        **_key(cfg, spec.source),
    }


def _list(args: argparse.Namespace) -> int:
    from shared.config import get_config

    cfg = get_config()
    rows = [entry(cfg, n) for n in sorted(cfg.scrapers)]
    emit({"count": len(rows), "scrapers": rows})
    return 0


def _show(args: argparse.Namespace) -> int:
    import difflib

    from shared.config import get_config
    from shared.scrapers import registry
    from shared.scrapers.errors import ScraperFailure

    cfg = get_config()
    if args.name not in cfg.scrapers:
        near = difflib.get_close_matches(args.name, list(cfg.scrapers), n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else "; `nba-orch scrapers` lists them"
        print(f"nba-orch scrapers show: unknown scraper {args.name!r}{hint}", file=sys.stderr)
        return 2
    spec = cfg.scrapers[args.name]
    try:
        cls = registry.implementation(args.name, cfg)
        implemented = f"{cls.__module__}.{cls.__qualname__}"
    except ScraperFailure as exc:
        implemented = f"not implemented ({exc})"
    src = cfg.sources.get(spec.source)
    emit(
        {
            **entry(cfg, args.name),
            "url": spec.url,
            "gcs_data_path": spec.gcs_data_path,
            "param_patterns": {p: cfg.param_patterns[p].pattern for p in spec.params if p in cfg.param_patterns},
            "critical": spec.critical,
            "treat_no_data_as_success": spec.treat_no_data_as_success,
            "depends_on": list(spec.depends_on),
            "fallback": list(spec.fallback),
            "proxy_variable": getattr(src, "proxy_secret", None),
            "workflows": sorted(w.name for w in cfg.workflows.values() if args.name in w.scrapers),
            "implementation": implemented,
        }
    )
    return 0
