"""API keys from the environment (Cloud Functions maps Secret Manager secrets to environment variables with
`--set-secrets`), and scrubbing of their values from anything we write: logs, rows, messages, paths."""

from __future__ import annotations

import json
import os
import re

_known: set[str] = set()
# Query parameters and headers that carry credentials, whatever their value.
_SENSITIVE = re.compile(r"(?i)((?:apikey|api_key|key|token|authorization|x-api-key)=)[^&\s\"']+")


def get_secret(name: str) -> str | None:
    """The secret's value from the environment, remembered so it can be scrubbed; None when not set."""
    value = os.environ.get(name)
    if value:
        value = value.strip()
        remember(value)
        return value
    return None


def remember(value: str) -> None:
    """Scrub `value` from now on too: a credential derived at run time (e.g. an OAuth access token).

    A value with quotes, backslashes or newlines (a service-account JSON key) is also remembered as JSON
    escapes it, so it is found inside serialised text; a JSON key's `private_key` is remembered on its own."""
    if not value or len(value) < 4:
        return
    _known.add(value)
    escaped = json.dumps(value)[1:-1]
    if escaped != value:
        _known.add(escaped)
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
