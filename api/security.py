"""API keys (headers only) and per-client rate limits."""

from __future__ import annotations

import hmac
import math
import re
import threading
import time

from fastapi import HTTPException, Request

from api.clients import client_id

# Parameter names compared lower-cased with every separator removed: "X-API-Key",
# "api_key", "Api-Key" and "APIKEY" are all "apikey".
KEY_PARAMS = {"key", "apikey", "xapikey", "adminkey", "xadminkey", "searchkey", "token",
              "accesstoken", "authorization", "auth"}
SEPARATORS = re.compile(r"[\W_]+")


class TokenBucket:
    """Per-client token buckets: `rate` tokens per minute, up to `burst` at once."""

    def __init__(self, per_minute: int, burst: int):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float:
        """0 if allowed, else the seconds to wait before the next token."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens >= 1:
                self._buckets[client] = (tokens - 1, now)
                if len(self._buckets) > 100_000:  # bound memory under a flood of addresses
                    self._buckets.clear()
                return 0.0
            self._buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate if self.rate > 0 else 60.0

    def empty_for(self, client: str) -> float:
        """Like take() but takes nothing: 0 if a token is there, else the wait."""
        now = time.monotonic()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.rate)
        if tokens >= 1:
            return 0.0
        return (1 - tokens) / self.rate if self.rate > 0 else 60.0


def too_many(wait_s: float, what: str) -> HTTPException:
    return HTTPException(429, detail=f"too many {what}: retry in {math.ceil(wait_s)} s",
                         headers={"Retry-After": str(max(1, math.ceil(wait_s)))})


def refuse_keys_in_url(request: Request) -> None:
    """Keys in a URL end up in logs and browser history: refuse them outright."""
    if KEY_PARAMS & {SEPARATORS.sub("", k.lower()) for k in request.query_params.keys()}:
        raise HTTPException(400, detail="API keys must be sent in the X-API-Key or "
                            "X-Admin-Key header, never in the URL")


def same(a: str | None, b: str | None) -> bool:
    return a is not None and b is not None and hmac.compare_digest(a.encode(), b.encode())


def check_key(request: Request, header: str, expected: str | None, failures: TokenBucket,
              *, required: bool) -> None:
    """401 when the key is missing, 403 when wrong; repeated failures from a client: 429.

    A locked-out client gets 429 before its key is even looked at, right key or not:
    answering a right key during the lockout would turn the lockout into an oracle.
    """
    refuse_keys_in_url(request)
    if expected is None:
        if required:
            raise HTTPException(403, detail="admin key not configured on the server "
                                "(set POLICYKB_ADMIN_KEY)")
        return
    client = client_id(request)
    wait = failures.empty_for(client)
    if wait:
        raise too_many(wait, "failed authentication attempts")
    given = request.headers.get(header)
    if same(given, expected):
        return
    failures.take(client)
    if not given:
        raise HTTPException(401, detail=f"missing {header} header",
                            headers={"WWW-Authenticate": "ApiKey"})
    raise HTTPException(403, detail=f"wrong {header}")
