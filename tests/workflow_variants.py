"""Configuration variants the tests share (pure: built from the default config, never written anywhere)."""

from __future__ import annotations

import dataclasses

from shared.config import Config


def injury_as_discovery(cfg: Config) -> Config:
    """The default config with `injury_discovery` as the discovery workflow it was before issue 18 (12
    attempts every 2 h from 08:00, stopping at the first report found): the discovery rules' tests use it,
    as a discovery workflow with more attempts than referee_discovery."""
    wfs = dict(cfg.workflows)
    wfs["injury_discovery"] = dataclasses.replace(
        wfs["injury_discovery"], decision_type="discovery", max_attempts=12, interval_hours=2.0
    )
    return dataclasses.replace(cfg, workflows=wfs)
