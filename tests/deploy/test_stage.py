"""Staging folders: each holds main.py, the shared package (the runtime core) with its config, a pinned
requirements.txt and nothing else: no operator or developer tooling (`tooling/`: CLI, local stack, sample day,
simulation, status, report, provisioning, fault injection), which no runtime module imports. Its main.py imports
from the folder alone (the repository nowhere on the path), and every third-party distribution it loads is pinned
in its requirements.txt or required by one that is."""

from __future__ import annotations

import ast
import functools
import json
import re
import subprocess
import sys
import sysconfig
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement

from deploy.lock import pins
from deploy.settings import REPO_ROOT, load_settings
from deploy.stage import build_stage, tree_hash
from shared.config import CONFIG_DIR

SETTINGS = load_settings()
SITE = Path(sysconfig.get_paths()["purelib"])

# Runs in `python -I -S` from an unrelated folder: no site processing (so no editable install of this
# repository, no .pth files), no PYTHON* variables; sys.path is the staging folder, the installed libraries and
# the standard library, nothing else. Prints what was imported from where.
PROBE = r"""
import importlib, json, pkgutil, sys
stage, site, entry, packages = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
sys.path[:0] = [stage, site]
import main
fn = getattr(main, entry)
import shared
from shared.edge import resolve
handle = resolve(main.HANDLER)  # the role's service, imported on the first message: from the stage too
from shared.config import CONFIG_DIR, get_config
cfg = get_config()
for name in packages:  # modules a function imports lazily, at request time
    pkg = importlib.import_module(name)
    for m in pkgutil.walk_packages(pkg.__path__, name + "."):
        importlib.import_module(m.name)
files = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items())}
print(json.dumps({"callable": callable(fn) and callable(handle), "handler": main.HANDLER,
                  "shared": shared.__file__, "config_dir": str(CONFIG_DIR),
                  "workflows": len(cfg.workflows), "files": files, "path": sys.path}))
"""

LAZY_PACKAGES = {"scrapers": ["shared.scrapers", "shared.parsers"]}


@pytest.fixture(scope="module")
def stages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, str]]:
    build = tmp_path_factory.mktemp("build")
    return {key: build_stage(fn, build, CONFIG_DIR) for key, fn in SETTINGS.functions.items()}


@pytest.mark.parametrize("key", list(SETTINGS.functions))
def test_stage_holds_main_shared_and_requirements_only(key: str, stages: dict[str, tuple[Path, str]]) -> None:
    folder, digest = stages[key]
    assert sorted(p.name for p in folder.iterdir()) == ["main.py", "requirements.txt", "shared"]
    assert (folder / "main.py").read_bytes() == (REPO_ROOT / "functions" / key / "main.py").read_bytes()
    assert not [p for p in folder.rglob("*") if p.name == "__pycache__" or p.suffix == ".pyc"]
    for name in ("settings.yaml", "scrapers.yaml", "workflows.yaml"):
        assert (folder / "shared" / "config" / name).read_bytes() == (CONFIG_DIR / name).read_bytes()
    shipped = {p.relative_to(folder / "shared") for p in (folder / "shared").rglob("*.py")}
    in_repo = {p.relative_to(REPO_ROOT / "shared") for p in (REPO_ROOT / "shared").rglob("*.py")}
    assert shipped == in_repo
    assert digest == tree_hash(folder)


# What must never reach Google Cloud: the emulator launcher and stack, the function runner, the replay server,
# the sample-day generator, the simulation driver, fault injection, status/report and provisioning helpers.
TOOLING_FILES = {
    "stack.py",
    "bq_launcher.py",
    "functions.py",
    "entry.py",
    "replay.py",
    "simulate.py",
    "faults.py",
    "status.py",
    "report_html.py",
    "report_timeline.js",
    "provision.py",
    "world.py",
}


