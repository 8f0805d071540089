"""Exceptions shared by every layer (kept free of imports: a cold start pays nothing for them)."""


class RetryLater(Exception):
    """Expected under at-least-once delivery (another delivery holds the work): redeliver, log a WARNING."""


class PermanentError(Exception):
    """Bad input that will never succeed (unknown date, unparseable file...): log it and acknowledge."""


class AlreadyExists(Exception):
    """A create-only write found the object: another delivery of the same work got there first."""
