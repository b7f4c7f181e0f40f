"""The SDK's one connection to Kafka: a kafka-python producer made lazily, and topics.

The producer is created on first need, not in the constructor of the publisher:
kafka-python contacts the cluster when it is built, and an agency system must be able
to start (and spool) while Kafka is down. Errors are sorted here into transient
(spool and retry) and permanent (tell the caller); nothing else in the SDK looks at
kafka-python's exception types.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, Protocol

from kafka import KafkaProducer
from kafka.errors import (
    KafkaError,
    KafkaTimeoutError,
    OutOfOrderSequenceNumberError,
    TopicAlreadyExistsError,
)
from kafka.future import Future
from kafka.partitioner import DefaultPartitioner, Partitioner
from kafka.producer.future import FutureRecordMetadata

from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicMissing,
    ensure_for_producer,
    kafka_python_producer,
    key_hash,
)
from lienthong.connectors.topics import DEFAULT_LAYOUT, TopicLayout
from lienthong.producers._errors import KafkaUnavailable, ProducerError, PublishRefused
from lienthong.producers._record import Record
from lienthong.producers._settings import PublisherSettings

log = logging.getLogger("lienthong.producers")

# "Never" for a client's delivery timeout: the largest value Kafka's clients accept.
NEVER_MS = 2**31 - 1


def is_transient(exc: BaseException) -> bool:
    """Whether retrying later may succeed (so the event belongs in the spool)."""
    if isinstance(exc, OutOfOrderSequenceNumberError | OSError):
        return True
    if isinstance(exc, KafkaUnavailable):
        return True
    return isinstance(exc, KafkaError) and bool(getattr(exc, "retriable", False))


def translate(exc: BaseException, topic: str) -> ProducerError:
    """A kafka-python error as the SDK's own (the caller raises it ``from exc``)."""
    if isinstance(exc, ProducerError):
        return exc
    if is_transient(exc):
        return KafkaUnavailable(f"Kafka did not take the event for {topic}: {exc}")
    return PublishRefused(
        f"Kafka refused the event for {topic} ({type(exc).__name__}: {exc}); "
        "retrying will not help: check the event size and the agency's ACLs"
    )


class KeyPartitioner(Partitioner):  # type: ignore[misc]  # kafka-python is untyped
    """kafka-python's default placement of a keyed record, for less CPU.

    The same partition as ``DefaultPartitioner`` (Kafka's murmur2 of the key, modulo
    the partition count), so a key stays where the Java client, aiokafka and the
    worker expect it (tested on random keys). The default builds three sets and a
    sorted list per record and hashes a byte at a time: ~4 µs, a seventh of the SDK's
    time in its own thread. This reads the metadata once and hashes with the shared
    ``murmur2``: ~1.5 µs. A record without a key is placed by the default.
    """

    def __init__(self) -> None:
        self._unkeyed = DefaultPartitioner()

    def partition(  # noqa: PLR0917 (kafka-python's signature)
        self,
        topic: str,
        key: object,
        serialized_key: bytes | None,
        value: object,
        serialized_value: bytes | None,
        cluster: Any,
    ) -> int:
        if serialized_key is None:
            unkeyed: int = self._unkeyed.partition(
                topic, key, serialized_key, value, serialized_value, cluster
            )
            return unkeyed
        partitions: set[int] | None = cluster.partitions_for_topic(topic)
        if not partitions:
            raise ValueError(f"Topic {topic} not found in ClusterMetadata")
        return sorted(partitions)[key_hash(serialized_key) % len(partitions)]


class Link(Protocol):
    """What the publisher and its drainer need from a Kafka client."""

    def send(self, record: Record) -> Future:
        """Hand ``record`` over; the future settles with its metadata or an error."""
        ...

    def flush(self, timeout_s: float | None) -> None:
        """Wait until every record handed over has an outcome."""
        ...

    def close(self, timeout_s: float) -> None:
        """Flush and release the client."""
        ...


