"""The audit topic: an append-only, long-kept topic the axis' services write.

Writing happens on a background thread so that no request waits for Kafka: events
queue (bounded) and a daemon thread encodes them (Confluent wire format, schema id
from the registry, registered once) and produces them, keyed by actor. If Kafka or the
registry is away, events wait in the queue; past its bound the oldest are dropped,
logged and counted, never silently.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from kafka import KafkaProducer

from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    ensure_topics,
    kafka_python_producer,
)
from lienthong.connectors.topics import DEFAULT_LAYOUT, TopicLayout, topic_layout
from lienthong.schemas.catalogue import axis_catalogue
from lienthong.schemas.codec import AvroSerializer, SerializationContext
from lienthong.schemas.models import AuditEvent
from lienthong.schemas.registry_client import SchemaRegistry

log = logging.getLogger(__name__)

# Evidence for a security team: kept for a year and a half, never compacted.
AUDIT_RETENTION = {"retention.ms": str(548 * 86_400_000), "cleanup.policy": "delete"}
_STOP = object()


def audit_spec(layout: TopicLayout = DEFAULT_LAYOUT) -> TopicSpec:
    """The audit topic's spec: one partition keeps the feed in one order."""
    return layout.spec(layout.audit, AUDIT_RETENTION, partitions=1)


def audit_schema() -> str:
    """The audit event's self-contained schema text (register it under ``<topic>-value``)."""
    return axis_catalogue()[AuditEvent.EVENT_TYPE].schema_str


class KafkaAuditSink:
    """Produces audit events to the audit topic from a background thread."""

    def __init__(
        self,
        kafka: KafkaSettings,
        registry: Callable[[], SchemaRegistry],
        *,
        layout: TopicLayout | None = None,
        capacity: int = 10_000,
        on_drop: Callable[[int], None] = lambda _: None,
    ) -> None:
        self._kafka = kafka
        self._registry = registry
        layout = layout or topic_layout(kafka)
        self.topic = layout.audit
        self._layout = layout
        self._queue: queue.Queue[Any] = queue.Queue()
        self._capacity = capacity
        self._on_drop = on_drop
        self.delivered = 0
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="audit-sink", daemon=True)
        self._thread.start()

    def write(self, event: AuditEvent) -> None:
        if self._queue.qsize() >= self._capacity:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                pass
            else:
                log.error("audit queue full: dropped the oldest audit event")
                self._on_drop(1)
        self._queue.put(event)

    def close(self, timeout_s: float = 10.0) -> None:
        """Deliver what is queued (up to ``timeout_s``), then stop."""
        self._stopping.set()
        self._queue.put(_STOP)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        producer: KafkaProducer | None = None
        serializer: AvroSerializer | None = None
        registry: SchemaRegistry | None = None
        pending: AuditEvent | None = None
        while True:
            item = pending if pending is not None else self._queue.get()
            if item is _STOP:
                break
            try:
                if registry is None:
                    registry = self._registry()
                if producer is None or serializer is None:
                    producer, serializer = self._connect(registry)
                ctx = SerializationContext(self.topic)
                value = serializer(item.to_avro(), ctx)
                producer.send(self.topic, key=item.actor.encode(), value=value)
                pending = None
                self.delivered += 1
            except Exception as exc:  # noqa: BLE001  # Kafka or registry away: retry later
                if self._stopping.is_set():
                    log.error("audit event lost at shutdown: %s", exc)  # noqa: TRY400
                    self._on_drop(1)
                    pending = None
                    continue
                log.warning("audit event not yet delivered (%s); retrying", exc)
                pending = item
                self._stopping.wait(2.0)
        if producer is not None:
            producer.flush(timeout=5)
            producer.close(timeout=5)
        close = getattr(registry, "close", None)
        if close is not None:
            close()

    def _connect(self, registry: SchemaRegistry) -> tuple[KafkaProducer, AvroSerializer]:
        ensure_topics(self._kafka, [audit_spec(self._layout)])
        serializer = AvroSerializer(registry, audit_schema())
        producer = KafkaProducer(**kafka_python_producer(self._kafka, linger_ms=50))
        return producer, serializer
