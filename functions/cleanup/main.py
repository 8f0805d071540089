"""Cloud Function `cleanup`: republishes the completions of files that missed theirs (every 15 minutes). A
redelivered tick finds its run recorded and does nothing.

Thin, like every role: the edge (shared.edge.run) decodes the CloudEvent, hands the message to
`shared.cleanup.service.handle` and decides ack or retry (a malformed message or bad input is logged and
acknowledged; a failing dependency raises, so Pub/Sub redelivers). Google client libraries are imported on first
use, not at cold start.
"""

import functions_framework

from shared.edge import run

# The role's work, imported by the first message (shared.edge.resolve), not at cold start.
HANDLER = "shared.cleanup.service.handle"


@functions_framework.cloud_event
def cleanup(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "cleanup", HANDLER)
