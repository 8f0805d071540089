"""Cloud Function `cleanup`: triggered by its scheduler tick topic. Thin: decode, call the core, report."""

import functions_framework

from shared.contracts import decode_tick
from shared.edge import run


@functions_framework.cloud_event
def cleanup(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "cleanup", lambda msg: {"tick": decode_tick(msg).to_json()})
