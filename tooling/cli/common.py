"""The conventions every `nba-orch` verb shares, applied once in `main()` so a new verb gets them for free.

- Global options, accepted before or after the verb: `--project` (then GOOGLE_CLOUD_PROJECT, then the running
  local stack's project, then gcloud's configured project, else the local default) and `--format json|text`
  (default: text tables on a terminal, JSON when piped). `add_global_options` adds them to every parser.
- One error handler (`explain_error`): missing credentials, an emulator or endpoint that does not answer, an
  unknown project each become one line saying what to do, exit 1, no traceback; `UsageError` exits 2.
- `emit(doc)`: one document in the chosen format.

A verb says how much cloud it needs with `set_defaults(cloud=...)`: True (default: the project is resolved
and the configured emulators must answer), "optional" (the verb checks reachability itself, e.g. `evaluate
--dry-run` works without a stack), False (no cloud at all: no gcloud lookup), or a callable of the parsed
arguments returning one of those (e.g. `scrape --out` needs none).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
from typing import Any
from urllib.parse import urlparse

LOCAL_PROJECT = "nba-props-local"
EMULATORS = {
    "PUBSUB_EMULATOR_HOST": "Pub/Sub emulator",
    "BIGQUERY_EMULATOR_HOST": "BigQuery emulator",
    "STORAGE_EMULATOR_HOST": "GCS emulator",
}
# Verbs of modules this module does not own that never need gcloud's (cloud) project: the local stack's own
# verbs default to the local project, whatever gcloud is configured with.
LOCAL_VERBS = frozenset({"local"})


class UsageError(Exception):
    """A bad argument found after parsing: one line on stderr, exit 2 (like argparse's own errors)."""


class Output:
    """The chosen output format for this process (set by main(); JSON until then, e.g. in library use)."""

    format: str = "json"


def add_global_options(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """Add --project and --format to `parser` unless it defines them itself. On a verb's parser the default
    is SUPPRESS, so a value given before the verb is not overwritten by the verb's own default."""
    default: Any = None if top else argparse.SUPPRESS
    have = parser._option_string_actions
    if "--project" not in have:
        parser.add_argument(
            "--project",
            dest="global_project",
            default=default,
            metavar="ID",
            help="Google Cloud project (default: GOOGLE_CLOUD_PROJECT, the running local stack's, gcloud's "
            f"configured project, else {LOCAL_PROJECT})",
        )
    if "--format" not in have:
        parser.add_argument(
            "--format",
            dest="output_format",
            choices=("json", "text"),
            default=default,
            help="output format (default: text on a terminal, JSON when piped)",
        )


def walk(parser: argparse.ArgumentParser, prog: str = "nba-orch"):
    """Every parser under `parser` (itself first) with its command path, each once."""
    seen: set[int] = set()
    stack = [(prog, parser)]
    while stack:
        name, p = stack.pop(0)
        if id(p) in seen:
            continue
        seen.add(id(p))
        yield name, p
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                stack.extend((f"{name} {k}", sub) for k, sub in action.choices.items())


def apply_conventions(parser: argparse.ArgumentParser) -> None:
    """The global options on every parser of the tree (the verbs registered by any module)."""
    for _, p in walk(parser):
        add_global_options(p, top=p is parser)


def cloud_need(args: argparse.Namespace) -> Any:
    need = getattr(args, "cloud", True)
    if getattr(args, "command", None) in LOCAL_VERBS:
        return False
    return need(args) if callable(need) else need


def gcloud_project() -> str | None:
    """`gcloud config get-value project`, or None (no gcloud on PATH, unset, or it failed)."""
    exe = shutil.which("gcloud")
    if not exe:
        return None
    try:
        done = subprocess.run(
            [exe, "config", "get-value", "project"],
            capture_output=True,
            text=True,
            timeout=20,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    value = done.stdout.strip().splitlines()[-1].strip() if done.stdout.strip() else ""
    return value if done.returncode == 0 and value and value != "(unset)" else None


def emulators_in_use() -> bool:
    return any(os.environ.get(k) for k in EMULATORS)


def resolve_project(explicit: str | None, *, cloud: Any) -> tuple[str, str]:
    """The project and where it came from: --project, GOOGLE_CLOUD_PROJECT, the local stack (emulators in
    use), gcloud's configuration (only for a verb that needs the cloud), else the local default."""
    if explicit:
        return explicit, "--project"
    if os.environ.get("GOOGLE_CLOUD_PROJECT"):
        return os.environ["GOOGLE_CLOUD_PROJECT"], "GOOGLE_CLOUD_PROJECT"
    if emulators_in_use():
        return LOCAL_PROJECT, "local emulators"
    if cloud:
        found = gcloud_project()
        if found:
            return found, "gcloud config"
    return LOCAL_PROJECT, "local default"


def unreachable_emulators(timeout: float = 0.5) -> list[tuple[str, str]]:
    """The configured emulators (variable, endpoint) that do not accept a connection."""
    down = []
    for var in EMULATORS:
        endpoint = os.environ.get(var)
        if endpoint and not answers(endpoint, timeout):
            down.append((var, endpoint))
    return down


def answers(endpoint: str, timeout: float = 0.5) -> bool:
    url = urlparse(endpoint if "://" in endpoint else f"http://{endpoint}")
    try:
        with socket.create_connection((url.hostname or "127.0.0.1", url.port or 80), timeout=timeout):
            return True
    except OSError:
        return False


def prepare(args: argparse.Namespace) -> str | None:
    """Apply the global options before the verb runs; returns an error line, or None."""
    chosen = getattr(args, "output_format", None)
    Output.format = chosen or ("text" if sys.stdout.isatty() else "json")
    need = cloud_need(args)
    explicit = getattr(args, "global_project", None) or getattr(args, "project", None)
    if need:
        from tooling.cli.local import stack_environment

        if explicit:
            os.environ["GOOGLE_CLOUD_PROJECT"] = explicit
        stack_environment()
    project, source = resolve_project(explicit, cloud=need)
    args.project_source = f"project {project}, from {source}"
    if explicit or source in ("GOOGLE_CLOUD_PROJECT", "gcloud config"):
        os.environ["GOOGLE_CLOUD_PROJECT"] = project
        if hasattr(args, "project") and not args.project:
            args.project = project  # a verb's own --project (local) sees the global one
    if need is True:
        for var, endpoint in unreachable_emulators():
            return (
                f"the {EMULATORS[var]} at {endpoint} ({var}) does not answer: start the local stack with "
                f"`nba-orch local up`, or unset {var} to use Google Cloud"
            )
    return None


def explain_error(exc: BaseException) -> str | None:
    """One line saying what to do for a failure a person can fix (credentials, reachability, project), or
    None for anything else (a bug: let the traceback show)."""
    project = os.environ.get("GOOGLE_CLOUD_PROJECT") or LOCAL_PROJECT
    try:
        from google.auth import exceptions as auth_exc
    except ImportError:  # pragma: no cover - google-auth is a dependency
        auth_exc = None
    if auth_exc is not None and isinstance(exc, auth_exc.DefaultCredentialsError):
        return (
            "no Google Cloud credentials: run `gcloud auth application-default login` (or set "
            "GOOGLE_APPLICATION_CREDENTIALS), or start the local stack with `nba-orch local up`"
        )
    if auth_exc is not None and isinstance(exc, auth_exc.RefreshError):
        return "the Google Cloud credentials were refused: run `gcloud auth application-default login` again"
    import requests
    from google.api_core import exceptions as api_exc

    if isinstance(exc, ConnectionError | requests.exceptions.ConnectionError | api_exc.ServiceUnavailable):
        where = ", ".join(f"{v}={os.environ[v]}" for v in EMULATORS if os.environ.get(v)) or "Google Cloud"
        return f"cannot reach {where}: start the local stack with `nba-orch local up`, or check the network"
    if isinstance(exc, api_exc.RetryError):
        return f"gave up waiting for Google Cloud ({_first_line(exc)}): is the stack or the network up?"
    if isinstance(exc, api_exc.NotFound | api_exc.Forbidden | api_exc.PermissionDenied):
        return (
            f"{_first_line(exc)} (project {project}): check the project (--project, GOOGLE_CLOUD_PROJECT, "
            "`gcloud config set project`) and that it is provisioned (`nba-orch local up` locally, deploy/ "
            "for a cloud project)"
        )
    return None


def _first_line(exc: BaseException) -> str:
    from shared.secrets import scrub

    text = str(exc).strip().splitlines()
    return scrub(text[0][:300]) if text else type(exc).__name__


# ---------------------------------------------------------------------------------------------------------
# output


def emit(obj: Any) -> None:
    """Print one document: JSON (pipe it to jq), or text tables for a person at a terminal."""
    if Output.format == "text":
        sys.stdout.write(render_text(obj))
        return
    json.dump(obj, sys.stdout, indent=2, default=str, sort_keys=False)
    sys.stdout.write("\n")


def render_text(obj: Any) -> str:
    """A document as text: scalars as `key: value` lines, lists of records as aligned tables, nested
    documents as indented sections (generic, so every verb has a text form without writing one)."""
    lines: list[str] = []
    _text(obj, lines, "")
    return "\n".join(lines) + "\n"


def _cell(v: Any, width: int = 60) -> str:
    if isinstance(v, list) and all(not isinstance(x, dict | list) for x in v):
        s = ", ".join(str(x) for x in v)
    else:
        s = v if isinstance(v, str) else "" if v is None else json.dumps(v, default=str)
    return s if len(s) <= width else s[: width - 1] + "…"


def _nested(v: Any) -> bool:
    """A non-empty mapping, or a list holding one: drawn as a section or table, not on one line."""
    return bool(v) and (isinstance(v, dict) or (isinstance(v, list) and any(isinstance(x, dict | list) for x in v)))


def _text(obj: Any, lines: list[str], indent: str) -> None:
    if isinstance(obj, dict):
        scalars = {k: v for k, v in obj.items() if not _nested(v)}
        if scalars:
            w = max(len(str(k)) for k in scalars)
            lines.extend(f"{indent}{str(k).ljust(w)}  {_cell(v, 100)}" for k, v in scalars.items())
        for k, v in obj.items():
            if k not in scalars:
                lines.append(f"{indent}{k}:")
                _text(v, lines, indent + "  ")
    elif isinstance(obj, list) and obj and all(isinstance(r, dict) for r in obj):
        cols = list(dict.fromkeys(k for r in obj for k in r))
        cells = [[_cell(r.get(c)) for c in cols] for r in obj]
        widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(cols)]
        lines.append(indent + "  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)).rstrip())
        lines.extend(indent + "  ".join(x.ljust(w) for x, w in zip(row, widths, strict=True)).rstrip() for row in cells)
    elif isinstance(obj, list):
        lines.extend(f"{indent}- {_cell(v, 100)}" for v in obj)
    else:
        lines.append(f"{indent}{_cell(obj, 100)}")
