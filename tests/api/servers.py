"""A real uvicorn server with the serving configuration of `policykb serve`
(api/server.py), for tests that need particular settings, and HTTP clients that connect
from a chosen loopback address (so each test is its own client for the limits)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.fixtures_index import free_port


@contextmanager
def running(settings, embedder) -> Iterator[str]:
    """Base URL of the app on `settings`, served as `policykb serve` serves it."""
    import uvicorn

    from api.main import create_app
    from api.server import server_config

    port = free_port()
    server = uvicorn.Server(server_config(create_app(settings, embedder), settings,
                                          "127.0.0.1", port))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert time.monotonic() < deadline, "test server did not start"
        assert thread.is_alive(), "test server stopped during start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def client_from(base: str, source: str, **kw) -> httpx.Client:
    """An HTTP client whose connections come from `source` (any 127.x.y.z on Linux)."""
    return httpx.Client(base_url=base, timeout=30,
                        transport=httpx.HTTPTransport(local_address=source), **kw)
