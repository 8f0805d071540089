"""What can go wrong in a scraper run, split by what the function must do about it.

- `ScraperFailure` (permanent): the run is recorded as `failed` with its `error_type`, the completion is
  published and the message acknowledged. Retrying would give the same answer (bad parameter, 404, a
  payload that does not parse...).
- `TransientFailure`: upstream was unavailable after the in-process retries (429/5xx/timeout/connection).
  The function raises so Pub/Sub redelivers; on the last delivery attempt it is recorded as `failed` instead.
- `InProgress`: another delivery of the same request holds the claim right now; raise and let Pub/Sub
  redeliver later (by then the other delivery has finished and the redelivery is a duplicate).

Kept free of imports so every layer (pure core, HTTP edge, service) can share it on a cold start.
"""

from __future__ import annotations

from shared.errors import PermanentError, RetryLater

MAX_ERROR_MESSAGE = 1000
# Error types of a denial the HTTP layer recognises (shared.scrapers.http.classify_denial): a WAF block page,
# and an object store's "no such object" (what each means for a run: shared.scrapers.core.fetch_failure).
BLOCKED = "blocked"
NOT_PUBLISHED = "not_published"


class ScraperFailure(Exception):
    """A permanent failure with a machine-readable `error_type` and a human message (<= 1,000 chars)."""

    def __init__(self, error_type: str, message: str, *, status: int | None = None, retries: int = 0) -> None:
        self.error_type = error_type
        self.message = message
        self.status = status
        self.retries = retries
        super().__init__(f"{error_type}: {message}")


class InvalidRequest(ScraperFailure):
    """The request itself is wrong (unknown scraper, missing/invalid/unsafe parameter): never retried."""


class TransientFailure(Exception):
    """Upstream is unavailable after retries; the caller decides between redelivery and recording it."""

    def __init__(self, error_type: str, message: str, *, status: int | None = None, retries: int = 0) -> None:
        self.error_type = error_type
        self.message = message
        self.status = status
        self.retries = retries
        super().__init__(f"{error_type}: {message}")


class RequestIdConflict(PermanentError):
    """A request reuses the id of a different request (another scraper or other parameters): refused, logged
    and acknowledged; the existing claim's outcome is never returned for it."""


class InProgress(RetryLater):
    """Another delivery of this request holds a live claim; retry later."""


class RunAbandoned(Exception):
    """A step hook stopped the run and asks for the message to be acknowledged anyway (a crash whose
    redelivery never comes, as injected by the local tooling): only cleanup can repair what is left."""
