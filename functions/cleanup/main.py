"""Cloud Function `cleanup`: triggered by its scheduler tick topic. Thin: decode, call the core, report.

A GCS or BigQuery failure raises (Pub/Sub redelivers); a malformed tick is logged and acknowledged
(shared.edge). The work is in shared.cleanup.
"""

import functions_framework

from shared.contracts import PubSubMessage, decode_tick
from shared.edge import run


def _work(msg: PubSubMessage) -> dict:
    from shared.cleanup import run_cleanup
    from shared.config import get_config
    from shared.runtime import Runtime

    # The result is logged by the edge: keep it short (the cleanup_operations row has the details).
    return run_cleanup(Runtime.from_env(), get_config(), decode_tick(msg), max_files=20)


@functions_framework.cloud_event
def cleanup(cloud_event):
    """Entry point (CloudEvent from Pub/Sub)."""
    return run(cloud_event, "cleanup", _work)
