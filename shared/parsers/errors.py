"""Exceptions raised by the upstream parsers.

Kept in a dependency-free module so callers can ``except ParseError`` without importing any parser
(or any heavy library) on a cold start.
"""

from __future__ import annotations


class ParseError(ValueError):
    """An upstream payload is malformed or does not have the shape its parser expects.

    Subclasses ``ValueError`` so generic validation handlers still catch it; the message always names
    the source and what was wrong so a failed run log is actionable without the raw payload at hand.
    """

    def __init__(self, message: str, *, source: str | None = None) -> None:
        self.source = source
        self.detail = message
        super().__init__(f"{source}: {message}" if source else message)


class UpstreamError(ParseError):
    """The upstream answered with an error document instead of data (e.g. ESPN's JSON 404 body).

    ``status`` carries the upstream's own status code when it states one, so a caller can treat 404 as
    "no data" rather than as a parser bug.
    """

    def __init__(self, message: str, *, source: str | None = None, status: int | None = None) -> None:
        self.status = status
        super().__init__(message, source=source)
