"""Hashed lock files (`make lock`): every distribution pinned with its hashes, so what is installed is exactly
what was reviewed, in the functions, the dev environment and the BigQuery emulator's virtualenv.

Functions: the input of each is deploy/stage.requirements_text (requirements.txt plus the function's
extra_requirements from settings.yaml), so the lock cannot disagree with what staging would have shipped;
functions with the same input share one lock (`function_lock_path`). `deploy/stage.py` ships the lock as the
function's requirements.txt (pip in Cloud Build then installs in hash-checking mode). Compiled by pip-tools
(`pip-compile --generate-hashes`) with the interpreter that runs it: Python 3.11, the deployed runtime.

    .venv/bin/python -m deploy.lock          # all locks
    .venv/bin/python -m deploy.lock --check  # exit 1 when a lock misses a pin of its input (tests do this too)
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from deploy.settings import REPO_ROOT, BackfillJobSpec, FunctionSpec, load_settings

DEV_LOCK = "requirements-dev.lock"
BQ_LOCK = "requirements-bqemulator.lock"


def function_lock_path(fn: FunctionSpec | BackfillJobSpec, root: Path = REPO_ROOT) -> Path:
    """requirements.lock for the functions that ship requirements.txt only; requirements-<key>.lock otherwise."""
    return root / ("requirements.lock" if not fn.extra_requirements else f"requirements-{fn.key}.lock")


def lock_inputs(root: Path = REPO_ROOT) -> dict[Path, str]:
    """lock file -> the requirements text it is compiled from (one entry per distinct function input)."""
    from deploy.stage import requirements_text

    out: dict[Path, str] = {}
    for fn in load_settings().functions.values():
        out.setdefault(function_lock_path(fn, root), requirements_text(fn, root))
    return out


_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*==\s*([^\s\\;#]+)")


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(text: str) -> dict[str, str]:
    """Normalised distribution name -> pinned version, of requirements text (a lock or an input)."""
    return {_norm(m.group(1)): m.group(2) for line in text.splitlines() if (m := _PIN.match(line))}


def stale(lock: Path, wanted: str) -> list[str]:
    """Pins of the input the lock does not hold at the same version (empty: up to date)."""
    if not lock.is_file():
        return [f"{lock.name} is missing"]
    have = pins(lock.read_text())
    return [
        f"{lock.name}: {name}=={version} (lock has {have.get(name)!r})"
        for name, version in pins(wanted).items()
        if have.get(name) != version
    ]


def compile_lock(inp: Path, out: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "piptools",
        "compile",
        "--quiet",
        "--generate-hashes",
        "--allow-unsafe",
        "--strip-extras",
        "--no-emit-index-url",
        "--no-emit-find-links",
        f"--output-file={out.relative_to(REPO_ROOT)}",
        str(inp.relative_to(REPO_ROOT)),
    ]
    # The package index only (pypi.org, what Cloud Build installs from): no machine-local pip configuration,
    # wheel folders or constraints, whose files could carry hashes the index does not serve.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    subprocess.run(cmd, check=True, cwd=REPO_ROOT, env=env)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only check that each lock holds its input's pins")
    args = ap.parse_args(argv)
    inputs = lock_inputs()
    if args.check:
        problems = [p for lock, text in inputs.items() for p in stale(lock, text)]
        problems += stale(REPO_ROOT / DEV_LOCK, (REPO_ROOT / "requirements-dev.txt").read_text())
        problems += stale(REPO_ROOT / BQ_LOCK, (REPO_ROOT / "requirements-bqemulator.txt").read_text())
        print("\n".join(problems) or "locks are up to date")
        return 1 if problems else 0
    work = REPO_ROOT / "build" / "lock"
    work.mkdir(parents=True, exist_ok=True)
    for lock, text in inputs.items():
        inp = work / (lock.stem + ".in")
        # Only the pin lines: the lock names this generated file as its input.
        body = "".join(line + "\n" for line in text.splitlines() if "==" in line)
        inp.write_text(body)
        compile_lock(inp, lock)
    compile_lock(REPO_ROOT / "requirements-dev.txt", REPO_ROOT / DEV_LOCK)
    compile_lock(REPO_ROOT / "requirements-bqemulator.txt", REPO_ROOT / BQ_LOCK)
    return 0


if __name__ == "__main__":
    sys.exit(main())
