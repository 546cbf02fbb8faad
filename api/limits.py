"""ASGI middleware that rejects oversized or absurdly nested bodies before they are parsed."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


def json_depth_exceeds(body: bytes, limit: int) -> bool:
    """True if brackets nest deeper than `limit` (strings skipped), without parsing."""
    depth, in_string, escaped = 0, False, False
    for byte in body:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


def has_non_finite(body: bytes) -> bool:
    """True if `body` holds NaN, Infinity (Python's json accepts them) or a number too
    large for a float (1e400 would become infinity)."""

    def refuse(name: str) -> None:
        raise _NonFinite(name)

    def finite(text: str) -> float:
        value = float(text)
        if not math.isfinite(value):
            raise _NonFinite(text)
        return value

    try:
        json.loads(body, parse_constant=refuse, parse_float=finite)
    except _NonFinite:
        return True
    except (ValueError, RecursionError):  # not JSON at all: FastAPI's own 422 says so
        return False
    return False


class _NonFinite(Exception):
    pass


class BodyLimit:
    """413 for bodies over `max_bytes` (declared or streamed), 422 for deep JSON nesting
    or NaN/Infinity (which Python's json accepts and JSON does not), 408 for a body not
    complete within `timeout_s` (a trickled body would hold its connection for days)."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int, timeout_s: float = 15.0):
        self.app, self.max_bytes, self.max_depth = app, max_bytes, max_depth
        self.timeout_s = timeout_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await reject(send, 413, f"request body over {self.max_bytes} bytes")
            return
        try:
            body = await asyncio.wait_for(self.read(receive), self.timeout_s)
        except asyncio.TimeoutError:
            await reject(send, 408, f"request body not received within {self.timeout_s:g} s")
            return
        if body is None:  # the client left
            return
        if len(body) > self.max_bytes:
            await reject(send, 413, f"request body over {self.max_bytes} bytes")
            return
        # Every body, whatever its content type says: FastAPI parses JSON from
        # "application/JSON" and from bodies with no content type as well.
        if json_depth_exceeds(body, self.max_depth):
            await reject(send, 422, f"JSON nested deeper than {self.max_depth} levels")
            return
        content_type = headers.get(b"content-type", b"").lower()
        if (not content_type or b"json" in content_type) and has_non_finite(body):
            await reject(send, 422, "NaN and Infinity are not JSON numbers")
            return
        await self.app(scope, replay(body, receive), send)

    async def read(self, receive: Receive) -> bytes | None:
        """The body, read up to max_bytes + 1 (never the whole flood); None on disconnect."""
        body = b""
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return None
            body += message.get("body", b"")
            if len(body) > self.max_bytes or not message.get("more_body"):
                return body


def replay(body: bytes, original: Receive) -> Receive:
    """Hand the buffered body to the app once, then pass through (for disconnects)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return await original()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def reject(send: Send, status: int, detail: str) -> None:
    payload: Any = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(payload)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": payload})
