"""API keys from the environment (Cloud Functions maps Secret Manager secrets to environment variables with
`--set-secrets`), and scrubbing of their values from anything we write: logs, rows, messages, paths."""

from __future__ import annotations

import json
import os
import re
from urllib.parse import quote, quote_plus

_known: set[str] = set()
# Query parameters and headers that carry credentials, whatever their value.
_SENSITIVE = re.compile(r"(?i)((?:apikey|api_key|key|token|authorization|x-api-key)=)[^&\s\"']+")


def variants(value: str) -> set[str]:
    """The forms a secret takes in text we might write: as is, percent-encoded (a URL an upstream echoes),
    JSON-escaped (a service-account key with quotes and newlines inside a JSON document), and, for a
    multi-line secret, each of its long lines (a traceback or an error message may quote one)."""
    out = {value, quote(value, safe=""), quote_plus(value), json.dumps(value)[1:-1]}
    # Lines split on real newlines and on JSON's escaped ones (a service-account key's private_key).
    pieces = re.split(r"\n|\\n", value)
    if len(pieces) > 1:
        out.update(p.strip() for p in pieces if len(p.strip()) >= 16)
    return {v for v in out if len(v) >= 4}


def get_secret(name: str) -> str | None:
    """The secret's value from the environment, remembered so it can be scrubbed; None when not set."""
    value = os.environ.get(name)
    if value:
        value = value.strip()
        remember(value)
        return value
    return None


def remember(value: str) -> None:
    """Scrub `value` (in every form of `variants`) from now on too: also a credential derived at run time
    (e.g. an OAuth access token). A service-account JSON key's `private_key` is remembered on its own too."""
    if not value or len(value) < 4:
        return
    _known.update(variants(value))
    if value.startswith("{"):
        try:
            doc = json.loads(value)
        except ValueError:
            return
        if isinstance(doc, dict) and isinstance(doc.get("private_key"), str):
            remember(doc["private_key"].strip())


def scrub(text: str) -> str:
    """Replace every known secret value, and any credential-looking query parameter, with ***."""
    if not text:
        return text
    for value in sorted(_known, key=len, reverse=True):  # longest first: a whole key before its private part
        if value in text:
            text = text.replace(value, "***")
    return _SENSITIVE.sub(r"\1***", text)
