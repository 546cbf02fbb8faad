"""The one base of every error a user can act on, and the ingest layer's own errors.

It lives in the lowest package so every layer (ingest -> index -> api -> CLI) derives its
errors from it without importing upward; the CLI and the API turn any of them into a
one-line message.
"""


class PolicyKBError(Exception):
    """Base class: every error the user can act on."""


class UnreadableDocument(PolicyKBError):
    """A corpus file could not be turned into text (the message says why)."""