@pytest.mark.parametrize("key", list(SETTINGS.functions))
def test_stage_ships_no_tooling(key: str, stages: dict[str, tuple[Path, str]]) -> None:
    folder = stages[key][0]
    names = {p.name for p in folder.rglob("*")}
    assert not names & (TOOLING_FILES | {"tooling", "cli", "local", "sample_day"}), sorted(names & TOOLING_FILES)
    # ...and the tooling really is those files: the list above is not stale.
    in_tooling = {p.name for p in (REPO_ROOT / "tooling").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert TOOLING_FILES <= in_tooling, sorted(TOOLING_FILES - in_tooling)


def _imports(path: Path) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_no_runtime_module_imports_the_tooling() -> None:
    """Every import statement of the runtime core and the entry points, at any depth (lazy ones included)."""
    runtime = [*(REPO_ROOT / "shared").rglob("*.py"), *(REPO_ROOT / "functions").glob("*/main.py")]
    assert len(runtime) > 50
    offenders = {
        str(p.relative_to(REPO_ROOT)): sorted(m for m in _imports(p) if m == "tooling" or m.startswith("tooling."))
        for p in runtime
    }
    assert {k: v for k, v in offenders.items() if v} == {}
    # The check sees imports: the tooling itself imports the core.
    assert "shared.runtime" in _imports(REPO_ROOT / "tooling" / "local" / "functions.py")


@pytest.mark.parametrize("key", list(SETTINGS.functions))
def test_requirements_are_pinned_and_extras_only_where_needed(key: str, stages: dict[str, tuple[Path, str]]) -> None:
    """The staged requirements.txt is the hashed lock: every line a pin, a hash or a comment; the runtime's
    direct pins all there; pypdf and beautifulsoup4 only in the scrapers'."""
    text = (stages[key][0] / "requirements.txt").read_text()
    for line in text.splitlines():
        line = line.strip()
        assert (
            not line
            or line.startswith("#")
            or re.fullmatch(r"[A-Za-z0-9._-]+==[0-9][A-Za-z0-9.+!]*( \\)?", line)
            or re.fullmatch(r"--hash=sha256:[0-9a-f]{64}( \\)?", line)
        ), line
    shipped = pins(text)
    runtime = pins((REPO_ROOT / "requirements.txt").read_text())
    dev = pins((REPO_ROOT / "requirements-dev.txt").read_text())
    assert runtime.items() <= shipped.items()
    extras = {"pypdf", "beautifulsoup4"}
    if key == "scrapers":
        assert {k: dev[k] for k in extras}.items() <= shipped.items()
    else:
        assert not extras & set(shipped)


def test_staging_is_deterministic_and_follows_the_shipped_config(tmp_path: Path) -> None:
    fn = SETTINGS.functions["cleanup"]
    a = build_stage(fn, tmp_path / "a", CONFIG_DIR)[1]
    assert build_stage(fn, tmp_path / "b", CONFIG_DIR)[1] == a
    other = tmp_path / "config"
    other.mkdir()
    for p in CONFIG_DIR.glob("*.yaml"):
        (other / p.name).write_text(p.read_text().replace("interval_minutes: 15", "interval_minutes: 30"))
    folder, b = build_stage(fn, tmp_path / "c", other)
    assert b != a
    assert "interval_minutes: 30" in (folder / "shared" / "config" / "settings.yaml").read_text()


def _closure(pins: list[str]) -> set[str]:
    """Distributions named in requirements.txt and, transitively, everything they require here."""
    env = default_environment()
    seen: set[str] = set()
    todo = [Requirement(p).name for p in pins]
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = metadata.requires(name) or []
        except metadata.PackageNotFoundError:
            continue
        for r in requires:
            req = Requirement(r)
            if req.marker is None or req.marker.evaluate({**env, "extra": ""}):
                todo.append(req.name)
    return seen


@pytest.mark.parametrize("key", list(SETTINGS.functions))
def test_main_imports_from_its_stage_alone(key: str, stages: dict[str, tuple[Path, str]], tmp_path: Path) -> None:
    folder = stages[key][0]
    fn = SETTINGS.functions[key]
    res = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "-c",
            PROBE,
            str(folder),
            str(SITE),
            fn.entry_point,
            json.dumps(LAZY_PACKAGES.get(key, [])),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,  # not the repository
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout)
    assert out["callable"], f"main.{fn.entry_point} or its handler is not callable"
    assert out["handler"].startswith("shared.") and out["handler"].endswith(".service.handle")
    assert out["shared"] == str(folder / "shared" / "__init__.py")
    assert out["config_dir"] == str(folder / "shared" / "config")
    assert out["workflows"] > 0
    # The repository is nowhere on the path (the installed libraries happen to live in its .venv).
    for entry in out["path"]:
        assert entry == str(SITE) or not Path(entry).resolve().is_relative_to(REPO_ROOT.resolve()), entry
    files = {n: f for n, f in out["files"].items() if f}
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    for name, f in files.items():
        p = Path(f).resolve()
        if p.is_relative_to(SITE.resolve()):
            continue
        assert not p.is_relative_to(REPO_ROOT.resolve()), f"{name} was imported from the repository: {f}"
        assert p.is_relative_to(folder.resolve()) or p.is_relative_to(stdlib), (name, f)
    # Every installed distribution the function loaded is shipped by its requirements.txt.
    allowed = _closure([f"{k}=={v}" for k, v in pins((folder / "requirements.txt").read_text()).items()])
    owners = _file_owners()
    loaded = {owners[Path(f).resolve()] for f in files.values() if Path(f).resolve() in owners}
    missing = loaded - allowed
    assert not missing, f"{key} imports distributions its requirements.txt does not ship: {sorted(missing)}"
    assert {"functions-framework", "pyyaml"} <= loaded  # the check sees what the function really loads


