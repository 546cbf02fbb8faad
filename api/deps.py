"""Shared request dependencies: the app context, key checks and the search rate limit."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from fastapi import Request

from api.clients import InFlight, Networks, client_id, parse_networks
from api.jobs import JobRunner
from api.security import TokenBucket, check_key, refuse_keys_in_url, too_many
from api.settings import Settings
from api.state import IndexState
from index.model.protocol import Embedder


@dataclass
class AppContext:
    settings: Settings
    state: IndexState
    embedder: Embedder
    jobs: JobRunner
    search_limit: TokenBucket = field(init=False)
    auth_failures: TokenBucket = field(init=False)
    trusted_proxies: Networks = field(init=False)
    in_flight: InFlight = field(init=False)
    # Searches run here, not in the event loop's shared pool: a slot is freed only when
    # the search itself ends (see api/routes/search.py).
    search_pool: ThreadPoolExecutor = field(init=False)

    def __post_init__(self) -> None:
        s = self.settings
        self.search_limit = TokenBucket(s.search_rate_per_minute, s.search_burst)
        self.auth_failures = TokenBucket(s.auth_failures_per_minute, s.auth_failures_per_minute)
        self.trusted_proxies = parse_networks(s.trusted_proxies)
        self.in_flight = InFlight(s.searches_in_flight_per_client)
        self.search_pool = ThreadPoolExecutor(32, thread_name_prefix="search")


def context(request: Request) -> AppContext:
    return request.app.state.ctx


def key_allowed(request: Request) -> None:
    """The search key when one is set (searches, documents, stats, the API description)."""
    ctx = context(request)
    refuse_keys_in_url(request)
    if ctx.settings.search_key is not None:
        check_key(request, "X-API-Key", ctx.settings.search_key, ctx.auth_failures,
                  required=True)


def search_allowed(request: Request) -> None:
    """Optional search key, then the per-client search rate limit (429 + Retry-After)."""
    key_allowed(request)
    ctx = context(request)
    wait = ctx.search_limit.take(client_id(request))
    if wait:
        raise too_many(wait, "searches")
    ctx.state.maybe_reload(ctx.settings.reload_poll_s)


def admin_allowed(request: Request) -> None:
    """The admin key is required for every write; a search key is not enough."""
    ctx = context(request)
    check_key(request, "X-Admin-Key", ctx.settings.admin_key, ctx.auth_failures, required=True)
