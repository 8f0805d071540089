"""The hashed lock files (deploy/lock.py, `make lock`): complete, current, shipped, and covering every import.

Pure checks on files here; regenerating the locks needs the package index, so it is `make lock`, not a test.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
from pathlib import Path

import pytest

from deploy.lock import BQ_LOCK, DEV_LOCK, function_lock_path, lock_inputs, pins, stale
from deploy.settings import REPO_ROOT, load_settings, requirement_pins
from deploy.stage import build_stage, requirements_text
from tests.deploy.test_iam import closure, handler_of

ALL_LOCKS = sorted({*lock_inputs(), REPO_ROOT / DEV_LOCK, REPO_ROOT / BQ_LOCK})
_REQ = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)")


def lock_entries(path: Path) -> dict[str, list[str]]:
    """Normalised distribution name -> its hashes, from a pip-compile --generate-hashes file."""
    out: dict[str, list[str]] = {}
    current = None
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _REQ.match(line)
        if m:
            current = _norm(m.group(1))
            out[current] = []
        elif line.startswith("--hash=sha256:") and current:
            out[current].append(line.split(":", 1)[1].rstrip(" \\"))
        else:
            raise AssertionError(f"{path.name}: not a pinned requirement or hash: {raw!r}")
    return out


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@pytest.mark.parametrize("lock", ALL_LOCKS, ids=lambda p: p.name)
def test_every_lock_pins_every_distribution_with_hashes(lock: Path) -> None:
    entries = lock_entries(lock)
    assert entries, f"{lock.name} is empty"
    unhashed = [name for name, hashes in entries.items() if not hashes]
    assert not unhashed, f"{lock.name}: no hash for {unhashed}"
    assert all(re.fullmatch(r"[0-9a-f]{64}", h) for hs in entries.values() for h in hs)


def test_every_lock_holds_the_pins_of_its_input() -> None:
    problems = [p for lock, text in lock_inputs().items() for p in stale(lock, text)]
    problems += stale(REPO_ROOT / DEV_LOCK, (REPO_ROOT / "requirements-dev.txt").read_text())
    problems += stale(REPO_ROOT / BQ_LOCK, (REPO_ROOT / "requirements-bqemulator.txt").read_text())
    assert not problems, "run `make lock`: " + "; ".join(problems)


def test_a_stale_lock_is_detected(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    lock.write_text("requests==2.0.0 \\\n    --hash=sha256:" + "0" * 64 + "\n")
    assert stale(lock, "requests==2.34.2\n") == ["x.lock: requests==2.34.2 (lock has '2.0.0')"]
    assert stale(lock, "Requests==2.0.0\n") == []  # names compare normalised (PyYAML, pyyaml)
    assert stale(lock, "requests==2.0.0\n") == []


@pytest.mark.parametrize("key", sorted(load_settings().functions))
def test_the_staged_function_ships_its_hashed_lock(key: str, tmp_path: Path) -> None:
    fn = load_settings().functions[key]
    folder, _ = build_stage(fn, tmp_path, REPO_ROOT / "shared" / "config")
    shipped = (folder / "requirements.txt").read_text()
    assert shipped == function_lock_path(fn).read_text()
    assert "--hash=sha256:" in shipped


def third_party_imports(trees: list[ast.Module]) -> set[str]:
    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] if a.name.split(".")[0] != "google" else a.name for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                top = node.module.split(".")[0]
                if node.module in ("google", "google.cloud"):  # namespace packages: the names are the packages
                    names |= {f"{node.module}.{a.name}" for a in node.names}
                else:
                    names.add(node.module if top == "google" else top)
    return {n for n in names if n.split(".")[0] not in sys.stdlib_module_names and n.split(".")[0] != "shared"}


def distributions(modules: set[str]) -> dict[str, set[str]]:
    """Imported module -> the installed distributions that provide it (google.* by its subpackage)."""
    packages = importlib.metadata.packages_distributions()
    installed = {_norm(d.metadata["Name"]) for d in importlib.metadata.distributions()}
    out = {}
    for mod in modules:
        if mod.startswith("google."):
            parts = [re.sub(r"_v\d+\w*$", "", x) for x in mod.split(".")]  # pubsub_v1 -> pubsub
            # google.cloud.storage -> google-cloud-storage; google.api_core -> google-api-core;
            # google.auth and google.oauth2 are both google-auth's
            cands = {_norm("-".join(parts[:i])) for i in range(2, len(parts) + 1)}
            if parts[1] == "oauth2":
                cands.add("google-auth")
            out[mod] = installed & cands
        else:
            out[mod] = {_norm(d) for d in packages.get(mod, [])}
    return out


def test_every_package_imported_by_shared_is_declared_and_locked() -> None:
    """requests and google-auth were imported but undeclared: each distribution shared/ imports directly is named
    in requirements.txt (or a function's extra_requirements), and is in a function lock."""
    trees = [ast.parse(p.read_text()) for p in (REPO_ROOT / "shared").rglob("*.py")]
    imported = distributions(third_party_imports(trees))
    unknown = sorted(m for m, d in imported.items() if not d)
    assert not unknown, f"imports no installed distribution provides: {unknown}"
    declared = {_norm(k) for k in requirement_pins(REPO_ROOT / "requirements.txt")}
    declared |= {_norm(e) for fn in load_settings().functions.values() for e in fn.extra_requirements}
    locked = set().union(*(lock_entries(p) for p in lock_inputs()))
    for mod, dists in sorted(imported.items()):
        assert dists & declared, f"{mod} ({sorted(dists)}) is imported by shared/ but not declared"
        assert dists & locked, f"{mod} ({sorted(dists)}) is imported by shared/ but in no function lock"


@pytest.mark.parametrize("key", sorted(load_settings().functions))
def test_each_function_lock_covers_what_its_code_imports(key: str) -> None:
    mods = closure(handler_of(key))
    trees = [*mods.values(), ast.parse((REPO_ROOT / "functions" / key / "main.py").read_text())]
    locked = set(lock_entries(function_lock_path(load_settings().functions[key])))
    missing = {m: d for m, d in distributions(third_party_imports(trees)).items() if not d & locked}
    assert not missing, f"{key} imports what its lock does not ship: {missing}"


def test_the_function_input_is_the_staged_requirements_text() -> None:
    for fn in load_settings().functions.values():
        assert lock_inputs()[function_lock_path(fn)] == requirements_text(fn)


def test_the_dev_environment_runs_the_versions_the_functions_ship() -> None:
    """Test what you deploy: every distribution of a function lock is in the dev lock at the same version."""
    dev = pins((REPO_ROOT / DEV_LOCK).read_text())
    for lock in lock_inputs():
        differ = {k: (v, dev.get(k)) for k, v in pins(lock.read_text()).items() if dev.get(k) != v}
        assert not differ, f"{lock.name} vs {DEV_LOCK} (shipped, dev): {differ}"
