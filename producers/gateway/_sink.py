"""Where the gateway's accepted events go: Kafka, through one of two clients.

- :class:`AioKafkaSink` (the default): aiokafka's producer inside the event loop. No
  thread hops, and the benchmark (``bench/bench_producers.py``) measured it faster per
  event than kafka-python for the gateway's batches. When Kafka does not acknowledge,
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
import ssl
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import anyio.to_thread
from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError as AioKafkaError

from lienthong.connectors.kafka import TopicSpec, ensure_topics
from lienthong.producers._errors import KafkaUnavailable, ProducerError, PublishRefused
from lienthong.producers._publisher import Publisher
from lienthong.producers._record import Delivery, Record
from lienthong.producers._settings import PublisherSettings
from lienthong.producers.gateway._settings import GatewaySettings
from lienthong.schemas.registry_client import SchemaRegistry
from lienthong.settings import KafkaSettings


class Sink(Protocol):
    """What the gateway needs from a Kafka client."""

    async def send(self, records: Sequence[Record]) -> list[Delivery]:
        """Produce ``records``; one outcome each, in order (errors as ``error``)."""
        ...

    async def ready(self) -> bool:
        """Whether Kafka answers now."""
        ...

    async def close(self) -> None: ...


def _aiokafka_security(kafka: KafkaSettings) -> dict[str, Any]:
    options: dict[str, Any] = {"security_protocol": kafka.security_protocol}
    if kafka.sasl_mechanism is not None:
        options |= {
            "sasl_mechanism": kafka.sasl_mechanism,
            "sasl_plain_username": kafka.sasl_username,
            "sasl_plain_password": (
                kafka.sasl_password.get_secret_value() if kafka.sasl_password else None
            ),
        }
    if kafka.ssl_cafile is not None or kafka.security_protocol in ("SSL", "SASL_SSL"):
        options["ssl_context"] = ssl.create_default_context(
            cafile=str(kafka.ssl_cafile) if kafka.ssl_cafile else None
        )
    return options


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

    def __init__(self, kafka: KafkaSettings, settings: GatewaySettings) -> None:
        self._kafka = kafka
        self._settings = settings
        self._producer: AIOKafkaProducer | None = None
        self._starting = asyncio.Lock()
        self._topics: set[str] = set()

    async def _started(self) -> AIOKafkaProducer:
        async with self._starting:
            if self._producer is None:
                timeout_ms = int(self._settings.delivery_timeout_s * 1000)
                producer = AIOKafkaProducer(
                    bootstrap_servers=self._kafka.bootstrap_list,
                    client_id=f"{self._kafka.client_id}-gateway",
                    # aiokafka's defaults differ from kafka-python's: say both.
                    acks="all",
                    enable_idempotence=True,
                    linger_ms=self._settings.linger_ms,
                    max_batch_size=self._settings.batch_bytes,
                    compression_type="lz4",
                    request_timeout_ms=timeout_ms,
                    **_aiokafka_security(self._kafka),
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
        specs = [TopicSpec(t, self._settings.topic_partitions) for t in sorted(missing)]
        try:
            # kafka-python's admin client blocks; keep it off the event loop.
            await anyio.to_thread.run_sync(ensure_topics, self._kafka, specs)
        except Exception as exc:  # kafka-python raises many types; all mean "not now"
            raise KafkaUnavailable(f"cannot create topics {sorted(missing)}: {exc}") from exc
        self._topics |= missing

    async def send(self, records: Sequence[Record]) -> list[Delivery]:
        try:
            producer = await self._started()
            await self._prepare({r.topic for r in records})
        except KafkaUnavailable as exc:
            return [Delivery(r.event_id, r.topic, error=exc) for r in records]
        pending: list[asyncio.Future[Any] | Delivery] = []
        for record in records:
            try:
                pending.append(
                    await producer.send(
                        record.topic,
                        value=record.value,
                        key=record.key,
                        headers=record.headers,
                    )
                )
            except (AioKafkaError, OSError) as exc:
                pending.append(_failure(record, exc))
        futures = [p for p in pending if isinstance(p, asyncio.Future)]
        if futures:
            # asyncio.wait, not wait_for: a late ack must not cancel aiokafka's futures.
            await asyncio.wait(futures, timeout=self._settings.delivery_timeout_s)
        return [self._outcome(record, p) for record, p in zip(records, pending, strict=True)]

    @staticmethod
    def _outcome(record: Record, pending: asyncio.Future[Any] | Delivery) -> Delivery:
        if isinstance(pending, Delivery):
            return pending
        if not pending.done():
            return _failure(record, TimeoutError("no acknowledgement in time"))
        exc = pending.exception()
        if exc is not None:
            return _failure(record, exc)
        meta = pending.result()
        return Delivery(record.event_id, record.topic, meta.partition, meta.offset)

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
        self, kafka: KafkaSettings, settings: GatewaySettings, registry: SchemaRegistry
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
                topic_partitions=settings.topic_partitions,
            ),
            registry=registry,
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
