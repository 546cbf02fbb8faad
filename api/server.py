"""How the app is served: the uvicorn configuration `policykb serve` (and the tests) use.

- No proxy headers: uvicorn would otherwise believe X-Forwarded-For from 127.0.0.1, and
  a client rotating it would escape its rate limit and lockout. The app reads it itself,
  only from POLICYKB_TRUSTED_PROXIES (api/clients.py).
- A request head must arrive within `header_timeout_s` of the connection opening (or of
  the previous response): uvicorn closes idle keep-alive connections, but a connection
  that sends part of its headers, or trickles them a byte at a time, stayed open forever.
- Several worker processes (`serve --workers N`, docs/SERVING.md): uvicorn binds the socket
  once and starts N spawned processes that each build the app with `worker_app()` from the
  POLICYKB_* environment, so the configuration below must be picklable (no classes made
  on the fly, the app as an import string).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol
from uvicorn.supervisors import Multiprocess

from api.main import create_app
from api.settings import Settings


class HeaderTimeoutH11(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request head is late."""

    header_timeout_s = 15.0
    _header_timer: asyncio.TimerHandle | None = None
    _waiting_after: object = None  # the cycle (request) before the head we wait for

    def __init__(self, config: uvicorn.Config, *args: Any, **kw: Any):
        super().__init__(config, *args, **kw)
        self.header_timeout_s = getattr(config, "header_timeout_s", self.header_timeout_s)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def on_response_complete(self) -> None:
        # Armed first: super() may go on to parse a pipelined request (cycle changes).
        self._arm_header_timer()  # the next request on this connection gets the same time
        super().on_response_complete()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._header_timer is not None and self.cycle is not self._waiting_after:
            self._header_timer.cancel()  # a new request's head was parsed
            self._header_timer = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
        self._waiting_after = self.cycle
        self._header_timer = self.loop.call_later(self.header_timeout_s, self._head_too_late)

    def _head_too_late(self) -> None:
        self._header_timer = None
        if self.cycle is self._waiting_after and not self.transport.is_closing():
            self.transport.close()


class ServeConfig(uvicorn.Config):
    """uvicorn's Config carrying the header timeout to HeaderTimeoutH11, in every worker."""

    def __init__(self, app: Any, header_timeout_s: float = 15.0, **kw: Any):
        super().__init__(app, **kw)
        self.header_timeout_s = header_timeout_s


def server_config(app: Any, settings: Settings, host: str, port: int, **kw: Any
                  ) -> uvicorn.Config:
    """uvicorn settings for serving `app` (see the module docstring for why)."""
    options: dict[str, Any] = dict(
        host=host, port=port, http=HeaderTimeoutH11, proxy_headers=False,
        timeout_keep_alive=settings.keep_alive_s, timeout_graceful_shutdown=10,
        h11_max_incomplete_event_size=16 * 1024, access_log=False, log_level="warning",
        log_config=None)
    options.update(kw)
    return ServeConfig(app, header_timeout_s=settings.header_timeout_s, **options)


def configure_logging() -> None:
    """Access lines and generation switches (policykb.access, policykb.api) on stderr."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("policykb").setLevel(logging.INFO)


def worker_app() -> FastAPI:
    """The app of one worker process: settings from POLICYKB_* (the CLI puts its options
    there before the workers start), logging as in a single-process `policykb serve`."""
    configure_logging()
    return create_app(Settings())


def run_workers(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve with `workers` processes on one socket until SIGINT/SIGTERM; uvicorn's
    supervisor restarts a worker that dies."""
    # A worker loading the model and the index on a busy machine can hold the GIL past
    # uvicorn's 5 s health check, which then kills it and starts another, forever.
    config = server_config("api.server:worker_app", settings, host, port, factory=True,
                           workers=workers, timeout_worker_healthcheck=60)
    Multiprocess(config, sockets=[config.bind_socket()]).run()
