"""Cloud Function `master_controller`: one tick = RUN / SKIP / ABORT for every workflow, and the RUNs' scraper
requests. "Now" is the tick's `as_of`, else its publish time; a redelivery reuses the slot's recorded decisions.

Thin, like every role: the edge (shared.edge.run) decodes the CloudEvent, hands the message to
`shared.controller.service.handle` and decides ack or retry (a malformed message or bad input is logged and
acknowledged; a failing dependency raises, so Pub/Sub redelivers). Google client libraries are imported on first
use, not at cold start.
"""

import functions_framework

from shared.edge import run

# The role's work, imported by the first message (shared.edge.resolve), not at cold start.
HANDLER = "shared.controller.service.handle"


@functions_framework.cloud_event
def master_controller(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "master_controller", HANDLER)
