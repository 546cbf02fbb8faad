"""Who is asking: the client address that rate limits, lockouts and fairness key on, and
the per-client cap on searches in flight."""

from __future__ import annotations

import threading
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

from fastapi import Request

Networks = tuple[IPv4Network | IPv6Network, ...]


def parse_networks(entries: list[str]) -> Networks:
    return tuple(ip_network(e.strip(), strict=False) for e in entries if e.strip())


def _trusted(host: str, trusted: Networks) -> bool:
    try:
        addr = ip_address(host.strip())
    except ValueError:
        return False
    return any(addr in net for net in trusted)


def client_address(peer: str, forwarded: list[str], trusted: Networks) -> str:
    """The socket peer, unless it is a trusted proxy: then the right-most X-Forwarded-For
    hop that is not one of our proxies (hops to its left were written by the client and
    prove nothing). With no trusted proxies X-Forwarded-For is ignored entirely."""
    if not trusted or not _trusted(peer, trusted):
        return peer
    hops = [h.strip() for value in forwarded for h in value.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return hop[:64]
    return hops[0][:64] if hops else peer


def client_id(request: Request) -> str:
    """The key for this request's limits (see client_address)."""
    peer = request.scope.get("client")
    host = peer[0] if peer else "unknown"
    ctx = getattr(request.app.state, "ctx", None)
    trusted: Networks = ctx.trusted_proxies if ctx is not None else ()
    return client_address(host, request.headers.getlist("x-forwarded-for"), trusted)


class InFlight:
    """At most `limit` searches per client running at once (fair share of the shared query
    embedder: one client's expensive queries cannot fill its queue). A slot is held until
    the search's thread has really finished, not merely until its request timed out."""

    def __init__(self, limit: int):
        self.limit = limit
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def acquire(self, client: str) -> bool:
        with self._lock:
            n = self._counts.get(client, 0)
            if n >= self.limit:
                return False
            self._counts[client] = n + 1
            return True

    def release(self, client: str) -> None:
        with self._lock:
            n = self._counts.get(client, 0) - 1
            if n > 0:
                self._counts[client] = n
            else:
                self._counts.pop(client, None)

    def running(self, client: str) -> int:
        with self._lock:
            return self._counts.get(client, 0)
