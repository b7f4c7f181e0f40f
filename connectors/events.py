"""Rows of agency data → validated catalogue events → Kafka records, for source connectors.

A row (an outbox payload, a line of a dropped file) holds the event's payload fields at
the top level and, optionally, an ``envelope`` object or top-level envelope fields. What
is missing is completed *deterministically*, so reading the same row twice yields the
same event, byte for byte:

- ``event_id``: given by the caller (the outbox ``id``), else a UUID derived from the
  row's content (the rule ``lienthong publish`` uses, so a file published either way
  gets the same ids);
- ``trace_id``: the event id's 32 hex digits (a valid W3C trace id);
- ``occurred_at``: given by the caller (an outbox column, a file's mtime);
- ``event_type``, ``schema_ref``: from the event type; ``source_agency``: the connector's.

Records are framed Avro on the agency's ingress topic with the SDK's headers, exactly as
the agency SDK would write them; the worker's gate checks them again.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from lienthong.connectors.topics import ingress_topic
from lienthong.schemas import headers as h
from lienthong.schemas.catalogue import EventType
from lienthong.schemas.codec import AvroSerializer, SerializationContext
from lienthong.schemas.models import EventModel, Violation, violations
from lienthong.schemas.registry_client import SchemaRegistry

# The SDK's namespace for content-derived event ids (lienthong.producers._rows).
ROW_NAMESPACE = uuid.UUID("6f1d7a52-3a7e-4c51-9d8e-6a1f2b0c4d10")
_ENVELOPE_FIELDS = ("event_id", "occurred_at", "source_agency", "trace_id", "correlation_id")


@dataclass(frozen=True)
class OutRecord:
    """A record to write to Kafka."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


class RowRejected(Exception):
    """A row cannot become an event; ``violations`` say why (data, never personal data)."""

    def __init__(self, reason: str, items: list[Violation]) -> None:
        super().__init__("; ".join(v["message"] for v in items))
        self.reason = reason
        self.violations = items


def content_event_id(event_type: str, agency: str | None, data: Mapping[str, Any]) -> str:
    """The content-derived event id of a row (same rule as ``lienthong publish``)."""
    content = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return str(uuid.uuid5(ROW_NAMESPACE, f"{event_type}|{agency}|{content}"))


def as_event_id(value: object, scope: str) -> str:
    """``value`` if it is a UUID, else a UUID derived from it within ``scope``.

    The outbox convention's ``id`` is a UUID; some agency tables use integers, which
    become stable UUIDs (the same row always gets the same event id).
    """
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        return str(uuid.uuid5(ROW_NAMESPACE, f"{scope}|{value}"))


def complete(
    entry: EventType,
    data: Mapping[str, Any],
    *,
    agency: str,
    event_id: str | None = None,
    occurred_at: datetime | None = None,
) -> dict[str, Any]:
    """``data`` with its envelope completed (see the module docstring)."""
    payload = {k: v for k, v in data.items() if k not in (*_ENVELOPE_FIELDS, "envelope")}
    given = data.get("envelope")
    envelope: dict[str, Any] = dict(given) if isinstance(given, Mapping) else {}
    for name in _ENVELOPE_FIELDS:
        if name in data:
            envelope.setdefault(name, data[name])
    if event_id is not None:
        envelope["event_id"] = event_id
    elif "event_id" not in envelope:  # hashing the row costs ~60 µs: only when needed
        envelope["event_id"] = content_event_id(entry.event_type, agency, data)
    envelope.setdefault("event_type", entry.event_type)
    envelope.setdefault("schema_ref", entry.full_name)
    envelope.setdefault("source_agency", agency)
    if occurred_at is not None:
        envelope.setdefault("occurred_at", occurred_at.isoformat())
    if "trace_id" not in envelope:  # an invalid event id is the validator's to report
        envelope["trace_id"] = as_event_id(envelope["event_id"], "trace").replace("-", "")
    return {**payload, "envelope": envelope}


def validate(entry: EventType, data: dict[str, Any], *, lax: bool = False) -> EventModel:
    """The event of ``data``; raises :class:`RowRejected` with every violation.

    JSON-typed rows are checked as the gateway checks JSON (strict types, ISO times);
    ``lax`` reads text cells ("2" as 2), for CSV.
    """
    try:
        if lax:
            return entry.model.model_validate(data, strict=False)
        return entry.model.model_validate_json(json.dumps(data, ensure_ascii=False, default=str))
    except ValidationError as exc:
        raise RowRejected("invalid_event", violations(exc)) from exc
    except (TypeError, ValueError) as exc:  # not JSON-serialisable input
        raise RowRejected(
            "bad_payload", [Violation(field="", rule="json", message=str(exc))]
        ) from exc


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

    def __init__(self, registry: SchemaRegistry) -> None:
        self._registry = registry
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
        topic = ingress_topic(envelope.source_agency, entry.event_type)
        value = self._serializer(entry)(_millis(event.to_avro()), SerializationContext(topic))
        event_id = str(envelope.event_id)
        headers = [
            (h.EVENT_ID, event_id.encode()),
            (h.EVENT_TYPE, entry.event_type.encode()),
            (h.AGENCY, envelope.source_agency.encode()),
            (h.TRACE_ID, envelope.trace_id.encode()),
        ]
        return OutRecord(topic, event.key().encode(), value, headers)
