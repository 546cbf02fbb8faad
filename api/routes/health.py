"""Health and statistics."""

from __future__ import annotations

import os

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from api.deps import context, key_allowed
from api.schemas import Health, Stats

router = APIRouter(tags=["health"])


@router.get("/api/health", response_model=Health, responses={503: {"model": Health}})
def health(request: Request) -> object:
    """200 with the generation, model and counts; 503 while no valid index is loaded.

    Status "warming" (still 200: searches are answered, the first ones slower) while the
    dictionaries and the query model load in the background after a start; then "ok"."""
    ctx = context(request)
    ctx.state.maybe_reload(ctx.settings.reload_poll_s)
    state = request.app.state
    warming = not getattr(state, "warm_started", True) or any(
        t.is_alive() for t in getattr(state, "warmers", ()))
    try:
        with ctx.state.use() as served:
            m = served.generation.manifest
            return {"status": "warming" if warming else "ok", "generation": served.generation.id,
                    "model": m["model"]["id"], "documents": m["counts"]["documents"],
                    "passages": m["counts"]["passages"], "worker": os.getpid()}
    except Exception as exc:  # IndexNotFound: report, don't fail
        body = {"status": "unavailable", "generation": None,
                "model": getattr(ctx.embedder, "model_id", None), "detail": str(exc), "worker": os.getpid()}
        return JSONResponse(body, status_code=503)


@router.get("/api/stats", response_model=Stats, dependencies=[Depends(key_allowed)])
def stats(request: Request) -> dict:
    """The served generation's manifest: model, counts per language, vector index, splitter."""
    with context(request).state.use() as served:
        m = served.generation.manifest
        return {k: m[k] for k in ("generation", "built_at", "model", "counts", "vectors",
                                  "splitter")}
