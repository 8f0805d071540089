"""Benchmark: checking the dry run's gcloud commands through the CLI loaded once (tests/deploy/gcloud_batch.py)
versus one `gcloud` process per command, measured in the same run on the same commands.

    .venv/bin/python tests/deploy/bench_gcloud_check.py [SAMPLE]

Prints the number of commands, seconds per command each way, the projected time for all of them and the ratio.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from tests.deploy.test_gcloud_cli import BATCH, sdk_python, sdk_root  # noqa: E402


def main() -> int:
    sample = int(sys.argv[1]) if len(sys.argv) > 1 else 8
    if not shutil.which("gcloud"):
        print("gcloud is not installed")
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(
            [str(REPO / "deploy" / "deploy.sh"), "--project", "nba-bench-proj", "--build-dir", tmp, "--dry-run"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        commands = [shlex.split(x)[1:] for x in out.splitlines() if x.startswith("gcloud ")]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDSDK_", "GOOGLE_"))}
        env.update(CLOUDSDK_CONFIG=str(Path(tmp) / "cfg"), CLOUDSDK_CORE_DISABLE_PROMPTS="1")

        t0 = time.perf_counter()
        for argv in commands[:sample]:
            subprocess.run(["gcloud", *argv], capture_output=True, env=env, timeout=120)
        per_process = (time.perf_counter() - t0) / sample

        root = sdk_root()
        t0 = time.perf_counter()
        res = subprocess.run(
            [sdk_python(root), str(BATCH), str(root)],
            input=json.dumps(commands),
            capture_output=True,
            text=True,
            env=env,
            timeout=300,
        )
        batch_total = time.perf_counter() - t0
        assert res.returncode == 0, res.stderr[-2000:]
        assert len(json.loads(res.stdout)) == len(commands)
    n = len(commands)
    print(f"gcloud commands in the dry run: {n}")
    print(f"one process per command (baseline, {sample} sampled): {per_process:.2f} s/command")
    print(f"  projected for all {n}: ~{per_process * n:.0f} s")
    print(f"CLI loaded once (all {n}): {batch_total:.1f} s total, {batch_total / n:.3f} s/command")
    print(f"ratio baseline/batch: {per_process * n / batch_total:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
