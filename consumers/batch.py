"""One fetch of records through the worker's stages: the types every stage shares.

A fetch becomes a :class:`Batch`: one :class:`Message` per record (the record as read,
and the stand-in that places its table reads and writes in its partition). The gate
turns the valid ones into :class:`Forward` items for the stages after it. Every stage
(:class:`Stage`) adds what it writes to Kafka to the batch's :class:`Outbox`, which the
worker delivers whole (``lienthong.consumers.worker.sender``).

**A record's fault stays the record's.** A stage that raises for one record calls
:meth:`Outbox.fail`: the record goes to the dead letters (reason ``processing_failed``,
the stage and the exception type in ``lt.dlq.stage`` and ``lt.dlq.exception_type``) and the
stage goes on with the next. An output no Kafka request can carry becomes, when added,
a dead letter (``output_too_large``) that names the input's topic, partition and offset
instead of copying it. Either way the batch completes: only a fault of the worker's
environment (Kafka, the registry, the disk) may stop a worker.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from aiokafka.record.default_records import DefaultRecordBatchBuilder

from lienthong.consumers.facets import Facets
from lienthong.consumers.faust_adapter import PartitionEvent, changelog_topic, write
from lienthong.consumers.gate import IngressRecord, now_ms
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h

log = logging.getLogger(__name__)

Slot = tuple[str, int]
"""A topic and one of its partitions (where a record was read, or goes)."""

DEFAULT_MAX_REQUEST = 1_048_576
"""aiokafka's default ``max_request_size``: what one Kafka request may carry."""


def record_size(key: bytes | None, value: bytes | None, headers: h.Headers) -> int:
    """What a record takes in a Kafka request, alone in its batch."""
    size: int = DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, headers)
    return size


# Built per record: slots, not frozen (frozen costs ~1 µs more per object); never mutated.
@dataclass(slots=True)
class Message:
    """One record of a fetch, as every stage sees it."""

    record: IngressRecord
    event: PartitionEvent  # places table reads and writes in the record's partition


@dataclass(slots=True)
class Forward:
    """A valid event as the stages after the gate see it."""

    message: Message
    facets: Facets
    headers: h.Headers  # the trusted headers of its canonical record
    payload: Mapping[str, Any]  # the decoded Avro payload (its text in NFC)
    value: bytes | None  # the canonical record's bytes (see lienthong.consumers.gate)

    @property
    def key(self) -> bytes | None:
        return self.message.record.key


@dataclass(slots=True)
class Out:
    """One record for Kafka, with the input it was made from."""

    topic: str
    partition: int | None  # None: by key (or round robin without one)
    key: bytes | None
    value: bytes | None
    headers: h.Headers
    table: Any = None  # the faust table whose changelog this is


@dataclass
class Batch:
    """One fetch on its way through the stages.

    ``ingress``: the records of ingress topics, for the gate; ``own``: records of the
    views' own topic. The gate fills ``passed`` (to route) and ``views`` (to apply: the
    passed events and the duplicates of events that passed before).
    """

    ingress: list[Message] = field(default_factory=list)
    own: list[Message] = field(default_factory=list)
    passed: list[Forward] = field(default_factory=list)
    views: list[Forward] = field(default_factory=list)
    tallies: dict[str, Any] = field(default_factory=dict)  # per stage, counted once delivered


