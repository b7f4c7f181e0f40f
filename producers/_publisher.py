"""The agency SDK's :class:`Publisher`: typed events in, Avro on Kafka out, nothing lost.

Delivery is at least once. An event goes straight to Kafka while Kafka answers; when
it does not (unreachable, or no acknowledgement within ``delivery_timeout_s``) the
event goes to the durable spool and a background thread delivers it once Kafka is
back. A retry after a timeout may deliver an event twice (the first attempt may have
landed after all): **``event_id`` is the idempotency key downstream** and every
consumer of the axis deduplicates on it.

Order per key (the entity id: a dossier, a case, a document) is kept whatever the
outage length: the Kafka client never gives up on a record, so its idempotent producer
writes each partition in the order records were handed to it; once a record waits
longer than the delivery timeout, every record still in the client is in doubt and is
copied to the spool in send order, and every later event queues behind them there
(``_inflight.py`` says why). After a failure the publisher stays *offline* (everything
is spooled, without waiting on Kafka each time) until the drainer has delivered the
whole spool.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import TopicLayout, topic_layout
from lienthong.producers._drain import Drainer
from lienthong.producers._encoding import EventEncoder
from lienthong.producers._errors import (
    InvalidEvent,
    KafkaUnavailable,
    ProducerError,
    PublisherClosed,
)
from lienthong.producers._inflight import (
    COPIED,
    IN_CLIENT,
    InFlight,
    Pending,
    Settlement,
    mark_copied,
)
from lienthong.producers._link import KafkaLink, Link, is_transient, translate
from lienthong.producers._record import Delivery, DeliveryCallback, Record
from lienthong.producers._settings import PublisherSettings
from lienthong.producers._spool import Spool
from lienthong.schemas.models import EventModel
from lienthong.schemas.registry_client import RegistryClient, SchemaRegistry

log = logging.getLogger("lienthong.producers")

# How many delivery timeouts draining waits for records still in the client (see _watch).
PATIENCE = 4


def _ignore(_: Delivery) -> None:
    return None


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
        layout: TopicLayout | None = None,
    ) -> None:
        """Open the spool and start draining it; Kafka itself is contacted lazily.

        ``layout`` names and makes the ingress topics (default: ``LIENTHONG_TOPIC_*``).
        """
        self.kafka = kafka or KafkaSettings()
        self.settings = settings or PublisherSettings()
        self.layout = layout or topic_layout(self.kafka)
        self._own_registry = registry is None
        self._registry: SchemaRegistry = registry or RegistryClient(self.settings.registry_url)
        self.encoder = EventEncoder(self._registry, self.layout)
        self._link: Link
        if self.settings.transport == "librdkafka":
            from lienthong.producers._rdkafka import RdKafkaLink  # noqa: PLC0415 (optional)

            self._link = RdKafkaLink(self.kafka, self.settings, self.layout)
        else:
            self._link = KafkaLink(self.kafka, self.settings, producer_overrides, self.layout)
        self._spool = Spool(self.settings.spool_path, max_bytes=self.settings.spool_max_bytes)
        self._online = threading.Event()
        self._online.set()
        self._closed = False
        # Serialises the "spool or send" decision with spooling, so that an event never
        # overtakes an earlier one of its key on its way into the spool.
        self._route = threading.Lock()
        self._inflight = InFlight()
        self._offline_since = 0.0  # when the publisher last went offline (monotonic)
        self._settlement = Settlement()
        self._drainer = Drainer(self._spool, self._link, self._online, self.settings, self._watch)
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
        if self._closed:
            raise PublisherClosed("this publisher is closed; create a new one")
        told: list[Pending] = []
        spooled: Delivery | None = None
        try:
            with self._route:
                if not self._online.is_set() or self._spool.has_pending(record.topic, record.key):
                    spooled = self._to_spool(record)
                else:
                    try:
                        future = self._link.send(record)
                    except KafkaUnavailable as exc:
                        # What is still in the client goes to the spool first, this behind.
                        told = self._go_offline(exc)
                        spooled = self._to_spool(record)
                    else:
                        pending = Pending(record, callback, self._failed, self._settlement)
                        self._inflight.add(pending)
        finally:
            _tell_spooled(told)  # outside the lock: a callback may publish again
        if spooled is not None:
            callback(spooled)
            return
        # Outside the lock too: an outcome already known is told at once.
        future.add_callback(pending.acked)
        future.add_errback(pending)

    def spool_records(self, records: Sequence[Record]) -> None:
        """Put records straight into the spool (kept in order, delivered later)."""
        with self._route:
            self._spool.append(records)
        self._drainer.wake()

    # -- outcomes ------------------------------------------------------------------
    def _failed(self, pending: Pending, exc: Exception) -> None:
        """The client failed a record (called from its thread)."""
        record = pending.record()
        if not is_transient(exc):
            state = pending.claim()
            error = translate(exc, record.topic)
            error.__cause__ = exc
            log.error("event %s refused: %s", record.event_id, str(error))
            if state == IN_CLIENT:
                try:
                    pending.tell(Delivery(record.event_id, record.topic, error=error))
                finally:
                    pending.told()
            return  # a copy in the spool (COPIED) is refused again, and kept, by the drainer
        # It and everything else still in the client go to the spool, in send order.
        with self._route:
            told = self._go_offline(exc)
        if pending.state == COPIED:
            pending.claim()  # its copy is now the record: the spool delivers it
        _tell_spooled(told)

    def _watch(self) -> bool:
        """The drainer's regular look: copy what waited too long; drop needless copies.

        Returns whether draining should wait: while the client still holds records
        (sent directly, or copied to the spool), they reach Kafka first once it is back
        and each ack makes its copy needless, so draining then sends no copy twice. A
        client still holding them ``PATIENCE`` delivery timeouts after the publisher went
        offline is not waited for any more: the spool is drained behind them, in order.
        """
        with self._route:
            told = (
                self._go_offline(None)
                if self._inflight.overdue(self.settings.delivery_timeout_s)
                else []
            )
            busy = not self._inflight.empty or self._settlement.copied > 0
        _tell_spooled(told)
        self._spool.discard(self._settlement.take_needless())
        waited = time.monotonic() - self._offline_since
        return busy and waited < PATIENCE * self.settings.delivery_timeout_s

    def _go_offline(self, exc: BaseException | None) -> list[Pending]:
        """Under the routing lock: copy the records in doubt to the spool, in send order,
        and spool every later event behind them. The records whose callers learn
        ``spooled`` (to be told outside the lock)."""
        doubtful = self._inflight.in_doubt()
        told: list[Pending] = []
        if doubtful:
            try:
                seqs = self._spool.append([p.record() for p in doubtful])
            except ProducerError as exc_full:
                # They stay in the client (which keeps trying) and in doubt for next time.
                log.error("%d events in doubt could not be spooled: %s", len(doubtful), exc_full)  # noqa: TRY400
            else:
                told = mark_copied(doubtful, seqs, self._settlement)
                self._drainer.wake()
        # Spool first, then go offline: the drainer marks the publisher online whenever
        # it finds the spool empty, so the other order lets it flip back online between.
        if self._online.is_set():
            self._offline_since = time.monotonic()
            # str(exc), not exc: a log record must not keep the exception (and through
            # its traceback, kafka-python's sockets) alive.
            reason = (
                str(exc)
                if exc is not None
                else (f"no acknowledgement within {self.settings.delivery_timeout_s}s")
            )
            log.warning("Kafka unavailable, spooling events to %s: %s", self._spool.path, reason)
        self._online.clear()
        return told

    def _to_spool(self, record: Record) -> Delivery:
        """Spool ``record`` (under the routing lock, in the caller's thread: a full spool
        raises, as promised); the outcome for its callback."""
        self._spool.append([record])
        self._drainer.wake()
        return Delivery(record.event_id, record.topic, spooled=True)

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
        """Wait until every event handed to Kafka has an outcome (acked or spooled).

        Bounded by the delivery timeout (and the drainer's look, twice a second): an
        event not acknowledged by then is spooled.
        """
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            with self._route:
                if self._inflight.empty:
                    return
            if deadline is not None and time.monotonic() >= deadline:
                log.warning("flush did not complete within %ss", timeout_s)
                return
            time.sleep(0.005)

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
        # What Kafka has not acknowledged by now waits in the spool for next time.
        with self._route:
            told = [] if self._inflight.empty else self._go_offline(PublisherClosed("closing"))
        _tell_spooled(told)
        self._link.close(timeout_s)
        self._spool.discard(self._settlement.take_needless())
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


def _tell_spooled(told: list[Pending]) -> None:
    """Tell each caller its event is safe in the spool (outside every lock)."""
    for pending in told:
        record = pending.record()
        pending.tell(Delivery(record.event_id, record.topic, spooled=True))


__all__ = ["Publisher"]
