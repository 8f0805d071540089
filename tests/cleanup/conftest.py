"""Helpers for the cleanup tests: seed files and execution-log rows through the real adapters, read back what
a run left (notifications, RECOVERY rows, cleanup_operations rows).

Times: the GCS emulator stamps objects with the machine's clock, and a file's age is measured from that stamp,
so each test takes "now" for its ticks from the stamps of the files it seeded (never from a fixed date).
"""

from __future__ import annotations

import dataclasses
import json
import time
import warnings
from datetime import UTC, datetime
from typing import Any

from shared.adapters import bigquery as bq
from shared.adapters import gcs
from shared.config import Config, get_config
from shared.timeutil import et_date, utc_stamp


def config_with(**cleanup: Any) -> Config:
    """The real configuration with some cleanup settings changed."""
    cfg = get_config()
    return dataclasses.replace(cfg, cleanup=dataclasses.replace(cfg.cleanup, **cleanup))


def box_name(at: datetime, scraper_dir: str = "ball-dont-lie/boxscores") -> str:
    """A bdl_box_scores object name as the scrapers framework writes it for a run at `at`."""
    return f"{scraper_dir}/{et_date(at).isoformat()}/{utc_stamp(at)}.json"


def put(rt, name: str, metadata: dict[str, str] | None = None) -> datetime:
    """Create an object; returns the time cleanup reckons it by: its run's logical time (metadata
    `triggered_at`) when it has one, else its creation time as stamped by the emulator."""
    from shared.timeutil import parse_instant

    gcs.create_object(rt, name, b'{"data": []}', metadata=metadata)
    if metadata and metadata.get("triggered_at"):
        return parse_instant(metadata["triggered_at"])
    blob = gcs.bucket(rt).get_blob(name)
    return blob.time_created


def scraper_meta(scraper: str, execution_id: str, triggered_at: datetime, **extra: str) -> dict[str, str]:
    """The metadata the scrapers framework puts on every object it writes."""
    return {
        "execution_id": execution_id,
        "scraper_name": scraper,
        "request_id": f"req{execution_id}",
        "workflow": "post_game_window_1",
        "triggered_at": triggered_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "source": "CONTROLLER",
        **extra,
    }


def log_row(
    rt, name: str | None, execution_id: str, triggered_at: datetime, *, notified: bool, uri: bool = True, **kw: Any
) -> None:
    """A scraper_execution_log row as the scrapers framework inserts it (gcs_path as gs:// URI by default)."""
    row = {
        "execution_id": execution_id,
        "request_id": f"req{execution_id}",
        "scraper_name": "bdl_box_scores",
        "workflow": "post_game_window_1",
        "status": "success",
        "triggered_at": triggered_at,
        "source": "CONTROLLER",
        "gcs_path": (f"gs://{rt.bucket}/{name}" if uri else name) if name else None,
        "notification_message_id": "4242" if notified else None,
        "recovery": False,
        **kw,
    }
    bq.insert_rows(rt, "scraper_execution_log", [row], row_ids=[execution_id])


def completions(rt, expect: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
    """Completion messages on the scraper_complete pull subscription (acked): body and attributes."""
    from shared.clients import subscriber

    sub = f"projects/{rt.project}/subscriptions/{rt.topic('scraper_complete')}-pull"
    client = subscriber(rt.project)
    got: list[Any] = []
    deadline = time.monotonic() + timeout
    while len(got) < expect and time.monotonic() < deadline:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # return_immediately: deprecated, still honoured
            resp = client.pull(request={"subscription": sub, "max_messages": 100, "return_immediately": True})
        if resp.received_messages:
            client.acknowledge(subscription=sub, ack_ids=[m.ack_id for m in resp.received_messages])
            got.extend(m.message for m in resp.received_messages)
        else:
            time.sleep(0.05)
    return [{"body": json.loads(m.data), "attributes": dict(m.attributes)} for m in got]


def no_completion(rt, wait: float = 0.7) -> bool:
    return completions(rt, expect=1, timeout=wait) == []


def ops_rows(rt) -> list[dict[str, Any]]:
    return bq.query(rt, "SELECT * FROM {dataset}.cleanup_operations ORDER BY cleanup_time, dry_run")


def recovery_rows(rt) -> list[dict[str, Any]]:
    return bq.query(
        rt, "SELECT * FROM {dataset}.scraper_execution_log WHERE source = 'RECOVERY' ORDER BY triggered_at, gcs_path"
    )
