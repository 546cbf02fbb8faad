"""GET and POST /api/search: one request model (index.query.request.SearchRequest) for both."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from api.clients import client_id
from api.deps import AppContext, context, search_allowed
from api.security import too_many
from api.schemas import SearchResponse
from index.query.request import SearchRequest

router = APIRouter(tags=["search"])


def run_search(ctx: AppContext, req: SearchRequest) -> dict[str, Any]:
    with ctx.state.use() as served:
        return served.searcher.search(req).as_dict()


async def wait_for_slot(ctx: AppContext, client: str) -> None:
    """A slot among the client's searches in flight, waiting up to `search_queue_wait_s`
    (a page firing a few searches at once is served), else 429."""
    deadline = time.monotonic() + ctx.settings.search_queue_wait_s
    while not ctx.in_flight.acquire(client):
        if time.monotonic() >= deadline:
            raise too_many(1, "searches at once from this client")
        await asyncio.sleep(0.02)


def run_unless_late(ctx: AppContext, req: SearchRequest, deadline: float) -> dict | None:
    """The search, or None when its request has already timed out: a search that waited
    for a thread past its deadline is dropped rather than done for nobody."""
    if time.monotonic() >= deadline:
        return None
    return run_search(ctx, req)


async def search_with_timeout(request: Request, req: SearchRequest) -> dict:
    """Run the search in the search pool, at most `searches_in_flight_per_client` per client.

    The client's slot is released when the search thread ends, not when the request times
    out, so abandoned work still counts against the client that caused it.
    """
    ctx, client = context(request), client_id(request)
    await wait_for_slot(ctx, client)
    timeout = ctx.settings.request_timeout_s
    work = asyncio.get_running_loop().run_in_executor(
        ctx.search_pool, run_unless_late, ctx, req, time.monotonic() + timeout)

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
async def search_get(request: Request, req: Annotated[SearchRequest, Query()]) -> dict:
    """Hybrid search with filters; hits carry clause and highlight offsets and explain scores."""
    return await search_with_timeout(request, req)


@router.post("/api/search", response_model=SearchResponse,
             dependencies=[Depends(search_allowed)])
async def search_post(request: Request, req: SearchRequest) -> dict:
    """The same search with a JSON body."""
    return await search_with_timeout(request, req)
