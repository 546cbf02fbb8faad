"""The one search request, from HTTP to storage: the same names and limits everywhere.

The API takes it as GET query parameters and as a POST body, the CLI builds it from its
options, and storage reads the filters under these names (index/storage/schema.py).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_QUERY_CHARS = 1000
MAX_K = 100
MAX_OFFSET = 1000
FILTER_NAMES = ("lang", "doc", "type", "issuer", "topic")
Mode = Literal["hybrid", "dense", "lexical"]
# Embedding/override/isolate controls and the invisible direction marks (LRM, RLM, ALM)
# could reorder the UI text around an echoed query.
BIDI_CONTROLS = re.compile("[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")
# A lone surrogate (JSON "\ud800") is not text: it cannot be encoded in a response.
SURROGATES = re.compile("[\ud800-\udfff]")


def no_surrogates(value: object) -> object:
    texts = value if isinstance(value, list) else [value]
    if any(isinstance(t, str) and SURROGATES.search(t) for t in texts):
        raise ValueError("text holds a lone surrogate (not valid Unicode)")
    return value


class SearchRequest(BaseModel):
    """A search: the query, metadata filters, the page wanted and the retrieval mode."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=MAX_QUERY_CHARS,
                   description="The question or keywords, in any language.")
    lang: list[str] = Field(default_factory=list, max_length=10,
                            description="Only passages in these languages (zh, en, fa, mixed).")
    doc: list[str] = Field(default_factory=list, max_length=100,
                           description="Only these document ids.")
    type: list[str] = Field(default_factory=list, max_length=10,
                            description="Only these document types (law, regulation, ...).")
    issuer: list[str] = Field(default_factory=list, max_length=50,
                              description="Only documents of these issuers.")
    topic: list[str] = Field(default_factory=list, max_length=20,
                             description="Only passages tagged with these topic ids.")
    date_from: date | None = Field(default=None, description="Published or effective on/after.")
    date_to: date | None = Field(default=None, description="Published or effective on/before.")
    k: int = Field(default=10, ge=1, le=MAX_K, description="Hits per page.")
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET, description="Hits to skip.")
    mode: Mode = Field(default="hybrid",
                       description="Dense + lexical fused, or one half alone.")

    @field_validator("q", "lang", "doc", "type", "issuer", "topic", mode="before")
    @classmethod
    def valid_unicode(cls, value: object) -> object:
        return no_surrogates(value)

    @field_validator("q")
    @classmethod
    def neutralise_bidi(cls, value: str) -> str:
        cleaned = BIDI_CONTROLS.sub("", value).strip()
        if not cleaned:
            raise ValueError("query is empty")
        return cleaned

    def filters(self) -> dict[str, list[str]]:
        """The metadata filters by name (empty lists are no filter)."""
        return {name: getattr(self, name) for name in FILTER_NAMES}

    def dates(self) -> tuple[str | None, str | None]:
        """The date range as ISO strings, as storage compares them."""
        return (self.date_from.isoformat() if self.date_from else None,
                self.date_to.isoformat() if self.date_to else None)

    def filtered(self) -> bool:
        return any(self.filters().values()) or self.date_from is not None \
            or self.date_to is not None
