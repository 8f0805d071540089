"""Every command the deploy and teardown dry runs print, run through the real Google Cloud CLI installed here,
without credentials: each must get past argument and resource parsing and stop at authentication.

gcloud: no account is configured (a private, empty CLOUDSDK_CONFIG), so a command that parses fails with
"You do not currently have an active account selected"; an unknown flag, a bad value or a resource gcloud
cannot resolve fails earlier with another message, and the test shows it. To stay fast the command lines run
through the CLI loaded once (tests/deploy/gcloud_batch.py); a cross-check runs a few through the `gcloud`
binary itself and expects the same verdicts.

bq: its launcher (bin/bq) refuses to start without an account before it parses anything, then only execs
the bq program (platform/bq/bq.py) with the SDK's Python. So the test runs that program directly, with a
placeholder access token (not a credential), bq's own API description (no download) and --api pointed at a
local server that answers 401: a command that parses and passes bq's own checks (schema files, references)
ends in "Authorization error"; a bad flag ends in "FATAL Flags parsing error".
"""

from __future__ import annotations

import http.server
import json
import os
import shlex
import shutil
import subprocess
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.deploy.conftest import INITIAL_STATE, PROJECT, REPO, make_fake

GCLOUD = shutil.which("gcloud")
BQ = shutil.which("bq")
pytestmark = pytest.mark.skipif(GCLOUD is None or BQ is None, reason="the Google Cloud CLI is not installed")

AUTH_ERROR = "You do not currently have an active account selected"
BATCH = Path(__file__).parent / "gcloud_batch.py"


def sdk_root() -> Path:
    root = Path(os.path.realpath(GCLOUD or "")).parents[1]
    assert (root / "lib" / "googlecloudsdk").is_dir(), f"not a Google Cloud SDK: {root}"
    return root


def sdk_python(root: Path) -> str:
    bundled = root / "platform" / "bundledpythonunix" / "bin" / "python3"
    return str(bundled) if bundled.exists() else os.environ.get("CLOUDSDK_PYTHON", "python3")


