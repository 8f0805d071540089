"""Run many gcloud command lines through the installed Google Cloud CLI in one process.

Usage (with the SDK's own Python): python gcloud_batch.py SDK_ROOT < commands.json > results.json, where
commands.json is a list of argv lists without the leading "gcloud". Each one goes through exactly what the
`gcloud` launcher runs (googlecloudsdk.gcloud_main.CreateCLI, then cli.Execute(argv): argument parsing,
resource parsing, then the command until it needs credentials), but the CLI is loaded once instead of once
per command (about 1 s of imports each). The result of each is its exit code and what it wrote.
"""

import contextlib
import io
import json
import os
import sys


def main() -> None:
    root = sys.argv[1]
    lib = os.path.join(root, "lib")
    sys.path.insert(0, lib)
    sys.path.insert(0, os.path.join(lib, "third_party"))
    from googlecloudsdk import gcloud_main
    from googlecloudsdk.core import log

    cli = gcloud_main.CreateCLI([])
    results = []
    for argv in json.load(sys.stdin):
        err, out = io.StringIO(), io.StringIO()
        code = 0
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
            log.Reset(stdout=out, stderr=err)
            try:
                cli.Execute(argv, call_arg_complete=False)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else 1
            except BaseException as exc:  # noqa: BLE001 - report anything, the test decides
                code = 99
                err.write(f"unexpected {type(exc).__name__}: {exc}")
        results.append({"argv": argv, "code": code, "stderr": err.getvalue(), "stdout": out.getvalue()})
    json.dump(results, sys.__stdout__)


if __name__ == "__main__":
    main()
