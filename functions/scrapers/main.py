"""Cloud Function `scrapers`: one Pub/Sub message on the scraper-requests topic = one scraper call.

Thin on purpose: decode and report through shared.edge.run, the pipeline is shared.scrapers.service
(claim, fetch, GCS write, completion, log row, follow-ups). A malformed message or a permanent failure is
acknowledged (recorded as a `failed` row when it is a valid request); a transient upstream failure raises
so Pub/Sub redelivers, and the last delivery attempt records it instead. Clients and HTTP are created lazily.
"""

import functions_framework

from shared.edge import run
from shared.runtime import Runtime
from shared.scrapers import service


@functions_framework.cloud_event
def scrapers(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "scrapers", lambda msg: service.execute_message(Runtime.from_env(), msg))
