"""GET and POST /api/search."""

from __future__ import annotations

import asyncio
import time
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from api.clients import client_id
from api.deps import AppContext, context, search_allowed
from api.security import too_many
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


async def wait_for_slot(ctx: AppContext, client: str) -> None:
    """A slot among the client's searches in flight, waiting up to `search_queue_wait_s`
    (a page firing a few searches at once is served), else 429."""
    deadline = time.monotonic() + ctx.settings.search_queue_wait_s
    while not ctx.in_flight.acquire(client):
        if time.monotonic() >= deadline:
            raise too_many(1, "searches at once from this client")
        await asyncio.sleep(0.02)


def run_unless_late(ctx: AppContext, body: SearchBody, deadline: float) -> dict | None:
    """The search, or None when its request has already timed out: a search that waited
    for a thread past its deadline is dropped rather than done for nobody."""
    if time.monotonic() >= deadline:
        return None
    return run_search(ctx, body)


async def search_with_timeout(request: Request, body: SearchBody) -> dict:
    """Run the search in the search pool, at most `searches_in_flight_per_client` per client.

    The client's slot is released when the search thread ends, not when the request times
    out, so abandoned work still counts against the client that caused it.
    """
    ctx, client = context(request), client_id(request)
    await wait_for_slot(ctx, client)
    timeout = ctx.settings.request_timeout_s
    work = asyncio.get_running_loop().run_in_executor(
        ctx.search_pool, run_unless_late, ctx, body, time.monotonic() + timeout)

    def finished(f: asyncio.Future) -> None:
        ctx.in_flight.release(client)
        if not f.cancelled():
            f.exception()  # retrieved here too, so a timed-out failure is not logged twice

    work.add_done_callback(finished)
    try:
        result = await asyncio.wait_for(asyncio.shield(work), timeout)
    except asyncio.TimeoutError:
        result = None
    if result is None:
        raise HTTPException(503, detail="search took too long; try a shorter query",
                            headers={"Retry-After": "1"})
    return result


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
    return await search_with_timeout(request, body)


@router.post("/api/search", response_model=SearchResponse,
             dependencies=[Depends(search_allowed)])
async def search_post(request: Request, body: SearchBody) -> dict:
    """The same search with a JSON body."""
    return await search_with_timeout(request, body)
