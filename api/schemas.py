"""Request and response models of the HTTP API (separate from the index's own records)."""

from __future__ import annotations

from datetime import date

import re

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_QUERY_CHARS = 1000
MAX_K = 100
MAX_OFFSET = 1000
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


class SearchBody(BaseModel):
    """POST /api/search: the same fields as the GET query string."""

    model_config = ConfigDict(extra="forbid")

    q: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    lang: list[str] = Field(default_factory=list, max_length=10)
    doc: list[str] = Field(default_factory=list, max_length=100)
    type: list[str] = Field(default_factory=list, max_length=10)
    issuer: list[str] = Field(default_factory=list, max_length=50)
    topic: list[str] = Field(default_factory=list, max_length=20)
    date_from: date | None = None
    date_to: date | None = None
    k: int = Field(10, ge=1, le=MAX_K)
    offset: int = Field(0, ge=0, le=MAX_OFFSET)

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


class Span(BaseModel):
    start: int
    end: int


class Scores(BaseModel):
    dense: float | None
    lexical: float | None
    fused: float


class PassageRef(BaseModel):
    passage_id: int
    doc_id: str
    title: str
    language: str | None = None
    text: str | None = None


class Hit(BaseModel):
    passage_id: int
    doc_id: str
    title: str
    heading_path: list[str]
    language: str
    doc_type: str | None
    issuer: str
    published: str | None
    topics: list[str]
    text: str
    start: int
    end: int
    clause: Span
    highlights: list[list[int]]
    prev_id: int | None
    next_id: int | None
    parallels: list[PassageRef]
    also_in: list[PassageRef]
    scores: Scores


class SearchResponse(BaseModel):
    query: str
    total: int
    offset: int
    k: int
    took_ms: float
    generation: str
    hits: list[Hit]
    facets: dict[str, dict[str, int]]


class DocumentSummary(BaseModel):
    id: str
    title: str
    language: str | None
    doc_type: str | None
    issuer: str | None
    published: str | None
    effective: str | None
    source: str | None
    passages: int


class DocumentList(BaseModel):
    count: int
    generation: str
    documents: list[DocumentSummary]


class PassageSummary(BaseModel):
    id: int
    ordinal: int
    start: int
    end: int
    language: str
    heading_path: list[str]
    topics: list[str]


class DocumentDetail(BaseModel):
    id: str
    title: str
    language: str | None
    doc_type: str | None
    issuer: str | None
    published: str | None
    effective: str | None
    source: str | None
    generation: str
    text: str
    passages: list[PassageSummary]


class PassageDetail(BaseModel):
    id: int
    doc_id: str
    title: str
    ordinal: int
    text: str
    start: int
    end: int
    language: str
    heading_path: list[str]
    topics: list[str]
    prev_id: int | None
    next_id: int | None
    parallels: list[PassageRef]
    generation: str


class Health(BaseModel):
    status: str
    generation: str | None
    model: str | None
    documents: int | None = None
    passages: int | None = None
    detail: str | None = None


class Stats(BaseModel):
    generation: str
    built_at: str
    model: dict
    counts: dict
    vectors: dict
    splitter: dict


class ReindexBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mode: str = Field(default="update", pattern="^(build|update)$")


class Job(BaseModel):
    id: str
    mode: str
    state: str  # queued | running | done | failed
    stage: str | None = None
    done: int = 0
    total: int = 0
    generation: str | None = None
    error: str | None = None
    started_at: float
    finished_at: float | None = None
