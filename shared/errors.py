"""Exceptions shared by every layer (kept free of imports: a cold start pays nothing for them)."""


class RetryLater(Exception):
    """Expected under at-least-once delivery (another delivery holds the work): redeliver, log a WARNING."""
