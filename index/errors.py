"""Errors of the index layer: missing or corrupt generations, models, locks, queries."""

from ingest.errors import PolicyKBError


class IndexNotFound(PolicyKBError):
    """No valid index generation exists at the given directory."""


class IndexCorrupt(PolicyKBError):
    """An index generation failed verification (checksum, counts, ids or manifest)."""


class ModelMismatch(PolicyKBError):
    """The index was built with a different model or dimension than the one configured."""


class ModelUnavailable(PolicyKBError):
    """The embedding model could not be found or converted offline."""


class BuildLocked(PolicyKBError):
    """Another build or update holds the index lock."""


class QueryError(PolicyKBError):
    """A query or filter is invalid (too long, bad date, unknown field)."""
