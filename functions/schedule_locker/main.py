"""Cloud Function `schedule_locker`: locks the day's expected workflow runs (its scheduler tick, 05:00 ET). A
redelivery is harmless: the day's claim makes a second run a no-op.

Thin, like every role: the edge (shared.edge.run) decodes the CloudEvent, hands the message to
`shared.locker.service.handle` and decides ack or retry (a malformed message or bad input is logged and
acknowledged; a failing dependency raises, so Pub/Sub redelivers). Google client libraries are imported on first
use, not at cold start.
"""

import functions_framework

from shared.edge import run

# The role's work, imported by the first message (shared.edge.resolve), not at cold start.
HANDLER = "shared.locker.service.handle"


@functions_framework.cloud_event
def schedule_locker(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "schedule_locker", HANDLER)
