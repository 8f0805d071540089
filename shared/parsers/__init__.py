"""Pure parsing functions for the upstream NBA data sources.

Each source lives in its own module (``shared.parsers.espn``, ``shared.parsers.nba_injury_report``, ...)
and exposes ``parse_*`` functions that turn a raw upstream answer (bytes or already-decoded JSON) into a
JSON-serialisable ``{"records": [...], "summary": {...}}`` view. The raw payload is stored losslessly
elsewhere; these functions only build the parsed/summary view.

This package module deliberately imports nothing but the exceptions: PDF/HTML libraries (pypdf, bs4)
are imported inside the functions that need them so that ``import shared.parsers`` stays cheap on a
Cloud Function cold start. Import the source module you need explicitly.
"""

from shared.parsers.errors import ParseError, UpstreamError

__all__ = ["ParseError", "UpstreamError"]
