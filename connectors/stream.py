"""What sinks read: Kafka records decoded into catalogue events, in batches.

A sink reads its topics as a consumer group (``lienthong-connect.<name>``), so several
instances share the partitions. Records are framed Avro; the writer's schema names the
event type (no header is trusted for that). A record that cannot be decoded becomes a
dead letter with the codec's reason, never an exception.

Where a sink keeps its position in its own store (PostgreSQL, the portal ledger), it
hands a ``positions`` function: on every partition assignment the stream seeks to the
offsets that store returns, so the store — not Kafka's group offsets — decides where
reading resumes. Group offsets are still committed after each batch, for lag metrics.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from kafka import ConsumerRebalanceListener, KafkaConsumer, OffsetAndMetadata, TopicPartition
from kafka.errors import KafkaError

from lienthong.connectors.errors import KafkaUnavailable
from lienthong.connectors.runtime import Connector
from lienthong.schemas.catalogue import EventType
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.deadletter import UNKNOWN_EVENT_TYPE, DeadRecord, Refusal, Source
from lienthong.schemas.errors import CodecError, RegistryError
from lienthong.schemas.event_decoder import EventDecoder, not_in_catalogue
from lienthong.schemas.registry_client import SchemaRegistry

log = logging.getLogger("lienthong.connectors")

Positions = Callable[[Sequence[TopicPartition]], dict[TopicPartition, int]]
"""Given assigned partitions, the next offset to read for those the sink has stored."""


@dataclass(frozen=True)
class InEvent:
    """A decoded event with where it was read."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: list[tuple[str, bytes]]
    entry: EventType
    record: dict[str, Any]
    raw: bytes | None = None  # the framed Avro as read (kept by dead letters)

    @property
    def event_id(self) -> str:
        return str(self.record["envelope"]["event_id"])

    def letter(
        self, reason: str, message: str, stage: str, *, attempts: int | None = None
    ) -> DeadRecord:
        """A dead letter keeping this event's bytes, headers and where it was read."""
        refusal = Refusal(reason, message, event_id=self.event_id, event_type=self.entry.event_type)
        source = Source(self.topic, self.partition, self.offset)
        return DeadRecord.refused(
            refusal, source, stage, self.key, self.raw, self.headers, attempts=attempts
        )


@dataclass
class Batch:
    """Events and dead letters of one poll, and the offsets that follow them."""

    events: list[InEvent] = field(default_factory=list)
    letters: list[DeadRecord] = field(default_factory=list)
    next_offsets: dict[TopicPartition, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.events) + len(self.letters)


class _SeekOnAssign(ConsumerRebalanceListener):  # type: ignore[misc]
    def __init__(self, stream: EventStream) -> None:
        self._stream = stream

    def on_partitions_revoked(self, revoked: Any) -> None:
        return None  # batches are committed before the next poll: nothing in flight

    def on_partitions_assigned(self, assigned: Any) -> None:
        self._stream.seek_stored(list(assigned))


class EventStream:
    """A consumer group over ``topics`` yielding decoded batches (module docstring)."""

    def __init__(
        self,
        kafka: Any,
        group: str,
        topics: Sequence[str],
        registry: SchemaRegistry,
        *,
        stage: str,
        positions: Positions | None = None,
    ) -> None:
        self.stage = stage
        self._positions = positions
        self._decoder = EventDecoder(AvroDeserializer(registry))
        try:
            self._consumer = KafkaConsumer(
                **kafka.as_kafka_python(),
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                isolation_level="read_committed",
                max_poll_interval_ms=600_000,
            )
            self._consumer.subscribe(list(topics), listener=_SeekOnAssign(self))
        except KafkaError as exc:
            raise KafkaUnavailable(f"cannot subscribe to {list(topics)}: {exc}") from exc

    @classmethod
    def of(
        cls,
        connector: Connector[Any],
        topics: Sequence[str],
        registry: SchemaRegistry,
        positions: Positions | None = None,
    ) -> EventStream:
        """The stream a sink connector reads: its own group, its stage, its positions."""
        ctx = connector.context
        group = f"lienthong-connect.{ctx.name}"
        return cls(ctx.kafka, group, topics, registry, stage=connector.stage, positions=positions)

    def seek_stored(self, assigned: list[TopicPartition]) -> None:
        if self._positions is None or not assigned:
            return
        stored = self._positions(assigned)
        for tp in assigned:
            if tp in stored:
                self._consumer.seek(tp, stored[tp])
            else:
                self._consumer.seek_to_beginning(tp)

    def poll(self, max_records: int, timeout_ms: int = 500) -> Batch:
        """Up to ``max_records`` records, decoded; an empty batch after ``timeout_ms``."""
        try:
            polled = self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        except KafkaError as exc:
            raise KafkaUnavailable(f"reading events failed: {exc}") from exc
        batch = Batch()
        for tp, messages in polled.items():
            for message in messages:
                self._add(batch, message)
            batch.next_offsets[tp] = messages[-1].offset + 1
        return batch

    def _add(self, batch: Batch, message: Any) -> None:
        headers = list(message.headers or [])
        try:
            decoded = self._decoder.decode(message.value or b"")
        except CodecError as exc:
            batch.letters.append(self._letter(message, headers, exc.reason, str(exc)))
            return
        except RegistryError as exc:
            raise KafkaUnavailable(f"the schema registry cannot decode events: {exc}") from exc
        if decoded.entry is None:
            reason = not_in_catalogue(decoded.schema_id)
            batch.letters.append(self._letter(message, headers, UNKNOWN_EVENT_TYPE, reason))
            return
        batch.events.append(
            InEvent(
                message.topic,
                message.partition,
                message.offset,
                message.key,
                headers,
                decoded.entry,
                decoded.value,
                message.value,
            )
        )

    def _letter(
        self, message: Any, headers: list[tuple[str, bytes]], reason: str, why: str
    ) -> DeadRecord:
        source = Source(message.topic, message.partition, message.offset)
        return DeadRecord.refused(
            Refusal(reason, why), source, self.stage, message.key, message.value, headers
        )

    def commit(self, offsets: dict[TopicPartition, int]) -> None:
        """Commit group offsets (the position of webhook sinks; lag metrics for others)."""
        if not offsets:
            return
        try:
            self._consumer.commit(
                {tp: OffsetAndMetadata(offset, "", -1) for tp, offset in offsets.items()}
            )
        except KafkaError as exc:
            raise KafkaUnavailable(f"committing offsets failed: {exc}") from exc

    def close(self) -> None:
        try:
            self._consumer.close(autocommit=False)
        except KafkaError as exc:
            log.debug("closing the consumer: %s", exc)
