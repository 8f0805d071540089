"""Google Cloud's documented size limits, enforced in code because the local emulators do not enforce them.

Checked at decode (a message whose fields could never be written is malformed) and again before each write
(the adapters), so a value that grew on the way (a follow-up inheriting its parent's context) is refused
with a clear error instead of being rejected by the real service, or silently truncated. Sources:
- Pub/Sub (cloud.google.com/pubsub/quotas): at most 100 attributes a message, keys up to 256 bytes, values up
  to 1,024 bytes; a message up to 10 MB (ours: 256 KiB, `shared.contracts.MAX_PAYLOAD_BYTES`).
- Cloud Storage (cloud.google.com/storage/docs/objects, /metadata): object names of 1-1,024 bytes of UTF-8,
  no carriage return or line feed, not "." or "..", not under ".well-known/acme-challenge/"; custom metadata
  up to 8 KiB in total (keys and values).
Pure: no I/O, no imports beyond the standard library.
"""

from __future__ import annotations

from collections.abc import Mapping

PUBSUB_MAX_ATTRIBUTES = 100
PUBSUB_MAX_ATTRIBUTE_KEY_BYTES = 256
PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES = 1024
GCS_MAX_OBJECT_NAME_BYTES = 1024
GCS_MAX_METADATA_BYTES = 8 * 1024
# Our own caps for free-text fields of a scraper request (they flow into attributes, metadata and rows).
MAX_NAME_CHARS = 200
MAX_CONTEXT_BYTES = 16 * 1024


class LimitExceeded(ValueError):
    """A value would be rejected by Google Cloud (or exceeds one of our own caps)."""


def utf8_len(value: str) -> int:
    return len(value.encode("utf-8", "surrogatepass"))


def check_attributes(attrs: Mapping[str, str]) -> None:
    """Pub/Sub message attributes: count, key and value sizes."""
    if len(attrs) > PUBSUB_MAX_ATTRIBUTES:
        raise LimitExceeded(f"{len(attrs)} attributes: Pub/Sub allows {PUBSUB_MAX_ATTRIBUTES}")
    for k, v in attrs.items():
        if not k or utf8_len(k) > PUBSUB_MAX_ATTRIBUTE_KEY_BYTES:
            raise LimitExceeded(f"attribute key of {utf8_len(k)} bytes: Pub/Sub allows 1-256")
        if utf8_len(v) > PUBSUB_MAX_ATTRIBUTE_VALUE_BYTES:
            raise LimitExceeded(f"attribute {k!r} of {utf8_len(v)} bytes: Pub/Sub allows {1024}")


def check_object_name(name: str) -> None:
    """A GCS object name Google accepts."""
    n = utf8_len(name)
    if not 1 <= n <= GCS_MAX_OBJECT_NAME_BYTES:
        raise LimitExceeded(f"object name of {n} bytes: Cloud Storage allows 1-{GCS_MAX_OBJECT_NAME_BYTES}")
    if "\r" in name or "\n" in name:
        raise LimitExceeded("object name contains a carriage return or line feed")
    if name in (".", "..") or name.startswith(".well-known/acme-challenge/"):
        raise LimitExceeded(f"object name {name!r} is reserved by Cloud Storage")


def metadata_bytes(meta: Mapping[str, str]) -> int:
    return sum(utf8_len(str(k)) + utf8_len(str(v)) for k, v in meta.items())


def check_metadata(meta: Mapping[str, str]) -> None:
    """GCS custom metadata: 8 KiB in total."""
    n = metadata_bytes(meta)
    if n > GCS_MAX_METADATA_BYTES:
        raise LimitExceeded(f"custom metadata of {n} bytes: Cloud Storage allows {GCS_MAX_METADATA_BYTES}")


def clip(value: str, max_bytes: int) -> str:
    """`value` cut to at most `max_bytes` of UTF-8 without splitting a character (for upstream-controlled
    values such as an ETag kept in metadata: keeping a prefix beats failing the write)."""
    data = value.encode("utf-8", "surrogatepass")
    if len(data) <= max_bytes:
        return value
    return data[:max_bytes].decode("utf-8", "ignore")
