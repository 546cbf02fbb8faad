"""Request and response models of the HTTP API (separate from the index's own records)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# The search request is index.query.request.SearchRequest (one model from HTTP to storage).


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


class TranslationMatch(BaseModel):
    """A translated query term found in the hit: which phrase it translates, and how."""

    term: str
    source: str
    language: str
    origin: str  # termbank | cedict
    weight: float


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
    more_from_document: int = 0  # passages of this document in the results but not listed
    translations: list[TranslationMatch] = []
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
    worker: int | None = None  # the server process that answered (serve --workers N)


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
