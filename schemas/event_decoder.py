"""Framed Avro → catalogue event type: the one "schema id → event type" of every reader.

The writer's schema names the event type (its Avro full name); no header is trusted for
that. The worker's gate, the sinks' event stream and the subscriber SDK all decode
through :class:`EventDecoder`, which asks the registry once per schema id.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from lienthong.schemas.catalogue import EventType, UnknownEventType, by_full_name
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.models import EventModel


@dataclass(frozen=True)
class DecodedEvent:
    """A decoded record, the id of its writer's schema and the event type it names."""

    schema_id: int
    entry: EventType | None  # None: the writer's schema is not an event type of ours
    value: dict[str, Any]


def not_in_catalogue(schema_id: int) -> str:
    """The message of a record whose schema is not an event type of the catalogue."""
    return f"schema {schema_id} is not an event type of the catalogue"


class EventDecoder:
    """Decode framed Avro and name its catalogue event type; thread-safe."""

    def __init__(self, deserializer: AvroDeserializer) -> None:
        self.deserializer = deserializer
        self._types: dict[int, EventType | None] = {}
        self._lock = threading.Lock()

    def event_type(self, schema_id: int) -> EventType | None:
        """The catalogue's event type the schema ``schema_id`` names (``None``: none)."""
        if schema_id in self._types:
            return self._types[schema_id]
        name = str(self.deserializer.writer_schema(schema_id).get("name", ""))
        try:
            entry: EventType | None = by_full_name(name)
        except UnknownEventType:
            entry = None
        with self._lock:
            self._types[schema_id] = entry
        return entry

    def decode(self, data: bytes) -> DecodedEvent:
        """Decode ``data``; raises the codec's errors (:class:`CodecError`, registry)."""
        decoded = self.deserializer.decode(data)
        return DecodedEvent(decoded.schema_id, self.event_type(decoded.schema_id), decoded.value)

    def event(self, data: bytes) -> EventModel:
        """The typed event of ``data``.

        Raises the codec's errors, :class:`UnknownEventType`, or pydantic's
        ``ValidationError`` when the record breaks its contract.
        """
        decoded = self.decode(data)
        if decoded.entry is None:
            raise UnknownEventType(not_in_catalogue(decoded.schema_id))
        return decoded.entry.model.from_avro(decoded.value)
