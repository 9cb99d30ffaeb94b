"""A per-client token bucket, shared by the HTTP APIs (ingest's POST /articles, the search API). Pure."""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from collections.abc import Callable


class RateLimiter:
    """A token bucket per client: ``rate_per_s`` sustained, ``burst`` at once. Remembers ``max_clients`` at most."""

    def __init__(
        self,
        rate_per_s: float,
        burst: int,
        *,
        max_clients: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate_per_s
        self._burst = float(burst)
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()  # client -> (tokens, at)

    def allow(self, client: str) -> tuple[bool, int]:
        """Whether the client may send now, and else in how many whole seconds (for Retry-After)."""
        now = self._clock()
        tokens, at = self._buckets.pop(client, (self._burst, now))
        tokens = min(self._burst, tokens + (now - at) * self._rate)
        allowed = tokens >= 1.0
        if allowed:
            tokens -= 1.0
        self._buckets[client] = (tokens, now)
        while len(self._buckets) > self._max_clients:
            self._buckets.popitem(last=False)
        return allowed, 0 if allowed else max(1, math.ceil((1.0 - tokens) / self._rate))
