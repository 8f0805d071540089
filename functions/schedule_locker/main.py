"""Cloud Function `schedule_locker`: triggered by its scheduler tick topic. Thin: decode, call the core, report.

Outcomes (shared.edge.run): a malformed tick or bad input (date over 400 days away, unparseable schedule
file) is logged as an ERROR and acknowledged; a failing dependency (BigQuery, GCS, upstream) raises so
Pub/Sub redelivers. Redelivery is harmless: the day's claim makes a second run a no-op (shared.locker).
"""

import functions_framework

from shared.contracts import PubSubMessage, decode_tick
from shared.edge import run


def _work(msg: PubSubMessage) -> dict:
    from shared.config import get_config
    from shared.locker import LockRequest, lock_schedule
    from shared.runtime import Runtime

    tick = decode_tick(msg)
    result = lock_schedule(Runtime.from_env(), get_config(), LockRequest.from_tick(tick, msg.delivery_attempt))
    return result.summary()


@functions_framework.cloud_event
def schedule_locker(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "schedule_locker", _work)
