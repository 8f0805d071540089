"""Cloud Function `scrapers`: one message on the scraper-requests topic = one scraper call (claim, fetch, GCS write,
completion, log row, follow-ups). A transient upstream failure raises so Pub/Sub redelivers; the last attempt
records it.

Thin, like every role: the edge (shared.edge.run) decodes the CloudEvent, hands the message to
`shared.scrapers.service.handle` and decides ack or retry (a malformed message or bad input is logged and
acknowledged; a failing dependency raises, so Pub/Sub redelivers). Google client libraries are imported on first
use, not at cold start.
"""

import functions_framework

from shared.edge import run

# The role's work, imported by the first message (shared.edge.resolve), not at cold start.
HANDLER = "shared.scrapers.service.handle"


@functions_framework.cloud_event
def scrapers(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "scrapers", HANDLER)