class Outbox:
    """Records and table writes of one batch, in the order they must reach Kafka.

    ``deadletter`` is the topic of :meth:`fail` and of outputs too large; ``limit`` the
    largest record a request carries (the producer's ``max_request_size``).
    """

    def __init__(self, deadletter: str, limit: int = DEFAULT_MAX_REQUEST) -> None:
        self.deadletter = deadletter
        self.limit = limit
        self.records: list[Out] = []
        self.failures: dict[tuple[str, str], int] = {}  # (stage, exception type) → count
        self.letters: dict[str, int] = {}  # reason → dead letters this outbox added itself

    def add(
        self,
        topic: str,
        key: bytes | None,
        value: bytes | None,
        headers: h.Headers,
        source: IngressRecord,
        *,
        partition: int | None = None,
    ) -> None:
        """Queue one record made from ``source`` (a reference letter if it is too large)."""
        size = self._too_large(key, value, headers)
        if size:
            self._reference(topic, size, source)
            return
        self.records.append(Out(topic, partition, key, value, headers))

    def put(self, table: Any, key: bytes, value: bytes, source: Message) -> None:
        """Write ``key`` in ``table``'s store now, in ``source``'s partition; queue its
        changelog record (faust's raw changelog format: the key and value bytes).

        A value too large for its changelog is neither written nor queued: the input
        that made it goes to the dead letters instead (the table keeps its last state).
        """
        topic = changelog_topic(table)
        size = self._too_large(key, value, [])
        if size:
            self._reference(topic, size, source.record)
            return
        write(table, source.event, key, value)
        self.records.append(Out(topic, source.record.partition, key, value, [], table))

    def fail(
        self, source: IngressRecord, stage: str, exc: Exception, facets: Facets | None = None
    ) -> None:
        """Send ``source`` to the dead letters: ``stage`` raised ``exc`` for it."""
        kind = type(exc).__name__
        log.error(
            "%s failed on %s[%d]@%d (%s): to the dead letters\n%s",
            stage,
            source.topic,
            source.partition,
            source.offset,
            kind,
            "".join(traceback.format_exception(exc, limit=-3)).rstrip(),
        )
        letter = _letter(source, stage, dl.PROCESSING_FAILED, f"{kind}: {exc}", facets, {}, kind)
        headers = [*source.headers, *letter.headers()]
        self.add(self.deadletter, source.key, source.value, headers, source)
        self.failures[(stage, kind)] = self.failures.get((stage, kind), 0) + 1
        self._count(dl.PROCESSING_FAILED)

    def _too_large(self, key: bytes | None, value: bytes | None, headers: h.Headers) -> int:
        """The record's size if no request can carry it, else 0 (cheap for most)."""
        if len(value or b"") + len(key or b"") < self.limit // 2:
            return 0
        size = record_size(key, value, headers)
        return size if size > self.limit else 0

    def _reference(self, topic: str, size: int, source: IngressRecord) -> None:
        """A dead letter naming the input whose output for ``topic`` was too large."""
        message = (
            f"the output for {topic} is larger than a Kafka request ({size} > {self.limit} "
            "bytes); the input is not copied: read it at its source offset"
        )
        log.error("%s[%d]@%d: %s", source.topic, source.partition, source.offset, message)
        extra = {"output_topic": topic, "output_bytes": str(size)}
        letter = _letter(source, "outbox", dl.OUTPUT_TOO_LARGE, message, None, extra)
        self.records.append(Out(self.deadletter, None, source.key, None, letter.headers()))
        self._count(dl.OUTPUT_TOO_LARGE)

    def _count(self, reason: str) -> None:
        self.letters[reason] = self.letters.get(reason, 0) + 1


def _letter(  # noqa: PLR0917  # one call per kind of letter, all positional
    source: IngressRecord,
    stage: str,
    reason: str,
    message: str,
    facets: Facets | None,
    extra: Mapping[str, str],
    exception_type: str | None = None,
) -> dl.DeadLetter:
    refusal = dl.Refusal(
        reason,
        message,
        agency=facets.agency if facets is not None else None,
        event_id=facets.event_id if facets is not None else None,
        event_type=facets.event_type if facets is not None else None,
    )
    return dl.DeadLetter(
        refusal=refusal,
        source=dl.Source(source.topic, source.partition, source.offset, source.timestamp_ms),
        stage=stage,
        first_seen_ms=dl.first_seen(h.as_dict(source.headers), now_ms()),
        exception_type=exception_type,
        extra=extra,
    )


class Stage(Protocol):
    """One step of the worker's pipeline over a batch.

    :meth:`run` adds what the stage writes to ``outbox`` and isolates each record's
    faults (:meth:`Outbox.fail`); :meth:`count` adds its metrics once the outbox is in
    Kafka, from what :meth:`run` left in ``batch.tallies``.
    """

    name: str

    async def run(self, batch: Batch, outbox: Outbox) -> None: ...

    def count(self, batch: Batch) -> None: ...


def messages_of(records: Sequence[Any]) -> list[Message]:
    """One :class:`Message` per faust message, sharing one stand-in per partition."""
    by_tp: dict[Any, PartitionEvent] = {}
    out = []
    for message in records:
        event = by_tp.get(message.tp)
        if event is None:
            event = by_tp[message.tp] = PartitionEvent(message)
        stamp = message.timestamp
        record = IngressRecord(
            topic=message.topic,
            partition=message.partition,
            offset=message.offset,
            timestamp_ms=int(stamp * 1000) if stamp else None,
            key=message.key,
            value=message.value,
            headers=message.headers or (),
        )
        out.append(Message(record, event))
    return out


__all__ = [
    "DEFAULT_MAX_REQUEST",
    "Batch",
    "Forward",
    "Message",
    "Out",
    "Outbox",
    "Slot",
    "Stage",
    "messages_of",
    "record_size",
]
