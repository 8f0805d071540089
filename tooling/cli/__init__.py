"""The `nba-orch` command line. Each module in this package adds its subcommands through `register(sub)`,
so features add commands without editing a shared list."""

from __future__ import annotations

import argparse
import importlib
import json
import pkgutil
import sys
from typing import Any

from shared.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nba-orch", description="NBA data orchestration on Google Cloud")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        module = importlib.import_module(f"{__name__}.{mod}")
        if hasattr(module, "register"):
            module.register(sub)
    return parser


def emit(obj: Any) -> None:
    """Print a JSON document (the CLI's output format)."""
    json.dump(obj, sys.stdout, indent=2, default=str, sort_keys=False)
    sys.stdout.write("\n")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"nba-orch: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
