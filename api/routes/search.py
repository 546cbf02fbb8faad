"""GET and POST /api/search."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.deps import AppContext, context, search_allowed
from api.schemas import MAX_K, MAX_OFFSET, MAX_QUERY_CHARS, SearchBody, SearchResponse
from index.present import present_hits
from index.search import SearchRequest

router = APIRouter(tags=["search"])


def run_search(ctx: AppContext, body: SearchBody) -> dict:
    req = SearchRequest(
        query=body.q, languages=body.lang, docs=body.doc, doc_types=body.type,
        issuers=body.issuer, topics=body.topic,
        date_from=body.date_from.isoformat() if body.date_from else None,
        date_to=body.date_to.isoformat() if body.date_to else None,
        k=body.k, offset=body.offset,
    )
    with ctx.state.use() as served:
        result = served.searcher.search(req)
        hits = present_hits(served.searcher, result)
    return {"query": body.q, "total": result.total, "offset": body.offset, "k": body.k,
            "took_ms": round(result.took_ms, 2), "generation": result.generation,
            "hits": hits, "facets": result.facets}


async def search_with_timeout(ctx: AppContext, body: SearchBody) -> dict:
    try:
        return await asyncio.wait_for(run_in_threadpool(run_search, ctx, body),
                                      ctx.settings.request_timeout_s)
    except asyncio.TimeoutError:
        raise HTTPException(503, detail="search took too long; try a shorter query",
                            headers={"Retry-After": "1"}) from None


@router.get("/api/search", response_model=SearchResponse,
            dependencies=[Depends(search_allowed)])
async def search_get(
    request: Request,
    q: Annotated[str, Query(min_length=1, max_length=MAX_QUERY_CHARS)],
    lang: Annotated[list[str], Query(max_length=10)] = [],
    doc: Annotated[list[str], Query(max_length=100)] = [],
    type: Annotated[list[str], Query(max_length=10)] = [],
    issuer: Annotated[list[str], Query(max_length=50)] = [],
    topic: Annotated[list[str], Query(max_length=20)] = [],
    date_from: date | None = None,
    date_to: date | None = None,
    k: Annotated[int, Query(ge=1, le=MAX_K)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> dict:
    """Hybrid search with filters; hits carry clause and highlight offsets and explain scores."""
    try:
        body = SearchBody(q=q, lang=lang, doc=doc, type=type, issuer=issuer, topic=topic,
                          date_from=date_from, date_to=date_to, k=k, offset=offset)
    except ValidationError as exc:  # same 422 as a bad query parameter
        raise RequestValidationError(exc.errors(include_url=False, include_context=False)) from None
    return await search_with_timeout(context(request), body)


@router.post("/api/search", response_model=SearchResponse,
             dependencies=[Depends(search_allowed)])
async def search_post(request: Request, body: SearchBody) -> dict:
    """The same search with a JSON body."""
    return await search_with_timeout(context(request), body)
