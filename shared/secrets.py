"""API keys from the environment (Cloud Functions maps Secret Manager secrets to environment variables with
`--set-secrets`), and scrubbing of their values from anything we write: logs, rows, messages, paths."""

from __future__ import annotations

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
        if len(value) >= 4:
            _known.add(value)
        return value
    return None


def remember(value: str) -> None:
    """Scrub `value` from now on too: a credential derived at run time (e.g. an OAuth access token)."""
    if value and len(value) >= 4:
        _known.add(value)


def scrub(text: str) -> str:
    """Replace every known secret value, and any credential-looking query parameter, with ***."""
    if not text:
        return text
    for value in _known:
        if value in text:
            text = text.replace(value, "***")
    return _SENSITIVE.sub(r"\1***", text)
