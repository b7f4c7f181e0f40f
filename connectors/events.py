"""Catalogue events → Kafka records on the agency's ingress topic, for source connectors.

Rows become events in :mod:`lienthong.schemas.rows` (the reader and envelope policy
``lienthong publish`` shares). Records are framed Avro on the agency's ingress topic with
the SDK's headers, exactly as the agency SDK would write them; the worker's gate checks
them again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lienthong.connectors.topics import DEFAULT_LAYOUT, TopicLayout
from lienthong.schemas import headers as h
from lienthong.schemas.catalogue import EventType
from lienthong.schemas.codec import AvroSerializer, SerializationContext
from lienthong.schemas.models import EventModel
from lienthong.schemas.registry_client import SchemaRegistry


@dataclass(frozen=True)
class OutRecord:
    """A record to write to Kafka."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def _millis(record: dict[str, Any]) -> dict[str, Any]:
    # Epoch-ms ints instead of datetimes: fastavro then skips its own conversion (~25 µs).
    for name, value in record.items():
        if isinstance(value, datetime):
            record[name] = int(value.timestamp() * 1000)
        elif isinstance(value, dict):
            _millis(value)
    return record


class Encoder:
    """Catalogue events → Kafka records on the agency's ingress topic; thread-safe."""

    def __init__(self, registry: SchemaRegistry, layout: TopicLayout = DEFAULT_LAYOUT) -> None:
        self._registry = registry
        self._layout = layout
        self._serializers: dict[str, AvroSerializer] = {}
        self._mutex = threading.Lock()

    def _serializer(self, entry: EventType) -> AvroSerializer:
        serializer = self._serializers.get(entry.event_type)
        if serializer is None:
            with self._mutex:
                serializer = self._serializers.setdefault(
                    entry.event_type, AvroSerializer(self._registry, entry.schema_str)
                )
        return serializer

    def encode(self, entry: EventType, event: EventModel) -> OutRecord:
        """The record of ``event``; raises the codec's errors (SchemaMismatch, registry)."""
        envelope = event.envelope
        topic = self._layout.ingress(envelope.source_agency, entry.event_type)
        value = self._serializer(entry)(_millis(event.to_avro()), SerializationContext(topic))
        event_id = str(envelope.event_id)
        headers = [
            (h.EVENT_ID, event_id.encode()),
            (h.EVENT_TYPE, entry.event_type.encode()),
            (h.AGENCY, envelope.source_agency.encode()),
            (h.TRACE_ID, envelope.trace_id.encode()),
        ]
        return OutRecord(topic, event.key().encode(), value, headers)
