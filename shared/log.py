"""Structured JSON logs on stdout (Cloud Logging reads `severity` and `message`), with secrets scrubbed."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from typing import Any

from shared.secrets import scrub


def log(severity: str, message: str, **fields: Any) -> None:
    entry = {"severity": severity, "message": message, "time": datetime.now(UTC).isoformat(), **fields}
    line = json.dumps(entry, default=str, separators=(",", ":"))
    sys.stdout.write(scrub(line) + "\n")
    sys.stdout.flush()


def info(message: str, **fields: Any) -> None:
    log("INFO", message, **fields)


def warning(message: str, **fields: Any) -> None:
    log("WARNING", message, **fields)


def error(message: str, **fields: Any) -> None:
    log("ERROR", message, **fields)
