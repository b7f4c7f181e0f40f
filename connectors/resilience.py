"""The axis's one backoff, and the HTTP sinks' circuit breaker (pure: time is passed in).

Backoff (the HTTP sinks' retries, the subscriber SDK's handler retries): attempt *n*
(1-based) waits ``initial · multiplier^(n-1)``, capped at ``max``, with ±``jitter``
spread so that many sinks do not retry in step. A ``Retry-After`` the receiver sends is
honoured, within the same cap.

Circuit breaker: after ``threshold`` failures in a row the circuit *opens* and no call
is made for ``cooldown_s``; then one trial call is let through (*half-open*): success
closes the circuit, failure opens it again for another cooldown. While it is open the
sink waits — events are not failed for it (a receiver that is down for an hour must not
send an hour of events to the dead-letter topic); only attempts actually made count
toward an event's retries.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import Enum


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter."""

    initial_s: float = 0.5
    multiplier: float = 2.0
    max_s: float = 30.0
    jitter: float = 0.2

    def delay(self, attempt: int, rand: float | None = None) -> float:
        """Seconds to wait after failed attempt ``attempt`` (1-based).

        ``rand`` in [0, 1) fixes the jitter (for tests); by default it is random.
        """
        base = min(self.max_s, self.initial_s * self.multiplier ** max(0, attempt - 1))
        spread = (random.random() if rand is None else rand) * 2 - 1  # noqa: S311 - not crypto
        return max(0.0, min(self.max_s, base * (1 + self.jitter * spread)))

    def after(self, attempt: int, retry_after_s: float | None) -> float:
        """The wait after a failure, honouring the receiver's Retry-After (capped)."""
        if retry_after_s is not None and retry_after_s >= 0:
            return min(self.max_s, retry_after_s)
        return self.delay(attempt)


class CircuitState(Enum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Stops calling a receiver that keeps failing (see the module docstring)."""

    def __init__(self, threshold: int = 5, cooldown_s: float = 30.0) -> None:
        if threshold < 1:
            raise ValueError("threshold must be at least 1")
        self.threshold = threshold
        self.cooldown_s = cooldown_s
        self.state = CircuitState.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.opened_count = 0

    def allow(self, now: float) -> bool:
        """Whether a call may be made at ``now`` (moves open → half-open when due)."""
        if self.state is CircuitState.OPEN and now - self.opened_at >= self.cooldown_s:
            self.state = CircuitState.HALF_OPEN
        return self.state is not CircuitState.OPEN

    def wait_s(self, now: float) -> float:
        """Seconds until a call may be made (0 when it may be made now)."""
        if self.state is not CircuitState.OPEN:
            return 0.0
        return max(0.0, self.cooldown_s - (now - self.opened_at))

    def success(self) -> None:
        self.state = CircuitState.CLOSED
        self.failures = 0

    def failure(self, now: float) -> None:
        self.failures += 1
        if self.state is CircuitState.HALF_OPEN or self.failures >= self.threshold:
            self.state = CircuitState.OPEN
            self.opened_at = now
            self.opened_count += 1

    @property
    def is_open(self) -> bool:
        return self.state is CircuitState.OPEN


def retry_after(value: str | None) -> float | None:
    """A ``Retry-After`` header in seconds (the HTTP-date form is ignored)."""
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def is_retryable_status(status: int) -> bool:
    """Whether an HTTP status may succeed if retried (timeouts, throttling, 5xx)."""
    return status in (408, 425, 429) or status >= 500
