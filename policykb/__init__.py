"""policykb: hybrid multilingual search over social-security policy texts."""

__version__ = "0.1.0"
