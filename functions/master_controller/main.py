"""Cloud Function `master_controller`: triggered by its scheduler tick topic. Thin: decode, call the core, report.

"Now" is the tick's `as_of`, else its publish time (shared.controller.service.handle_message). Failures to
write or publish raise, so Pub/Sub redelivers; the redelivery finds the slot's decisions and republishes the
same request ids. Google client libraries are imported on first use, not at cold start.
"""

import functions_framework

from shared.controller.service import handle_message
from shared.edge import run


@functions_framework.cloud_event
def master_controller(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "master_controller", handle_message)
