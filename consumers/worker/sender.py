"""Everything one batch writes to Kafka, sent as whole batches and awaited together.

The stages add records (canonical copies, dead letters, subscriber copies) and table
writes (a faust table's local store now, its changelog record with the rest) to an
:class:`~lienthong.consumers.batch.Outbox`; :meth:`OutboxSender.deliver` sends them
through aiokafka's batch API and returns once Kafka has acknowledged every one.

Why not ``send`` per record: a record then costs a coroutine, a future and an
accumulator look-up (~10 µs), and a faust table write another trip through faust's
producer buffer plus a RocksDB write of the changelog offset per record. Here a record
is an append to aiokafka's C batch builder; the tables' changelog offsets are written
once per partition and batch. One producer for outputs and changelogs keeps a key's
changelog records in the order the worker wrote them.

Guarantees: records of one partition keep the order they were added in (one batch
builder after another, and the producer is idempotent with acks=all). If Kafka does not
take a batch (broker away past the request timeout), every record of the outbox is sent
again after a pause, until Kafka takes them or the worker stops: outputs may repeat
(``event_id`` is the idempotency key downstream), nothing is dropped. Callers deliver one
outbox after another (:class:`.stages.Pipeline`), so a retried outbox never lands after
a later one. Keys are placed by Kafka's default partitioner
(:func:`lienthong.connectors.kafka.key_hash`), as the SDK and the gateway do.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError

from lienthong.connectors.kafka import BatchPacker, Slot, key_hash
from lienthong.consumers.batch import Out, Outbox, record_size
from lienthong.consumers.faust_adapter import max_request_size, persisted

log = logging.getLogger(__name__)


HASHES_KEPT = 100_000
"""Keys whose murmur2 the sender remembers (a few MB); then it starts afresh."""


class OutboxSender:
    """Sends outboxes through one aiokafka producer; :meth:`deliver` awaits all of one."""

    def __init__(
        self,
        producer: Callable[[], AIOKafkaProducer],
        *,
        retry_backoff_s: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self._producer = producer
        self._backoff = retry_backoff_s
        self._partitions: dict[str, int] = {}
        self._round_robin = itertools.count()
        # An entity's events arrive together and each yields several records by key:
        # remembering a key's hash saves murmur2 (~3 µs in Python) for all but the first.
        self._hashes: dict[bytes, int] = {}

    def limit(self) -> int:
        """The largest record the running producer can send (an outbox's limit)."""
        return max_request_size(self._producer())

    async def deliver(self, outbox: Outbox) -> None:
        """Send ``outbox`` and wait until Kafka has all of it (see the module docstring)."""
        records = outbox.records
        if not records:
            return
        delay, longest = self._backoff
        while True:
            try:
                last = await self._send(records)
                break
            except (KafkaError, OSError) as exc:
                log.warning(
                    "Kafka did not take %d records (%r); sending them again in %.1fs",
                    len(records),
                    exc,
                    delay,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, longest)
        for (topic, partition), (table, offset) in last.items():
            persisted(table, topic, partition, offset)

    async def _send(self, records: list[Out]) -> dict[Slot, tuple[Any, int]]:
        """One attempt; returns each changelog partition's last offset and its table."""
        producer = self._producer()
        batches = await self._batches(producer, records)
        pending = []
        for (topic, partition), batch, tables in batches:
            batch.close()  # complete: the sender takes it now instead of lingering
            pending.append((await producer.send_batch(batch, topic, partition=partition), tables))
        last: dict[Slot, tuple[Any, int]] = {}
        for future, tables in pending:
            meta = await future  # raises what Kafka answered
            if tables is not None:
                table, relative = tables
                last[(meta.topic, meta.partition)] = (table, meta.offset + relative)
        return last

    async def _batches(
        self, producer: AIOKafkaProducer, records: list[Out]
    ) -> list[tuple[Slot, Any, tuple[Any, int] | None]]:
        """The records in aiokafka batch builders, one or more per partition, in order.

        With each builder: for a changelog, its table and its last record's position.
        """
        packer = BatchPacker(producer)
        tables: dict[int, tuple[Any, int]] = {}
        limit = max_request_size(producer)
        for out in records:
            _refuse_if_too_large(out, limit)
            slot = (out.topic, await self._partition(producer, out))
            batch, offset = packer.append(slot, out.key, out.value, out.headers)
            if out.table is not None:
                tables[batch] = (out.table, offset)
        return [(slot, batch, tables.get(n)) for n, (slot, batch) in enumerate(packer.batches)]

    async def _partition(self, producer: AIOKafkaProducer, out: Out) -> int:
        if out.partition is not None:
            return out.partition
        count = self._partitions.get(out.topic)
        if count is None:
            count = self._partitions[out.topic] = len(await producer.partitions_for(out.topic))
        key = out.key
        if key is None:
            return next(self._round_robin) % count
        hashed = self._hashes.get(key)
        if hashed is None:
            if len(self._hashes) >= HASHES_KEPT:
                self._hashes.clear()
            hashed = self._hashes[key] = key_hash(key)
        return hashed % count


def _refuse_if_too_large(out: Out, limit: int) -> None:
    """Raise for a record no request can carry, before anything of the outbox is sent.

    The outbox turns such records into dead letters when they are added (its limit is
    the producer's, :meth:`OutboxSender.limit`); this is the last guard: aiokafka's
    batch builder takes any record into an empty batch and the broker then refuses the
    request, which :meth:`OutboxSender.deliver` would retry forever.
    """
    if len(out.value or b"") + len(out.key or b"") < limit // 2:
        return
    size = record_size(out.key, out.value, out.headers)
    if size > limit:
        raise ValueError(
            f"a record for {out.topic} is larger than a Kafka request ({size} > {limit} "
            "bytes) and was not caught when added to the outbox (a bug)"
        )
