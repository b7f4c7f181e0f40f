"""Where the gateway's accepted events go: Kafka, through one of two clients.

- :class:`AioKafkaSink` (the default): aiokafka's producer inside the event loop, fed
  a request's events as ready-made batches (aiokafka's batch API). No thread hops, and
  the benchmark (``bench/bench_producers.py``) measured it faster per event than
  kafka-python for the gateway's batches (~25-30 % less CPU per event, and in most
  runs more events/s). When Kafka does not acknowledge,
  the request fails with 503 and the caller retries (idempotency by ``event_id``
  makes retrying safe).
- :class:`PublisherSink`: the SDK's :class:`~lienthong.producers.Publisher`
  (kafka-python in its own sender thread) with its durable spool; when Kafka is away
  the gateway still answers 202 with ``spooled: true``. For sites that prefer to hold
  events on the gateway's disk over asking agencies to retry.

Both state durability the same way: acks=all, idempotent producer, lz4 batches.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import anyio.to_thread
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError as AioKafkaError
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from lienthong.connectors.kafka import (
    BatchPacker,
    KafkaSettings,
    TopicMissing,
    aiokafka_producer,
    ensure_for_producer,
    partition_for,
)
from lienthong.connectors.topics import DEFAULT_LAYOUT, TopicLayout
from lienthong.producers._errors import KafkaUnavailable, ProducerError, PublishRefused
from lienthong.producers._publisher import Publisher
from lienthong.producers._record import Delivery, Record
from lienthong.producers._settings import PublisherSettings
from lienthong.producers.gateway._settings import GatewaySettings
from lienthong.schemas.registry_client import SchemaRegistry

# aiokafka's default max_request_size, which the gateway's producer keeps.
_MAX_REQUEST_BYTES = 1024 * 1024
_estimate_size = DefaultRecordBatchBuilder.estimate_size_in_bytes


class Sink(Protocol):
    """What the gateway needs from a Kafka client."""

    async def send(self, records: Sequence[Record]) -> list[Delivery]:
        """Produce ``records``; one outcome each, in order (errors as ``error``)."""
        ...

    async def ready(self) -> bool:
        """Whether Kafka answers now."""
        ...

    async def close(self) -> None: ...


def _failure(record: Record, exc: BaseException) -> Delivery:
    error: ProducerError
    if isinstance(exc, AioKafkaError) and not getattr(exc, "retriable", False):
        error = PublishRefused(f"Kafka refused the event for {record.topic}: {exc!r}")
    else:
        error = KafkaUnavailable(f"Kafka did not take the event for {record.topic}: {exc!r}")
    error.__cause__ = exc
    return Delivery(record.event_id, record.topic, error=error)


class AioKafkaSink:
    """aiokafka in the gateway's event loop; started on first use."""

    def __init__(
        self, kafka: KafkaSettings, settings: GatewaySettings, layout: TopicLayout = DEFAULT_LAYOUT
    ) -> None:
        self._kafka = kafka
        self._settings = settings
        self._layout = layout
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()
        self._topics: set[str] = set()

    async def _started(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is None:
                timeout_ms = int(self._settings.delivery_timeout_s * 1000)
                producer = AIOKafkaProducer(
                    **aiokafka_producer(
                        self._kafka,
                        client_id=f"{self._kafka.client_id}-gateway",
                        linger_ms=self._settings.linger_ms,
                        max_batch_size=self._settings.batch_bytes,
                        request_timeout_ms=timeout_ms,
                    )
                )
                try:
                    await producer.start()
                except (AioKafkaError, OSError) as exc:
                    await producer.stop()
                    raise KafkaUnavailable(
                        f"cannot reach Kafka at {self._kafka.bootstrap_servers}: {exc!r}"
                    ) from exc
                self._producer = producer
            return self._producer

    async def _prepare(self, topics: set[str]) -> None:
        missing = topics - self._topics
        if not missing or not self._settings.create_topics:
            return
        try:
            for topic in sorted(missing):
                # kafka-python's admin client blocks; keep it off the event loop.
                spec = self._layout.spec(topic)
                await anyio.to_thread.run_sync(ensure_for_producer, self._kafka, spec)
        except TopicMissing as exc:  # on a cluster: an admin's job (`lienthong topics apply`)
            raise PublishRefused(str(exc)) from exc
        except Exception as exc:  # kafka-python raises many types; all mean "not now"
            raise KafkaUnavailable(f"cannot create topics {sorted(missing)}: {exc}") from exc
        self._topics |= missing

    async def send(self, records: Sequence[Record]) -> list[Delivery]:
        try:
            producer = await self._started()
            await self._prepare({r.topic for r in records})
            outcomes: list[Delivery | None] = [None] * len(records)
            batches = await self._batches(producer, records, outcomes)
        except (KafkaUnavailable, PublishRefused) as exc:
            return [Delivery(r.event_id, r.topic, error=exc) for r in records]
        except (AioKafkaError, OSError) as exc:
            return [_failure(r, exc) for r in records]
        pending: list[tuple[asyncio.Future[Any], list[tuple[int, int]]]] = []
        for (topic, partition), batch, slots in batches:
            # Closed: complete already, so the sender takes it now instead of lingering.
            batch.close()
            try:
                pending.append(
                    (await producer.send_batch(batch, topic, partition=partition), slots)
                )
            except (AioKafkaError, OSError) as exc:
                for index, _ in slots:
                    outcomes[index] = _failure(records[index], exc)
        if pending:
            # asyncio.wait, not wait_for: a late ack must not cancel aiokafka's futures.
            await asyncio.wait([f for f, _ in pending], timeout=self._settings.delivery_timeout_s)
        for future, slots in pending:
            self._settle(records, future, slots, outcomes)
        return [
            o if o is not None else _failure(r, TimeoutError())
            for r, o in zip(records, outcomes, strict=True)
        ]

    async def _batches(
        self, producer: AIOKafkaProducer, records: Sequence[Record], outcomes: list[Any]
    ) -> list[tuple[tuple[str, int], Any, list[tuple[int, int]]]]:
        """The records in aiokafka batches, one or more per partition, in order.

        A record larger than a request may be is refused alone, in ``outcomes``, as
        aiokafka's ``send`` refuses it (the broker would fail its whole batch).

        Packed by :class:`~lienthong.connectors.kafka.BatchPacker` (why batches:
        see there). Partitions are chosen as aiokafka's (and kafka-python's, and
        Java's) default partitioner does, murmur2 of the key over all partitions, so a
        key lands where the SDK puts it.
        """
        partitions: dict[str, list[int]] = {}
        packer = BatchPacker(producer)
        placed: dict[int, list[tuple[int, int]]] = {}
        for index, record in enumerate(records):
            if _estimate_size(record.key, record.value, record.headers) > _MAX_REQUEST_BYTES:
                outcomes[index] = _failure(record, MessageSizeTooLargeError())
                continue
            known = partitions.get(record.topic)
            if known is None:
                known = partitions[record.topic] = sorted(
                    await producer.partitions_for(record.topic)
                )
            slot = (record.topic, known[partition_for(record.key, len(known))])
            batch, offset = packer.append(slot, record.key, record.value, record.headers)
            placed.setdefault(batch, []).append((index, offset))
        return [(slot, batch, placed[n]) for n, (slot, batch) in enumerate(packer.batches)]

    @staticmethod
    def _settle(
        records: Sequence[Record],
        pending: asyncio.Future[Any],
        slots: list[tuple[int, int]],
        outcomes: list[Delivery | None],
    ) -> None:
        """The outcome of each record of one batch: its offset, or the batch's error."""
        exc: BaseException | None = TimeoutError("no acknowledgement in time")
        if pending.done():
            exc = pending.exception()
        if exc is not None:
            for index, _ in slots:
                outcomes[index] = _failure(records[index], exc)
            return
        # The batch's base offset, read once a batch; each record is its relative
        # offset on.
        meta = pending.result()
        partition, base = meta.partition, meta.offset
        for index, relative in slots:
            record = records[index]
            outcomes[index] = Delivery(record.event_id, record.topic, partition, base + relative)

    async def ready(self) -> bool:
        try:
            producer = await self._started()
        except KafkaUnavailable:
            return False
        try:
            await asyncio.wait_for(producer.client.fetch_all_metadata(), timeout=5)
        except (AioKafkaError, OSError, TimeoutError):
            return False
        return True

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None


class PublisherSink:
    """The SDK's publisher (kafka-python + durable spool) behind the gateway."""

    def __init__(
        self,
        kafka: KafkaSettings,
        settings: GatewaySettings,
        registry: SchemaRegistry,
        layout: TopicLayout | None = None,
    ) -> None:
        self.publisher = Publisher(
            kafka,
            PublisherSettings(
                registry_url=settings.registry_url,
                spool_path=settings.spool_path,
                delivery_timeout_s=settings.delivery_timeout_s,
                linger_ms=settings.linger_ms,
                batch_bytes=settings.batch_bytes,
                create_topics=settings.create_topics,
            ),
            registry=registry,
            layout=layout,
        )

    async def send(self, records: Sequence[Record]) -> list[Delivery]:
        if not self.publisher.online:
            # Kafka is away: one fsynced transaction for the batch, off the event loop.
            try:
                await anyio.to_thread.run_sync(self.publisher.spool_records, records)
            except ProducerError as exc:  # the spool is full
                return [Delivery(r.event_id, r.topic, error=exc) for r in records]
            return [Delivery(r.event_id, r.topic, spooled=True) for r in records]
        loop = asyncio.get_running_loop()
        futures: list[asyncio.Future[Delivery]] = []
        for record in records:
            future: asyncio.Future[Delivery] = loop.create_future()
            self.publisher.send_record(record, _resolver(loop, future))
            futures.append(future)
        return list(await asyncio.gather(*futures))

    async def ready(self) -> bool:
        return self.publisher.online

    async def close(self) -> None:
        await anyio.to_thread.run_sync(self.publisher.close)


def _resolver(
    loop: asyncio.AbstractEventLoop, future: asyncio.Future[Delivery]
) -> Callable[[Delivery], None]:
    """A delivery callback (called from kafka-python's thread) that settles ``future``."""

    def resolve(delivery: Delivery) -> None:
        loop.call_soon_threadsafe(_settle, future, delivery)

    return resolve


def _settle(future: asyncio.Future[Delivery], delivery: Delivery) -> None:
    if not future.done():
        future.set_result(delivery)
