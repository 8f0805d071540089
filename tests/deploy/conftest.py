"""Fixtures of the deploy tests: a recording `gcloud`/`bq` stand-in on PATH, and deploy/teardown runners."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
FAKE = Path(__file__).resolve().parent / "fakecloud.py"
PROJECT = "nba-test-proj"
PROJECT_NUMBER = "123456789012"
READ_ONLY = {"describe", "list", "get-iam-policy", "show"}


def is_read_only(argv: list[str]) -> bool:
    words = [a for a in argv[1:] if not a.startswith("-")]
    if argv[0] == "bq":
        return bool(words) and words[0] in ("show", "get-iam-policy")
    return any(w in READ_ONLY for w in words[:4])


@dataclass
class FakeCloud:
    root: Path
    source_root: Path | None = None  # a frozen copy of the code to ship (the checkout may change mid-session)

    @property
    def state_path(self) -> Path:
        return self.root / "state.json"

    @property
    def log_path(self) -> Path:
        return self.root / "calls.jsonl"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NBA_ORCH_", "CLOUDSDK_"))}
        env.pop("GOOGLE_CLOUD_PROJECT", None)
        env.update(
            PATH=f"{self.root / 'bin'}{os.pathsep}{env.get('PATH', '')}",
            FAKECLOUD_STATE=str(self.state_path),
            FAKECLOUD_LOG=str(self.log_path),
            **extra,
        )
        return env

    def state(self) -> dict[str, Any]:
        return json.loads(self.state_path.read_text())

    def save(self, state: dict[str, Any]) -> None:
        self.state_path.write_text(json.dumps(state, indent=1))

    def calls(self) -> list[list[str]]:
        if not self.log_path.exists():
            return []
        return [json.loads(line) for line in self.log_path.read_text().splitlines()]

    def clear_calls(self) -> None:
        self.log_path.unlink(missing_ok=True)

    def mutations(self) -> list[list[str]]:
        return [c for c in self.calls() if not is_read_only(c)]

    def run(
        self, script: str, *args: str, stdin: str = "", env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(REPO / "deploy" / script), "--project", PROJECT, "--build-dir", str(self.build_dir)]
        if self.source_root is not None:
            argv += ["--source-root", str(self.source_root)]
        argv += args
        return subprocess.run(
            argv, input=stdin, capture_output=True, text=True, env=env or self.env(), timeout=300, cwd=self.root
        )

    def deploy(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return self.run("deploy.sh", *args, **kw)

    def teardown(self, *args: str, **kw: Any) -> subprocess.CompletedProcess[str]:
        return self.run("teardown.sh", *args, **kw)


INITIAL_STATE = {
    "project": {"projectId": PROJECT, "projectNumber": PROJECT_NUMBER, "lifecycleState": "ACTIVE"},
    # A new project has a few APIs on already.
    "services": ["bigquery.googleapis.com", "storage.googleapis.com", "logging.googleapis.com"],
}


@pytest.fixture(scope="session")
def source_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The code deploy ships, copied once: other work on the checkout must not look like a code change."""
    root = tmp_path_factory.mktemp("source")
    for name in ("functions", "jobs", "shared"):
        shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for path in [REPO / "requirements.txt", REPO / "requirements-dev.txt", *REPO.glob("requirements*.lock")]:
        shutil.copy2(path, root / path.name)  # the hashed locks are what the functions ship
    return root


def make_fake(root: Path, state: dict[str, Any], source_root: Path | None = None) -> FakeCloud:
    """A fake project with `state` behind `gcloud` and `bq` scripts in root/bin."""
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("gcloud", "bq"):
        script = bin_dir / tool
        # -I -S: no site-packages, no user environment: the stand-in only needs the standard library.
        script.write_text(f'#!/bin/sh\nexec "{sys.executable}" -I -S "{FAKE}" {tool} "$@"\n')
        script.chmod(0o755)
    fc = FakeCloud(root, source_root)
    fc.save(state)
    return fc


@pytest.fixture
def fake_cloud(tmp_path: Path, source_snapshot: Path) -> FakeCloud:
    """An empty fake project."""
    return make_fake(tmp_path, json.loads(json.dumps(INITIAL_STATE)), source_snapshot)


@dataclass
class FirstDeploy:
    fake: FakeCloud
    result: subprocess.CompletedProcess[str]
    calls: list[list[str]]
    state: dict[str, Any]
    build_dir: Path


@pytest.fixture(scope="module")
def first_deploy(tmp_path_factory: pytest.TempPathFactory, source_snapshot: Path) -> FirstDeploy:
    """One deploy into an empty fake project, shared by a module's tests (each gets a copy of the result)."""
    fc = make_fake(tmp_path_factory.mktemp("first"), json.loads(json.dumps(INITIAL_STATE)), source_snapshot)
    res = fc.deploy()
    assert res.returncode == 0, res.stderr
    return FirstDeploy(fc, res, fc.calls(), fc.state(), fc.build_dir)


@pytest.fixture
def deployed(first_deploy: FirstDeploy, tmp_path: Path, source_snapshot: Path) -> FakeCloud:
    """A fake project in the state the first deploy left (its own copy; empty call log)."""
    return make_fake(tmp_path, json.loads(json.dumps(first_deploy.state)), source_snapshot)


def edited_copy(src: Path, dest: Path, edit: Any) -> Path:
    """Copy a YAML file, apply `edit(data)` to its content, write it to dest."""
    data = yaml.safe_load(src.read_text())
    edit(data)
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_text(yaml.safe_dump(data, sort_keys=False))
    return dest


def config_copy(tmp: Path, edit_settings: Any) -> Path:
    """A copy of shared/config with settings.yaml edited: the folder to pass as NBA_ORCH_CONFIG_DIR."""
    d = tmp / "config"
    shutil.copytree(REPO / "shared" / "config", d)  # the snapshot's copy is the same files
    edited_copy(d / "settings.yaml", d / "settings.yaml", edit_settings)
    return d
