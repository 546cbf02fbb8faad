"""The FastAPI app: opens the index once in the lifespan and serves the API and the page."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from ingest.version import __version__
from api.deps import AppContext
from api.docs import router as docs_router
from api.errors import add_error_handlers
from api.jobs import JobRunner
from api.limits import BodyLimit
from api.middleware import SECURITY_HEADERS, AccessLog, CatchErrors, SecurityHeaders
from api.query_cap import CappedQueries
from api.routes import admin, documents, health, search
from api.settings import Settings
from api.state import IndexState
from index.query.warm import start_warming
from index.model.protocol import Embedder

log = logging.getLogger("policykb.api")
WARM_AFTER_S = 0.3  # after the lifespan: uvicorn binds and listens meanwhile

__all__ = ["SECURITY_HEADERS", "create_app"]


def load_default_embedder(settings: Settings) -> Embedder:
    from index.model import embed

    return embed.Embedder(settings.model)


def create_app(settings: Settings | None = None, embedder: Embedder | None = None) -> FastAPI:
    """Build the app; the embedder and the index are opened in the lifespan, once."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        emb = embedder or load_default_embedder(settings)
        # Searches see queries cut to the token budget; builds see the embedder itself.
        state = IndexState(settings.index_dir, CappedQueries(emb, settings.query_embed_tokens),
                           settings.backend_config())
        jobs = JobRunner(settings.corpus_dir, settings.index_dir, emb, on_done=state.reload)
        app.state.ctx = ctx = AppContext(settings, state, emb, jobs)
        if not state.reload() and state.error:
            log.warning("starting without an index: %s", state.error)
        # The dictionaries and the query model load in the background: the server answers
        # at once, /api/health says "warming" meanwhile, and a first search waits for
        # what it needs (api/routes/health.py). They start once the server listens: their
        # loads hold the GIL for seconds (marshal, pickle) and delayed the first answer.
        app.state.warmers, app.state.warm_started = [], False

        def warm() -> None:
            app.state.warmers = start_warming(emb, full_dictionary=True)
            app.state.warm_started = True

        asyncio.get_running_loop().call_later(WARM_AFTER_S, warm)
        yield
        ctx.search_pool.shutdown(wait=False, cancel_futures=True)
        state.close()

    app = FastAPI(title="policykb", version=__version__, lifespan=lifespan,
                  openapi_url=None, docs_url=None, redoc_url=None,  # api/docs.py serves them
                  description="Hybrid multilingual search over social-security policy texts.")
    for router in (search.router, documents.router, health.router, admin.router, docs_router):
        app.include_router(router)
    add_error_handlers(app)
    add_page(app, settings)
    add_middleware(app, settings)
    return app


def add_middleware(app: FastAPI, settings: Settings) -> None:
    """Innermost first (each add wraps the previous): errors and body limits are answered
    inside CORS and the security headers, so error responses carry them too."""
    app.add_middleware(CatchErrors)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes,
                       max_depth=settings.max_json_depth, timeout_s=settings.header_timeout_s)
    app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins,
                       allow_credentials=settings.cors_allow_credentials,
                       allow_methods=["GET", "POST"], allow_headers=["X-API-Key", "Content-Type"])
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)


def add_page(app: FastAPI, settings: Settings) -> None:
    web = settings.web_dir
    if web.is_dir():
        app.mount("/static", StaticFiles(directory=web), name="static")

    @app.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(web / "index.html", headers=SECURITY_HEADERS)
