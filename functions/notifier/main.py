"""Cloud Function `notifier`: delivers alert events (the alerts topic) to a Slack-compatible webhook and/or
email, without flooding (per-rule cap, digests, per-key cool-down). A redelivered event notifies nothing new.

Thin, like every role: the edge (shared.edge.run) decodes the CloudEvent, hands the message to
`shared.notifier.service.handle` and decides ack or retry (a malformed message or bad input is logged and
acknowledged; a failing dependency raises, so Pub/Sub redelivers). Google client libraries are imported on first
use, not at cold start.
"""

import functions_framework

from shared.edge import run

# The role's work, imported by the first message (shared.edge.resolve), not at cold start.
HANDLER = "shared.notifier.service.handle"


@functions_framework.cloud_event
def notifier(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "notifier", HANDLER)
