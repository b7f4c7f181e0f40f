"""The security feed as the axis' services write it: one call per refusal or admin act.

:class:`AuditTrail` builds the :class:`~lienthong.schemas.models.AuditEvent`, counts it
in Prometheus and hands it to a sink; it never blocks or fails the request that caused
it (a sink that cannot deliver logs and counts the loss).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas.models import AuditAction, AuditEvent, AuditOutcome

AXIS_AGENCY = "000.00.00.H30"
"""The envelope's source agency: the provincial People's Committee, which runs the axis."""

ANONYMOUS = "anonymous"

# Actions that refuse something; everything else is an administrative act.
REFUSALS = frozenset(
    {
        AuditAction.AUTH_FAILED,
        AuditAction.REQUEST_REFUSED,
        AuditAction.ACL_DENIED,
        AuditAction.NOT_OWNER,
    }
)


class AuditSink(Protocol):
    """Where audit events go (the audit topic, or memory in tests)."""

    def write(self, event: AuditEvent) -> None: ...

    def close(self) -> None: ...


class MemoryAuditSink:
    """Keeps the last events in memory: for tests and for a process without Kafka."""

    def __init__(self, size: int = 1000) -> None:
        self.events: deque[AuditEvent] = deque(maxlen=size)
        self._lock = threading.Lock()

    def write(self, event: AuditEvent) -> None:
        with self._lock:
            self.events.append(event)

    def close(self) -> None:
        return None


class AuditTrail:
    """One service's writer of the security feed."""

    def __init__(
        self,
        service: str,
        sink: AuditSink,
        metrics: AxisMetrics | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.service = service
        self.sink = sink
        self._metrics = metrics
        self._clock = clock

    def record(
        self,
        action: AuditAction,
        actor: str,
        detail: str,
        *,
        outcome: AuditOutcome | None = None,
        target: str | None = None,
        reason: str | None = None,
        client: str | None = None,
        metric_identity: str | None = None,
    ) -> AuditEvent:
        """Write one event; refusals are REFUSED and admin acts ALLOWED unless told.

        ``metric_identity`` labels the failure counter; leave it None for an identity
        that was not proven to exist (anyone can claim any name): it counts as
        "unknown", so label values stay bounded.
        """
        if outcome is None:
            outcome = AuditOutcome.REFUSED if action in REFUSALS else AuditOutcome.ALLOWED
        event = AuditEvent(
            envelope=AuditEvent.new_envelope(AXIS_AGENCY, occurred_at=self._clock()),
            action=action,
            outcome=outcome,
            actor=actor or ANONYMOUS,
            service=self.service,
            target=target,
            reason=reason,
            detail=detail,
            client=client,
        )
        self._count(event, metric_identity)
        self.sink.write(event)
        return event

    def _count(self, event: AuditEvent, metric_identity: str | None) -> None:
        if self._metrics is None:
            return
        self._metrics.security_events.labels(
            self.service, event.action.value, event.outcome.value
        ).inc()
        if event.action in (AuditAction.AUTH_FAILED, AuditAction.REQUEST_REFUSED):
            self._metrics.auth_failures.labels(self.service, metric_identity or "unknown").inc()

    def close(self) -> None:
        self.sink.close()
