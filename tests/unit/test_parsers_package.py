"""Package-level guarantees of shared.parsers: cheap import, exported exceptions, common decoding."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

import shared.parsers
from shared.parsers import ParseError, UpstreamError
from shared.parsers._common import load_json

ROOT = Path(__file__).resolve().parents[2]
MODULES = [
    "nbacom_stats",
    "nbacom_cdn",
    "nbacom_web",
    "nba_injury_report",
    "nba_gamebook",
    "nba_officials",
    "espn",
    "bettingpros",
    "basketball_reference",
    "bigdataball",
    "balldontlie",
    "odds_api",
]


def _loaded_modules(code: str) -> set[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_package_does_not_load_heavy_libraries() -> None:
    """Cold start matters: the package import must not pull in pypdf or bs4."""
    loaded = _loaded_modules("import shared.parsers")
    assert "shared.parsers" in loaded
    assert not {m for m in loaded if m.split(".")[0] in {"pypdf", "bs4"}}


def test_import_every_parser_module_still_does_not_load_heavy_libraries() -> None:
    """Heavy imports happen inside the functions that need them, not at module import time."""
    code = "\n".join(f"import shared.parsers.{name}" for name in MODULES)
    loaded = _loaded_modules(code)
    assert {f"shared.parsers.{name}" for name in MODULES} <= loaded
    assert not {m for m in loaded if m.split(".")[0] in {"pypdf", "bs4"}}


def test_exceptions_are_exported_and_informative() -> None:
    assert shared.parsers.ParseError is ParseError
    err = UpstreamError("gone", source="espn summary", status=404)
    assert isinstance(err, ParseError) and isinstance(err, ValueError)
    assert err.status == 404 and err.source == "espn summary"
    assert str(err) == "espn summary: gone"


def test_load_json_accepts_bytes_gzip_and_decoded_objects() -> None:
    assert load_json(b'{"a": 1}', source="t") == {"a": 1}
    assert load_json(gzip.compress(b"[1, 2]"), source="t") == [1, 2]
    assert load_json("\ufeff{}", source="t") == {}
    obj = {"x": [1]}
    assert load_json(obj, source="t") is obj


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "empty body"),
        (b'{"resultSets": [', "invalid JSON"),
        (gzip.compress(b'{"a": 1}')[:-8], "gzip"),
        (42, "expected JSON"),
    ],
)
def test_load_json_rejects_malformed_input(raw: object, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        load_json(raw, source="t")
