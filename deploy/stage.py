"""Staging folders: what `gcloud functions deploy --source` (or `gcloud run jobs deploy --source`) uploads.

Each folder holds exactly the function's `main.py` (a job's folder under jobs/: its `main.py` and the
`Procfile` that tells the buildpacks how to start it), the `shared` package (with the configuration the deploy
was planned from) and a `requirements.txt` that is the function's hashed lock (deploy/lock.py: every
distribution pinned with its hashes, so Cloud Build installs in hash-checking mode), nothing else, so a
function cannot depend on a file that only exists in the repository. The folder's content hash becomes a
label on the function: an unchanged folder is not redeployed.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path
from typing import Protocol

from deploy.settings import REPO_ROOT, requirement_pins

_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".DS_Store")


class Deployable(Protocol):
    """What staging needs of a function (deploy.settings.FunctionSpec) or a job (BackfillJobSpec)."""

    @property
    def key(self) -> str: ...

    @property
    def extra_requirements(self) -> tuple[str, ...]: ...


def requirements_text(fn: Deployable, source_root: Path = REPO_ROOT) -> str:
    """The repository's pinned runtime requirements plus this function's extra pins (from requirements-dev)."""
    base = (source_root / "requirements.txt").read_text()
    if not base.endswith("\n"):
        base += "\n"
    if not fn.extra_requirements:
        return base
    pins = requirement_pins(source_root / "requirements-dev.txt")
    extra = "".join(pins[name.lower()] + "\n" for name in fn.extra_requirements)
    return base + f"# Only for {fn.key} (from requirements-dev.txt)\n" + extra


def tree_hash(folder: Path) -> str:
    """Content hash of a folder (paths and bytes, not times): the same files give the same hash."""
    h = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        h.update(path.relative_to(folder).as_posix().encode() + b"\0")
        h.update(path.read_bytes() + b"\0")
    return h.hexdigest()[:16]


def build_stage(
    fn: Deployable, build_dir: Path, config_dir: Path, source_root: Path = REPO_ROOT, kind: str = "functions"
) -> tuple[Path, str]:
    """(Re)build build_dir/stage/<function>/ (a job: stage/jobs-<job>/) from source_root (a checkout): the files
    of `<kind>/<key>/`, shared/, the lock; returns (folder, content hash)."""
    src = source_root / kind / fn.key
    main = src / "main.py"
    if not main.is_file():
        raise FileNotFoundError(f"{main} not found: is {source_root} a checkout of this repository?")
    dest = build_dir / "stage" / (fn.key if kind == "functions" else f"{kind}-{fn.key}")
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for path in sorted(p for p in src.iterdir() if p.is_file() and p.suffix not in (".pyc", ".pyo")):
        shutil.copy2(path, dest / path.name)
    shutil.copytree(source_root / "shared", dest / "shared", ignore=_IGNORE)
    # Ship the configuration this deploy was planned from (NBA_ORCH_CONFIG_DIR may point elsewhere).
    staged_config = dest / "shared" / "config"
    if config_dir.resolve() != (source_root / "shared" / "config").resolve():
        for old in staged_config.glob("*.yaml"):
            old.unlink()
        for src in sorted(config_dir.glob("*.yaml")):
            shutil.copy2(src, staged_config / src.name)
    (dest / "requirements.txt").write_text(shipped_requirements(fn, source_root))
    return dest, tree_hash(dest)


def shipped_requirements(fn: Deployable, source_root: Path = REPO_ROOT) -> str:
    """The function's hashed lock; refuses a lock that misses a pin of its input (run `make lock`)."""
    from deploy.lock import function_lock_path, stale

    lock = function_lock_path(fn, source_root)
    problems = stale(lock, requirements_text(fn, source_root))
    if problems:
        raise FileNotFoundError(f"{lock.name} is out of date ({'; '.join(problems)}): run `make lock`")
    return lock.read_text()
