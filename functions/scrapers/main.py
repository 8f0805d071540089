"""Cloud Function `scrapers`: one Pub/Sub message on the scraper-requests topic = one scraper call."""

import functions_framework

from shared.contracts import decode_scraper_request
from shared.edge import run


@functions_framework.cloud_event
def scrapers(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "scrapers", lambda msg: {"request": decode_scraper_request(msg).to_json()})
