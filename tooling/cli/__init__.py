"""The `nba-orch` command line. Each module in this package adds its subcommands through `register(sub)`,
so features add commands without editing a shared list; main() applies the shared conventions
(tooling/cli/common.py: --project, --format, --version, one error handler) to every verb so registered."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from typing import Any

from shared.config import ConfigError
from tooling.cli import common


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nba-orch")
    except PackageNotFoundError:  # running from a checkout that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nba-orch", description="NBA data orchestration on Google Cloud")
    parser.add_argument("--version", action="version", version=f"nba-orch {_version()}", help="print the version")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for mod in sorted(m.name for m in pkgutil.iter_modules(__path__)):
        module = importlib.import_module(f"{__name__}.{mod}")
        if hasattr(module, "register"):
            module.register(sub)
    common.apply_conventions(parser)
    return parser


def emit(obj: Any) -> None:
    """Print one document in the chosen --format (JSON unless text was chosen or stdout is a terminal)."""
    common.emit(obj)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    verb = " ".join(str(v) for v in (args.command, *_actions(args)) if v)
    try:
        problem = common.prepare(args)
        if problem:
            print(f"nba-orch {verb}: {problem}", file=sys.stderr)
            return 1
        return int(args.func(args) or 0)
    except common.UsageError as exc:
        print(f"nba-orch {verb}: {exc}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(f"nba-orch: configuration error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `nba-orch ... | head`: the reader left; say nothing more
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - the interpreter flushes stdout at exit
        return 141
    except Exception as exc:
        line = common.explain_error(exc)
        if line is None:
            raise
        where = f" ({args.project_source})" if getattr(args, "project_source", None) else ""
        print(f"nba-orch {verb}{where}: {line}", file=sys.stderr)
        return 1


def _actions(args: argparse.Namespace) -> list[str]:
    """The sub-action names of nested verbs (`dlq list`, `credits plan`), for the error line."""
    return [v for k, v in vars(args).items() if k.endswith("_command") and isinstance(v, str)]