@functools.cache
def _file_owners() -> dict[Path, str]:
    """Installed file -> the distribution that installed it."""
    out: dict[Path, str] = {}
    for dist in metadata.distributions():
        name = dist.metadata["Name"].lower().replace("_", "-")
        for f in dist.files or []:
            out[Path(dist.locate_file(f)).resolve()] = name
    return out


def test_the_five_main_files_have_one_shape() -> None:
    """Code (docstring aside) is the same in every main.py but for the role's name and its service."""
    shapes = set()
    for key in SETTINGS.functions:
        text = (REPO_ROOT / "functions" / key / "main.py").read_text()
        code = text.split('"""', 2)[2]
        tree = ast.parse(code)
        handler = next(n.value.value for n in tree.body if isinstance(n, ast.Assign) and n.targets[0].id == "HANDLER")
        shapes.add(code.replace(handler, "SERVICE").replace(key, "ROLE"))
    assert len(shapes) == 1, shapes


def test_the_backfill_job_stage_runs_from_its_folder_alone(tmp_path: Path) -> None:
    """The job's folder: main.py and Procfile of jobs/backfill/, shared/, the runtime lock. Its Procfile's web
    command, run the way the buildpacks' launcher runs it (`bash -c COMMAND ARGS...`) with the
    folder as the working directory (its main.py and shared/ first on the path), reaches the job's argument
    parsing: `--help` exits 0 naming the options. (test_main_imports_from_its_stage_alone shows, for the
    functions, that shared/ alone, with the repository off the path, imports; the job's main.py imports no more.)"""
    job = SETTINGS.backfill_job
    folder, digest = build_stage(job, tmp_path / "build", CONFIG_DIR, kind="jobs")
    assert sorted(p.name for p in folder.iterdir()) == ["Procfile", "main.py", "requirements.txt", "shared"]
    for name in ("main.py", "Procfile"):
        assert (folder / name).read_bytes() == (REPO_ROOT / "jobs" / job.key / name).read_bytes()
    assert (folder / "requirements.txt").read_text() == (REPO_ROOT / "requirements.lock").read_text()
    assert digest == tree_hash(folder) and "main.py" not in {p.name for p in (folder / "shared").rglob("*")}
    assert not _imports(folder / "main.py") & {"tooling", "functions_framework"}
    (web,) = [line.split(":", 1)[1].strip() for line in (folder / "Procfile").read_text().splitlines() if line]
    python = Path(sys.executable).parent
    env = {"PATH": f"{python}:/usr/bin:/bin", "PYTHONNOUSERSITE": "1"}
    res = subprocess.run(["bash", "-c", web, "--help"], cwd=folder, env=env, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "--from" in res.stdout and "--credits-max" in res.stdout and "--gaps" in res.stdout


JOB_PROBE = r"""
import importlib, json, sys
stage, site = sys.argv[1], sys.argv[2]
sys.path[:0] = [stage, site]
import main
for name in ("shared.backfill.command", "shared.backfill.driver", "shared.backfill.gaps", "shared.backfill.progress",
             "shared.controller.state", "shared.scrapers.core", "shared.adapters.gcs", "shared.adapters.pubsub",
             "shared.run_ledger", "shared.clients", "google.cloud.storage", "google.cloud.pubsub_v1"):
    importlib.import_module(name)  # what a run imports lazily (shared.clients: the two clients it uses)
files = {n: getattr(m, "__file__", None) for n, m in list(sys.modules.items())}
print(json.dumps({"main": callable(main.main), "files": files}))
"""


def test_the_backfill_job_imports_from_its_stage_alone(tmp_path: Path) -> None:
    """Like the functions': `python -I -S` from elsewhere, the stage and the installed libraries only on the
    path; every module a run loads comes from the stage, the standard library or a distribution its
    requirements.txt ships."""
    folder, _ = build_stage(SETTINGS.backfill_job, tmp_path / "build", CONFIG_DIR, kind="jobs")
    res = subprocess.run(
        [sys.executable, "-I", "-S", "-c", JOB_PROBE, str(folder), str(SITE)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout)
    assert out["main"]
    files = {n: Path(f).resolve() for n, f in out["files"].items() if f}
    stdlib = Path(sysconfig.get_paths()["stdlib"]).resolve()
    for name, p in files.items():
        assert not p.is_relative_to(REPO_ROOT.resolve()) or p.is_relative_to(SITE.resolve()), (name, p)
        assert p.is_relative_to(folder.resolve()) or p.is_relative_to(stdlib) or p.is_relative_to(SITE.resolve())
    assert files["shared.backfill.job"] == (folder / "shared" / "backfill" / "job.py").resolve()
    allowed = _closure([f"{k}=={v}" for k, v in pins((folder / "requirements.txt").read_text()).items()])
    owners = _file_owners()
    loaded = {owners[p] for p in files.values() if p in owners}
    assert not loaded - allowed, sorted(loaded - allowed)
    assert {"google-cloud-storage", "google-cloud-pubsub"} <= loaded
