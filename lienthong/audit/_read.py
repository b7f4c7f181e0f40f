"""Reading the security feed back: ``lienthong audit tail`` and the console's panel."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import DEFAULT_LAYOUT, TopicLayout
from lienthong.consumers.inspect import read_topic
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.errors import CodecError
from lienthong.schemas.models import AuditEvent


@dataclass(frozen=True)
class AuditRecord:
    """One record of the audit topic: the event, or why it could not be read."""

    offset: int
    timestamp_ms: int | None
    event: AuditEvent | None
    problem: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The record as the console's Security panel shows it."""
        if self.event is None:
            return {"offset": self.offset, "problem": self.problem}
        event = self.event
        return {
            "offset": self.offset,
            "at": event.envelope.occurred_at.isoformat(),
            "action": event.action.value,
            "outcome": event.outcome.value,
            "actor": event.actor,
            "service": event.service,
            "target": event.target,
            "reason": event.reason,
            "detail": event.detail,
            "client": event.client,
        }


def read_audit(
    kafka: KafkaSettings,
    deserializer: AvroDeserializer,
    *,
    layout: TopicLayout = DEFAULT_LAYOUT,
    since_ms: int | None = None,
    last: int | None = None,
    follow: bool = False,
) -> Iterator[AuditRecord]:
    """The audit topic's records in order (see :func:`~lienthong.consumers.inspect.read_topic`).

    Raises LookupError when the topic does not exist yet (nothing was audited).
    """
    for seen in read_topic(kafka, layout.audit, since_ms=since_ms, last=last, follow=follow):
        yield decode_audit(deserializer, seen.offset, seen.timestamp_ms, seen.value)


def decode_audit(
    deserializer: AvroDeserializer, offset: int, timestamp_ms: int | None, value: bytes | None
) -> AuditRecord:
    """One audit record from its bytes; an unreadable one says why, it never raises."""
    if not value:
        return AuditRecord(offset, timestamp_ms, None, "empty record")
    try:
        event = AuditEvent.from_avro(deserializer.decode(value).value)
    except (CodecError, ValueError) as exc:
        return AuditRecord(offset, timestamp_ms, None, f"{type(exc).__name__}: {exc}")
    return AuditRecord(offset, timestamp_ms, event)
