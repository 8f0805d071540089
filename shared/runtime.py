"""Where things live: project, dataset, bucket and topic names, from the environment.

One frozen object passed to adapters, so tests can run side by side with isolated names on one emulator
stack, and a deployed function is configured by environment variables alone.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

TOPIC_DEFAULTS: dict[str, str] = {
    "locker_tick": "nba-orch-schedule-locker-tick",
    "controller_tick": "nba-orch-controller-tick",
    "cleanup_tick": "nba-orch-cleanup-tick",
    "scraper_requests": "nba-scraper-requests",
    "scraper_complete": "nba-scraper-complete",
    "dead_letter": "nba-orch-dead-letter",
    "gcs_events": "nba-orch-gcs-events",
    "alerts": "nba-orch-alerts",
}


@dataclass(frozen=True)
class Runtime:
    project: str = "nba-props-local"
    dataset: str = "nba_orchestration"
    bucket: str = "nba-scraped-data"
    environment: str = "local"
    topics: Mapping[str, str] = field(default_factory=lambda: dict(TOPIC_DEFAULTS))

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Runtime:
        env = os.environ if env is None else env
        topics = {k: env.get(f"NBA_ORCH_TOPIC_{k.upper()}", v) for k, v in TOPIC_DEFAULTS.items()}
        return cls(
            project=env.get("GOOGLE_CLOUD_PROJECT") or env.get("GCP_PROJECT") or "nba-props-local",
            dataset=env.get("NBA_ORCH_DATASET", "nba_orchestration"),
            bucket=env.get("NBA_ORCH_BUCKET", "nba-scraped-data"),
            environment=env.get("NBA_ORCH_ENVIRONMENT", "local"),
            topics=topics,
        )

    def topic(self, key: str) -> str:
        return self.topics[key]

    def topic_path(self, key: str) -> str:
        return f"projects/{self.project}/topics/{self.topics[key]}"

    def table(self, name: str) -> str:
        return f"{self.project}.{self.dataset}.{name}"

    def with_suffix(self, suffix: str) -> Runtime:
        """Same runtime with every name suffixed: isolated resources for one test."""
        return replace(
            self,
            dataset=f"{self.dataset}_{suffix}".replace("-", "_"),
            bucket=f"{self.bucket}-{suffix}".replace("_", "-").lower(),
            topics={k: f"{v}-{suffix}" for k, v in self.topics.items() if k != "gcs_events"}
            | {"gcs_events": self.topics["gcs_events"]},
        )

    def env(self) -> dict[str, str]:
        """The environment variables that recreate this runtime in another process."""
        out = {
            "GOOGLE_CLOUD_PROJECT": self.project,
            "NBA_ORCH_DATASET": self.dataset,
            "NBA_ORCH_BUCKET": self.bucket,
            "NBA_ORCH_ENVIRONMENT": self.environment,
        }
        out.update({f"NBA_ORCH_TOPIC_{k.upper()}": v for k, v in self.topics.items()})
        return out