class KafkaLink:
    """A lazily created producer plus the topics known to exist; thread-safe."""

    def __init__(
        self,
        kafka: KafkaSettings,
        settings: PublisherSettings,
        overrides: dict[str, Any] | None = None,
        layout: TopicLayout = DEFAULT_LAYOUT,
    ) -> None:
        self._kafka = kafka
        self._settings = settings
        self._layout = layout
        delivery_ms = int(settings.delivery_timeout_s * 1000)
        self._config = kafka_python_producer(
            kafka,
            linger_ms=settings.linger_ms,
            batch_size=settings.batch_bytes,
            # The client never gives up on a record, so it writes a partition in the
            # order records were handed to it; the publisher enforces
            # delivery_timeout_s itself (producers/_inflight.py says why).
            delivery_timeout_ms=NEVER_MS,
            request_timeout_ms=30_000,
            # send() blocks this long at most when metadata is missing: short, because
            # blocking means the broker is away and the event should go to the spool.
            max_block_ms=min(delivery_ms, 5000),
            bootstrap_timeout_ms=min(delivery_ms, 5000),
            reconnect_backoff_max_ms=1000,
            # kafka-python's own metrics cost CPU per record and nobody reads them.
            metrics_enabled=False,
            partitioner=KeyPartitioner(),
        ) | (overrides or {})
        self._producer: KafkaProducer | None = None
        self._topics: set[str] = set()
        self._mutex = threading.Lock()

    @property
    def connected(self) -> bool:
        return self._producer is not None

    def producer(self) -> KafkaProducer:
        """The producer, created on first call; raises KafkaUnavailable if Kafka is away."""
        producer = self._producer
        if producer is not None:
            return producer
        with self._mutex:
            if self._producer is None:
                try:
                    self._producer = KafkaProducer(**self._config)
                except KafkaError as exc:
                    raise KafkaUnavailable(
                        f"cannot reach Kafka at {self._kafka.bootstrap_servers}: {exc}"
                    ) from exc
            return self._producer

    def prepare(self, topic: str) -> None:
        """Make sure ``topic`` exists (when the settings allow creating topics).

        Creates it as the layout says on one broker; on a cluster refuses, saying to run
        ``lienthong topics apply`` (:func:`~lienthong.connectors.kafka.ensure_for_producer`).
        """
        if topic in self._topics or not self._settings.create_topics:
            return
        try:
            ensure_for_producer(self._kafka, self._layout.spec(topic))
        except TopicAlreadyExistsError:
            pass
        except TopicMissing as exc:
            raise PublishRefused(str(exc)) from exc
        except (KafkaError, OSError) as exc:
            raise translate(exc, topic) from exc
        self._topics.add(topic)

    def send(self, record: Record) -> FutureRecordMetadata:
        """Hand ``record`` to the producer; raises KafkaUnavailable / PublishRefused."""
        producer = self.producer()
        self.prepare(record.topic)
        try:
            return producer.send(
                record.topic, value=record.value, key=record.key, headers=record.headers
            )
        except (KafkaError, OSError) as exc:
            raise translate(exc, record.topic) from exc

    def flush(self, timeout_s: float | None) -> None:
        if self._producer is not None:
            try:
                self._producer.flush(timeout=timeout_s)
            except KafkaError as exc:
                log.warning("flush did not complete: %s", str(exc))

    def close(self, timeout_s: float) -> None:
        """Flush, then close; records still unacknowledged fail (the publisher spooled them)."""
        with self._mutex:
            producer, self._producer = self._producer, None
        if producer is None:
            return
        try:
            producer.close(timeout=timeout_s)
        except KafkaTimeoutError:
            # kafka-python's close raises when its flush times out, and our producer
            # never expires records by itself: abort them, as its own forced close would.
            producer._sender.force_close()  # no public way to abort
            producer._sender.join(timeout_s)
            producer.close(timeout=0)
