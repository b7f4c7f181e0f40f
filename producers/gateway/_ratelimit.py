"""Per-agency rate limits: a token bucket per agency, one token per event.

The bucket refills at ``rate`` tokens a second up to ``burst``; a request of n events
takes n tokens or none. When it cannot, the caller learns how long to wait
(``Retry-After``). Buckets live in the gateway's memory: with N gateway instances an
agency may reach N times the rate. That is the documented limit; a shared limit would
need a shared store on the request path, which one gateway does not justify.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """Token buckets keyed by agency; thread-safe."""

    def __init__(
        self,
        rate: float,
        burst: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst <= 0:
            raise ValueError("rate and burst must be positive")
        self.rate = rate
        self.burst = burst
        self._clock = clock
        self._buckets: dict[str, _Bucket] = {}
        self._mutex = threading.Lock()

    def take(self, agency: str, events: int = 1) -> float:
        """Take ``events`` tokens: 0.0 when allowed, else the seconds until they would be."""
        now = self._clock()
        with self._mutex:
            bucket = self._buckets.get(agency)
            if bucket is None:
                bucket = self._buckets[agency] = _Bucket(self.burst, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if events <= bucket.tokens:
                bucket.tokens -= events
                return 0.0
            # A request larger than the burst can never pass; say how long a full
            # bucket takes so the client is not told to retry at once.
            missing = min(events, self.burst) - bucket.tokens
            return max(missing / self.rate, 0.001)
