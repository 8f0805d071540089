"""The source the local runner hands functions-framework: install the tooling's step hooks, then serve the
entry point of the real `functions/<role>/main.py` (named by NBA_ORCH_FUNCTION_MAIN).

This is the only way fault injection (NBA_ORCH_FAULTS, tooling.faults) reaches a function: a deployed function's
source is its own main.py and its stage holds no `tooling/`, so setting the variable there changes nothing.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path
from typing import Any

from tooling import faults

faults.install()

_SOURCE = Path(os.environ["NBA_ORCH_FUNCTION_MAIN"]).resolve()
sys.path.insert(0, str(_SOURCE.parent))
_spec = importlib.util.spec_from_file_location("main", _SOURCE)
assert _spec is not None and _spec.loader is not None
_main = importlib.util.module_from_spec(_spec)
sys.modules["main"] = _main
_spec.loader.exec_module(_main)


def __getattr__(name: str) -> Any:
    """functions-framework looks the target up here: hand it the real main's entry point."""
    return getattr(_main, name)
