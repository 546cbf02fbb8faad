"""policykb: hybrid multilingual search over social-security policy texts (the CLI)."""

from ingest.version import __version__

__all__ = ["__version__"]
