"""The agency SDK's :class:`Publisher`: typed events in, Avro on Kafka out, nothing lost.

Delivery is at least once. An event goes straight to Kafka while Kafka answers; when
it does not (unreachable, or no acknowledgement within ``delivery_timeout_s``) the
event goes to the durable spool and a background thread delivers it once Kafka is
back. A retry after a timeout may deliver an event twice (the first attempt may have
landed after all): **``event_id`` is the idempotency key downstream** and every
consumer of the axis deduplicates on it.

Order per key (the entity id: a dossier, a case, a document) is kept: while a key has
events in the spool, its new events queue behind them in the spool; Kafka's idempotent
producer keeps the order of those sent directly. After a failure the publisher stays
*offline* (everything is spooled, without waiting on Kafka each time) until the
drainer has delivered the whole spool.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

from kafka.producer.future import RecordMetadata

from lienthong.producers._drain import Drainer
from lienthong.producers._encoding import EventEncoder
from lienthong.producers._errors import (
    InvalidEvent,
    KafkaUnavailable,
    ProducerError,
    PublisherClosed,
)
from lienthong.producers._link import KafkaLink, Link, is_transient, translate
from lienthong.producers._record import Delivery, DeliveryCallback, Record
from lienthong.producers._settings import PublisherSettings
from lienthong.producers._spool import Spool
from lienthong.schemas.models import EventModel
from lienthong.schemas.registry_client import RegistryClient, SchemaRegistry
from lienthong.settings import KafkaSettings

log = logging.getLogger("lienthong.producers")


def _ignore(_: Delivery) -> None:
    return None


class _Outcome:
    """What kafka-python calls back for one record: its errback (and ack callback).

    One small object per event in flight, holding the record's parts as a flat tuple,
    in place of a ``functools.partial``, a bound method, the record and its header
    list. In-flight events are many (the producer buffers megabytes), and every
    container they keep alive is rescanned by each garbage collection until its ack:
    that cost more CPU per event than the Avro encoding did (bench_producers.py).
    """

    __slots__ = ("_on_delivery", "_parts", "_publisher")

    def __init__(self, publisher: Publisher, record: Record, on_delivery: DeliveryCallback):
        self._publisher = publisher
        # Only str and bytes inside: the collector stops tracking such tuples.
        self._parts = (
            record.topic,
            record.key,
            record.value,
            tuple(record.headers),
            record.event_id,
        )
        self._on_delivery = on_delivery

    def record(self) -> Record:
        """The record this outcome is for, as it was sent."""
        topic, key, value, headers, event_id = self._parts
        return Record(topic, key, value, list(headers), event_id)

    def acked(self, meta: RecordMetadata) -> None:
        """Kafka acknowledged: tell the caller where the event landed."""
        self._on_delivery(Delivery(self._parts[4], self._parts[0], meta.partition, meta.offset))

    def __call__(self, exc: Exception) -> None:
        """Kafka failed the record: spool it, or report a permanent refusal."""
        self._publisher._failed(self.record(), self._on_delivery, exc)


class Publisher:
    """Publish typed events to the axis from an agency system.

    >>> with Publisher() as publisher:                      # doctest: +SKIP
    ...     delivery = publisher.publish(event)             # waits for Kafka's ack
    ...     publisher.publish_async(other, on_delivery=print)
    ...     publisher.publish_many(backlog, on_delivery=print)  # cheaper per event
    ...     publisher.flush()

    Thread-safe. One publisher per process and spool file (the file is locked).
    """

    def __init__(
        self,
        kafka: KafkaSettings | None = None,
        settings: PublisherSettings | None = None,
        *,
        registry: SchemaRegistry | None = None,
        producer_overrides: dict[str, Any] | None = None,
    ) -> None:
        """Open the spool and start draining it; Kafka itself is contacted lazily."""
        self.kafka = kafka or KafkaSettings()
        self.settings = settings or PublisherSettings()
        self._own_registry = registry is None
        self._registry: SchemaRegistry = registry or RegistryClient(self.settings.registry_url)
        self.encoder = EventEncoder(self._registry)
        self._link: Link
        if self.settings.transport == "librdkafka":
            from lienthong.producers._rdkafka import RdKafkaLink  # noqa: PLC0415 (optional)

            self._link = RdKafkaLink(self.kafka, self.settings)
        else:
            self._link = KafkaLink(self.kafka, self.settings, producer_overrides)
        self._spool = Spool(self.settings.spool_path, max_bytes=self.settings.spool_max_bytes)
        self._online = threading.Event()
        self._online.set()
        self._closed = False
        # Serialises the "spool or send" decision with spooling, so that an event never
        # overtakes an earlier one of its key on its way into the spool.
        self._route = threading.Lock()
        self._drainer = Drainer(self._spool, self._link, self._online, self.settings)
        self._drainer.start()

    # -- publishing ----------------------------------------------------------------
    def publish(self, event: EventModel, *, timeout_s: float | None = None) -> Delivery:
        """Publish and wait: Kafka's (topic, partition, offset), or ``spooled=True``.

        Raises InvalidEvent (nothing sent), PublishRefused, SpoolFull, RegistryUnreachable.
        """
        return self.publish_record(self.encoder.encode(event), timeout_s=timeout_s)

    def publish_async(self, event: EventModel, on_delivery: DeliveryCallback | None = None) -> None:
        """Publish without waiting; ``on_delivery`` is called once, from another thread.

        A bad event, or a full spool while Kafka is away, still raises here. Only an
        event that fails later (Kafka refuses it, or the spool fills meanwhile) is
        reported through ``on_delivery`` alone (and logged): pass one to see those.
        """
        self.send_record(self.encoder.encode(event), on_delivery)

    def publish_many(
        self, events: Iterable[EventModel], on_delivery: DeliveryCallback | None = None
    ) -> None:
        """Publish several events without waiting, each as :meth:`publish_async` would.

        All of them are encoded first: a bad one raises InvalidEvent, with its
        ``index``, and none is sent. Then they go to Kafka (or the spool) in the order
        given, ``on_delivery`` called once for each. Handing them over together costs
        less CPU an event than a ``publish_async`` call each: the encoder and the Kafka
        client stop evicting each other's data from the CPU caches between events
        (bench_producers.py). If the spool fills while Kafka is away, SpoolFull is
        raised: the events before were accepted (and reported), the rest were not.
        Give it a chunk at a time (hundreds): its records are all held until sent.
        """
        records = []
        for index, event in enumerate(events):
            try:
                records.append(self.encoder.encode(event))
            except InvalidEvent as exc:
                raise InvalidEvent(exc.event_type, exc.errors, index=index) from None
        for record in records:
            self.send_record(record, on_delivery)

    def publish_record(self, record: Record, *, timeout_s: float | None = None) -> Delivery:
        """Like :meth:`publish` for an event already encoded (by :attr:`encoder`)."""
        done = threading.Event()
        outcome: list[Delivery] = []

        def finished(delivery: Delivery) -> None:
            outcome.append(delivery)
            done.set()

        self.send_record(record, finished)
        # The delivery timeout bounds the wait: a late ack turns into spooling.
        wait = timeout_s if timeout_s is not None else self.settings.delivery_timeout_s + 30
        if not done.wait(wait):
            raise KafkaUnavailable(
                f"no outcome for event {record.event_id} after {wait}s; it may still "
                "be delivered (event_id deduplicates a retry)"
            )
        delivery = outcome[0]
        if delivery.error is not None:
            raise delivery.error
        return delivery

    def send_record(self, record: Record, on_delivery: DeliveryCallback | None = None) -> None:
        """Send an encoded record: to Kafka, or to the spool when it must wait."""
        callback = on_delivery or _ignore
        spooled: Delivery | None = None
        if self._closed:
            raise PublisherClosed("this publisher is closed; create a new one")
        with self._route:
            if not self._online.is_set() or self._spool.has_pending(record.topic, record.key):
                spooled = self._to_spool(record, in_caller=True)
            else:
                try:
                    future = self._link.send(record)
                except KafkaUnavailable as exc:
                    # Spool first, then go offline: the drainer marks the publisher
                    # online whenever it finds the spool empty, so the other order lets
                    # it flip back online between the two steps.
                    try:
                        spooled = self._to_spool(record, in_caller=True)
                    finally:
                        self._go_offline(exc)
        if spooled is not None:
            # Outside the lock: a callback may publish again.
            callback(spooled)
            return
        outcome = _Outcome(self, record, callback)
        if on_delivery is not None:  # nobody listens: skip a callback per event
            future.add_callback(outcome.acked)
        future.add_errback(outcome)

    def spool_records(self, records: Sequence[Record]) -> None:
        """Put records straight into the spool (kept in order, delivered later)."""
        with self._route:
            self._spool.append(records)
        self._drainer.wake()

    # -- outcomes (called from kafka-python's sender thread) -------------------------
    def _failed(self, record: Record, on_delivery: DeliveryCallback, exc: Exception) -> None:
        if not is_transient(exc):
            error = translate(exc, record.topic)
            error.__cause__ = exc
            log.error("event %s refused: %s", record.event_id, str(error))
            on_delivery(Delivery(record.event_id, record.topic, error=error))
            return
        # Spooled and offline under the routing lock: no later event of this key can
        # slip past it (a publishing thread decides under the same lock).
        with self._route:
            delivery = self._to_spool(record, in_caller=False)
            self._go_offline(exc)  # after spooling: see send_record
        on_delivery(delivery)  # outside the lock: a callback may publish again

    def _to_spool(self, record: Record, *, in_caller: bool) -> Delivery:
        """Spool ``record`` (under the routing lock); the outcome for its callback."""
        try:
            self._spool.append([record])
        except ProducerError as exc:
            if in_caller:  # the caller's thread: a full spool raises, as promised
                raise
            # kafka-python's thread: nobody to raise to but the callback (and the log).
            log.error("event %s could not be spooled: %s", record.event_id, str(exc))  # noqa: TRY400
            return Delivery(record.event_id, record.topic, error=exc)
        self._drainer.wake()
        return Delivery(record.event_id, record.topic, spooled=True)

    def _go_offline(self, exc: BaseException) -> None:
        if self._online.is_set():
            # str(exc), not exc: a log record must not keep the exception (and through
            # its traceback, kafka-python's sockets) alive.
            log.warning("Kafka unavailable, spooling events to %s: %s", self._spool.path, str(exc))
        self._online.clear()

    # -- state and lifecycle ---------------------------------------------------------
    @property
    def online(self) -> bool:
        """False while events are being spooled instead of sent."""
        return self._online.is_set()

    @property
    def spooled(self) -> int:
        """How many events wait in the spool."""
        return len(self._spool)

    def spool_rejected(self) -> list[tuple[str, str]]:
        """(event_id, reason) of spooled events Kafka later refused for good."""
        return self._spool.rejected()

    def flush(self, timeout_s: float | None = None) -> None:
        """Wait until every event handed to Kafka has an outcome (acked or spooled)."""
        self._link.flush(timeout_s)

    def wait_drained(self, timeout_s: float) -> bool:
        """Wait until the spool is empty (True) or ``timeout_s`` passed (False)."""
        self._drainer.wake()
        return self._drainer.wait_empty(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        """Flush, stop draining and close. Spooled events stay on disk for next time."""
        if self._closed:
            return
        self._closed = True
        self.flush(timeout_s)
        self._drainer.stop(timeout_s)
        self._link.close(timeout_s)
        self._spool.close()
        if self._own_registry and isinstance(self._registry, RegistryClient):
            self._registry.close()

    def __enter__(self) -> Publisher:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["Publisher"]