@pytest.fixture(scope="module")
def cli_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """No credentials anywhere: an empty private gcloud configuration, no ADC file, no prompts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDSDK_", "GOOGLE_"))}
    env["CLOUDSDK_CONFIG"] = str(tmp_path_factory.mktemp("gcloud-config"))
    env["CLOUDSDK_CORE_DISABLE_PROMPTS"] = "1"
    return env


@pytest.fixture(scope="module")
def printed(tmp_path_factory: pytest.TempPathFactory) -> list[list[str]]:
    """The command lines of `deploy.sh --dry-run` (in prod and in another environment), `teardown.sh
    --dry-run`, and of `deploy.sh --plan` against an empty stand-in project (real facts, not placeholders)."""
    build = tmp_path_factory.mktemp("build")
    lines: list[list[str]] = []
    for script, extra in (("deploy.sh", []), ("deploy.sh", ["--environment", "staging"]), ("teardown.sh", [])):
        res = subprocess.run(
            [str(REPO / "deploy" / script), "--project", PROJECT, "--build-dir", str(build), "--dry-run", *extra],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        lines += [shlex.split(line) for line in res.stdout.splitlines() if line and not line.startswith("#")]
    fake = make_fake(tmp_path_factory.mktemp("plan"), json.loads(json.dumps(INITIAL_STATE)))
    res = fake.deploy("--plan")
    assert res.returncode == 2, res.stderr
    planned = [shlex.split(line[4:]) for line in res.stdout.splitlines() if line.startswith("    ")]
    assert len(planned) > 100
    return lines + planned


def run_batch(commands: list[list[str]], env: dict[str, str]) -> list[dict]:
    return run_sdk_script(BATCH, commands, env)  # type: ignore[return-value]


def run_sdk_script(script: Path, payload: object, env: dict[str, str]) -> object:
    """Run one of our helper scripts with the SDK's Python: JSON in on stdin, JSON out on stdout."""
    root = sdk_root()
    res = subprocess.run(
        [sdk_python(root), str(script), str(root)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env=env,
        timeout=110,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    return json.loads(res.stdout)


def _unique(commands: list[list[str]]) -> list[list[str]]:
    """The commands without exact repeats (the dry runs print some twice: e.g. a describe in both)."""
    seen: set[tuple[str, ...]] = set()
    return [c for c in commands if not (tuple(c) in seen or seen.add(tuple(c)))]


def gcloud_verdict(code: int, stderr: str) -> bool:
    """True when the command got past parsing and stopped for lack of credentials."""
    return code == 1 and AUTH_ERROR in stderr


@pytest.fixture(scope="module")
def unauthorised_api() -> Iterator[str]:
    """A local endpoint that answers every request 401, standing in for googleapis.com (network is off)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.dumps(
                {
                    "error": {
                        "code": 401,
                        "message": "Request had invalid authentication credentials.",
                        "status": "UNAUTHENTICATED",
                    }
                }
            ).encode()
            self.send_response(401)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _answer

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run_bq(argv: list[str], env: dict[str, str], api: str) -> tuple[int, str]:
    assert argv[0] == "bq"
    root = sdk_root()
    bq = root / "platform" / "bq"
    flags = ["--oauth_access_token=placeholder-not-a-credential", f"--api={api}"]
    discovery = bq / "discovery_next" / "bigquery.json"
    if discovery.exists():
        flags.append(f"--discovery_file={discovery}")
    full = [sdk_python(root), str(bq / "bq.py"), *flags, *argv[1:]]
    res = subprocess.run(full, capture_output=True, text=True, env=env, timeout=60)
    return res.returncode, res.stdout + res.stderr


def bq_verdict(code: int, output: str) -> bool:
    return code != 0 and "Authorization error" in output and "Flags parsing error" not in output


def test_every_gcloud_command_printed_gets_past_parsing(printed: list[list[str]], cli_env: dict[str, str]) -> None:
    commands = _unique([argv[1:] for argv in printed if argv[0] == "gcloud"])
    assert len(commands) > 100, "the dry runs print every deploy and teardown command"
    results = run_batch(commands, cli_env)
    bad = [
        f"gcloud {shlex.join(r['argv'])}\n    -> exit {r['code']}: {r['stderr'].strip()[:400]}"
        for r in results
        if not gcloud_verdict(r["code"], r["stderr"])
    ]
    assert not bad, "commands the real gcloud rejects before authentication:\n" + "\n".join(bad)


def test_every_bq_command_printed_gets_past_parsing(
    printed: list[list[str]], cli_env: dict[str, str], unauthorised_api: str
) -> None:
    commands = _unique([argv for argv in printed if argv[0] == "bq"])
    assert len(commands) >= 10
    with ThreadPoolExecutor(4) as pool:
        outcomes = list(pool.map(lambda a: run_bq(a, cli_env, unauthorised_api), commands))
    bad = [
        f"{shlex.join(a)}\n    -> exit {code}: {out.strip()[:400]}"
        for a, (code, out) in zip(commands, outcomes, strict=True)
        if not bq_verdict(code, out)
    ]
    assert not bad, "commands the real bq rejects before authentication:\n" + "\n".join(bad)


def test_the_checks_reject_what_the_real_clis_reject(
    printed: list[list[str]], cli_env: dict[str, str], unauthorised_api: str
) -> None:
    """The harness can fail: broken variants of printed commands are caught, by the batch and by the binary."""
    job = next(a for a in printed if a[1:5] == ["scheduler", "jobs", "create", "pubsub"])
    deploy = next(a for a in printed if a[1:3] == ["functions", "deploy"])
    good = next(a for a in printed if a[1:4] == ["pubsub", "topics", "describe"])
    bare_topic = [("--topic=" + a.rsplit("/", 1)[-1]) if a.startswith("--topic=") else a for a in job]
    cases = [
        (good, True),
        (good + ["--no-such-flag"], False),  # unknown flag
        ([a if not a.startswith("--max-instances=") else "--max-instances=many" for a in deploy], False),  # bad value
        (bare_topic, False),  # a bare topic id: gcloud cannot resolve its project (what deploy avoids)
    ]
    batch = run_batch([argv[1:] for argv, _ in cases], cli_env)
    for (argv, want), r in zip(cases, batch, strict=True):
        assert gcloud_verdict(r["code"], r["stderr"]) is want, (argv, r["stderr"][:300])
    # The same verdicts from the `gcloud` binary itself, one process per command.
    for argv, want in cases:
        res = subprocess.run([GCLOUD or "gcloud", *argv[1:]], capture_output=True, text=True, env=cli_env, timeout=60)
        assert gcloud_verdict(res.returncode, res.stderr) is want, (argv, res.stderr[:300])
    show = next(a for a in printed if a[0] == "bq" and "show" in a)
    assert bq_verdict(*run_bq(show, cli_env, unauthorised_api))
    assert not bq_verdict(*run_bq([*show[:2], "--no_such_flag", *show[2:]], cli_env, unauthorised_api))


MESSAGES = Path(__file__).parent / "gcloud_messages.py"
# The file flag of each monitoring command group -> the API message its file holds.
FILE_KINDS = {
    ("logging", "metrics"): ("--config-from-file=", "LogMetric"),
    ("alpha", "monitoring", "policies"): ("--policy-from-file=", "AlertPolicy"),
    ("beta", "monitoring", "channels"): ("--channel-content-from-file=", "NotificationChannel"),
    ("monitoring", "dashboards"): ("--config-from-file=", "Dashboard"),
}


def check_messages(files: list[list[str]], env: dict[str, str]) -> list[str]:
    return run_sdk_script(MESSAGES, files, env)  # type: ignore[return-value]


def monitoring_files(lines: list[list[str]]) -> list[list[str]]:
    out = []
    for argv in lines:
        for group, (flag, kind) in FILE_KINDS.items():
            if tuple(argv[1 : 1 + len(group)]) == group and argv[1 + len(group)] in ("create", "update"):
                out += [[kind, a.removeprefix(flag)] for a in argv if a.startswith(flag)]
    return _unique(out)


def test_every_monitoring_file_is_made_of_fields_the_api_defines(tmp_path: Path, cli_env: dict[str, str]) -> None:
    """gcloud reads --policy-from-file and the like only once it has credentials, so parsing does not check
    them: each file the dry run writes (with email and webhook channels configured) is decoded into the API
    message class the installed gcloud sends, and an unknown field or enum value fails. A broken copy shows
    the check can fail."""
    from tests.deploy.conftest import edited_copy

    def edit(d: dict) -> None:
        d["monitoring"]["notification_emails"] = ["oncall@example.com"]

    settings = edited_copy(REPO / "deploy" / "settings.yaml", tmp_path / "settings.yaml", edit)
    env = {**cli_env, "NBA_ORCH_MONITORING_WEBHOOK_URL": "https://hooks.example.com/services/T0/B0/x"}
    res = subprocess.run(
        [
            str(REPO / "deploy" / "deploy.sh"),
            "--project",
            PROJECT,
            "--build-dir",
            str(tmp_path / "build"),
            "--settings",
            str(settings),
            "--dry-run",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        env=env,
    )
    assert "hooks.example.com" not in res.stdout + res.stderr  # the webhook URL is a secret: in a file only
    files = monitoring_files([shlex.split(x) for x in res.stdout.splitlines() if x and not x.startswith("#")])
    assert {k for k, _ in files} == {"LogMetric", "AlertPolicy", "NotificationChannel", "Dashboard"}
    assert len([1 for k, _ in files if k == "NotificationChannel"]) == 2  # the email and the webhook
    assert check_messages(files, cli_env) == []
    policy = next(p for k, p in files if k == "AlertPolicy")
    broken = json.loads(Path(policy).read_text())
    broken["conditions"][0]["conditionThreshold"]["comparison"] = "COMPARISON_MORE"
    broken["escalation"] = True
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    found = check_messages([["AlertPolicy", str(tmp_path / "broken.json")]], cli_env)
    assert len(found) == 2 and any("escalation" in p for p in found) and any("comparison" in p for p in found)
