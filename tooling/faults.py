"""Fault injection at the steps of a scraper run, for the simulation and the fault-injection tests.

Installed into the scrapers' step hooks (`shared.scrapers.service.STEP_HOOKS`) by `install()`, which only
the local function runner (tooling/local/entry.py) and the tests call: a deployed function ships no tooling,
so the variable does nothing there. Off unless NBA_ORCH_FAULTS is set: a comma-separated list of
`point:scraper:mode[:count]` rules, e.g. `after_write:bdl_box_scores:lose:1,after_fetch:*:crash:2`.
- point: after_fetch, after_write (raw file in GCS), after_notify (completion published), after_row.
- mode `crash`: the run raises InjectedCrash, as if the process died there; the message is redelivered and
  the run resumes from its claim.
- mode `lose`: the run stops there and the message is acknowledged anyway (a crash whose redelivery never
  comes, e.g. after the last attempt): only cleanup can repair it.
- count: how many matching runs are hit in this process (default 1).
"""

from __future__ import annotations

import os
import threading

from shared.scrapers.errors import RunAbandoned
from shared.scrapers.service import STEP_HOOKS, STEP_POINTS

POINTS = STEP_POINTS
_lock = threading.Lock()
_fired: dict[str, int] = {}


class InjectedCrash(RuntimeError):
    """An injected crash: the caller must not catch it (Pub/Sub redelivers)."""


class InjectedLoss(RunAbandoned):
    """An injected crash whose message is acknowledged anyway: the rest of the run never happens."""


def _rules() -> list[tuple[str, str, str, int]]:
    spec = os.environ.get("NBA_ORCH_FAULTS", "").strip()
    out = []
    for item in filter(None, (s.strip() for s in spec.split(","))):
        parts = item.split(":")
        if len(parts) not in (3, 4) or parts[0] not in POINTS or parts[2] not in ("crash", "lose"):
            raise ValueError(f"NBA_ORCH_FAULTS: bad rule {item!r} (point:scraper:crash|lose[:count])")
        out.append((parts[0], parts[1], parts[2], int(parts[3]) if len(parts) == 4 else 1))
    return out


def check(point: str, scraper_name: str, request_id: str) -> None:
    """Raise the configured fault for this step of this run, if any (each rule fires `count` times)."""
    if "NBA_ORCH_FAULTS" not in os.environ:
        return
    for rule in _rules():
        p, scraper, mode, count = rule
        if p != point or scraper not in ("*", scraper_name):
            continue
        key = ":".join(map(str, rule))
        with _lock:
            if _fired.get(key, 0) >= count:
                continue
            _fired[key] = _fired.get(key, 0) + 1
        message = f"injected {mode} {point} in {scraper_name} (request {request_id})"
        raise InjectedCrash(message) if mode == "crash" else InjectedLoss(message)


def reset() -> None:
    with _lock:
        _fired.clear()


def install() -> None:
    """Hook `check` into every scraper run of this process (idempotent)."""
    if check not in STEP_HOOKS:
        STEP_HOOKS.append(check)
