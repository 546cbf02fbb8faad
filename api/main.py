"""The FastAPI app: opens the index once in the lifespan and serves the API and the page."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse
from fastapi.staticfiles import StaticFiles

from ingest.version import __version__
from api.deps import AppContext
from api.jobs import JobRunner
from api.limits import BodyLimit
from api.routes import admin, documents, health, search
from api.settings import Settings
from api.state import IndexState
from index.query import lexical
from ingest.errors import PolicyKBError
from index.errors import BuildLocked, IndexCorrupt, IndexNotFound, QueryError
from index.model.protocol import Embedder

log = logging.getLogger("policykb.api")

# The page loads only our own script and styles; text is never HTML (see web/app.js).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
ERROR_STATUS = {IndexNotFound: 503, IndexCorrupt: 503, QueryError: 422, BuildLocked: 409}


def load_default_embedder(settings: Settings) -> Embedder:
    from index.model import embed

    return embed.Embedder(settings.model)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """Build the app; the embedder and the index are opened in the lifespan, once."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        emb = embedder or load_default_embedder(settings)
        state = IndexState(settings.index_dir, emb)
        jobs = JobRunner(settings.corpus_dir, settings.index_dir, emb, on_done=state.reload)
        app.state.ctx = AppContext(settings, state, emb, jobs)
        lexical.warm_up()
        emb.encode_queries(["warm up"])
        if not state.reload() and state.error:
            log.warning("starting without an index: %s", state.error)
        yield
        state.close()

    app = FastAPI(title="policykb", version=__version__, lifespan=lifespan,
                  description="Hybrid multilingual search over social-security policy texts.")
    for router in (search.router, documents.router, health.router, admin.router):
        app.include_router(router)
    add_error_handlers(app)
    add_page(app, settings)
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                       allow_credentials=settings.cors_allow_credentials,
                       allow_methods=["GET", "POST"], allow_headers=["X-API-Key", "Content-Type"])
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       max_depth=settings.max_json_depth)
    return app


def add_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(PolicyKBError)
    async def policykb_error(request: Request, exc: PolicyKBError) -> JSONResponse:
        status = next((s for t, s in ERROR_STATUS.items() if isinstance(exc, t)), 500)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse({"detail": "internal error"}, status_code=500)


def add_page(app: FastAPI, settings: Settings) -> None:
    web = settings.web_dir
    if web.is_dir():
        app.mount("/static", StaticFiles(directory=web), name="static")

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(web / "index.html", headers=SECURITY_HEADERS)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Any:
        response = await call_next(request)
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        return response
