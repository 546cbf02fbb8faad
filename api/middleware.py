"""Pure ASGI middleware around the whole app: security headers on every response, a JSON
500 for anything unexpected, and a compact access log.

Order matters (api/main.py adds them): security headers outermost, then CORS, then the
body limits, then the catch-all, so that a 413 from the body limit or a 500 carries the
same headers as a 200.
"""

from __future__ import annotations

import json
import logging
import os
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("policykb.api")
access = logging.getLogger("policykb.access")

# The page loads only our own script and styles; text is never HTML (see web/app.js).
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
_RAW_HEADERS = [(k.lower().encode(), v.encode()) for k, v in SECURITY_HEADERS.items()]


class SecurityHeaders:
    """Adds SECURITY_HEADERS to every HTTP response that does not set them itself, and
    `X-Worker`: the id of the server process that answered (`serve --workers N`)."""

    def __init__(self, app: ASGIApp):
        self.app = app
        self.headers = [*_RAW_HEADERS, (b"x-worker", str(os.getpid()).encode())]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = dict(message, headers=list(message.get("headers", [])) + extra)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class CatchErrors:
    """Any exception no handler took becomes a logged JSON 500 inside the other middleware
    (Starlette's own catch-all sits outside all of it, so its 500 lacked our headers)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unexpected error on %s %s", scope["method"], scope["path"])
            if started:
                raise
            body = json.dumps({"detail": "internal error"}).encode()
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/json"),
                                    (b"content-length", str(len(body)).encode())]})
            await send({"type": "http.response.body", "body": body})


class AccessLog:
    """One line per request on the `policykb.access` logger: method, path, status, ms.
    The query string is left out (queries are the users' words)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not access.isEnabledFor(logging.INFO):
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 0

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            path = scope["path"].encode("utf-8", "backslashreplace").decode()[:200]
            access.info("%s %s %s %.1f ms", scope["method"], path, status or "-",
                        (time.perf_counter() - started) * 1e3)
