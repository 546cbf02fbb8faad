"""GET and POST /api/search: one request model (index.query.request.SearchRequest) for both."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from starlette.concurrency import run_in_threadpool

from api.deps import AppContext, context, search_allowed
from api.schemas import SearchResponse
from index.query.request import SearchRequest

router = APIRouter(tags=["search"])


def run_search(ctx: AppContext, req: SearchRequest) -> dict[str, Any]:
    with ctx.state.use() as served:
        return served.searcher.search(req).as_dict()


async def search_with_timeout(ctx: AppContext, req: SearchRequest) -> dict[str, Any]:
    try:
        return await asyncio.wait_for(run_in_threadpool(run_search, ctx, req),
                                      ctx.settings.request_timeout_s)
    except asyncio.TimeoutError:
        raise HTTPException(503, detail="search took too long; try a shorter query",
                            headers={"Retry-After": "1"}) from None


@router.get("/api/search", response_model=SearchResponse,
            dependencies=[Depends(search_allowed)])
async def search_get(request: Request, req: Annotated[SearchRequest, Query()]) -> dict:
    """Hybrid search with filters; hits carry clause and highlight offsets and explain scores."""
    return await search_with_timeout(context(request), req)


@router.post("/api/search", response_model=SearchResponse,
             dependencies=[Depends(search_allowed)])
async def search_post(request: Request, req: SearchRequest) -> dict:
    """The same search with a JSON body."""
    return await search_with_timeout(context(request), req)
