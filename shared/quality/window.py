"""The suspect window's counts, read from the comparison markers' metadata (what the SLA evaluation reads at
controller and cleanup ticks; kept apart from the writer so a reader's imports name no write)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

from shared.bucket_layout import prefix
from shared.quality.config import QualityConfig
from shared.runtime import Runtime

MARKERS = "quality"


def window_counts(markers: Iterable[Mapping[str, str]]) -> dict[str, tuple[int, int]]:
    """Source -> (players, agreeing) summed over markers' metadata."""
    out: dict[str, tuple[int, int]] = {}
    for meta in markers:
        for k, v in meta.items():
            if not k.startswith("q_"):
                continue
            try:
                players, agreeing = (int(x) for x in v.split("/", 1))
            except ValueError:
                continue
            p0, a0 = out.get(k[2:], (0, 0))
            out[k[2:]] = (p0 + players, a0 + agreeing)
    return out


def marker_prefix(d: date) -> str:
    return f"{prefix(MARKERS)}{d.isoformat()}/"


def read_window(rt: Runtime, q: QualityConfig, d: date) -> dict[str, tuple[int, int]]:
    """The counts of the window of game dates ending at `d` (one listing per date, metadata only)."""
    from shared.adapters.gcs import iter_objects

    metas = [
        meta or {}
        for i in range(q.suspect.window_days)
        for _name, _created, meta in iter_objects(rt, marker_prefix(d - timedelta(days=i)))
    ]
    return window_counts(metas)
