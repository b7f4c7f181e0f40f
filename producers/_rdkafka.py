"""The SDK's opt-in librdkafka transport (``LIENTHONG_PUBLISHER_TRANSPORT=librdkafka``).

kafka-python, the default, spends ~20-25 CPU µs per record in Python; librdkafka
(through confluent-kafka) ~3-5 µs, in C threads. Where a system publishes at
tens of thousands of events per second on few cores, this link lets the same
:class:`~lienthong.producers.Publisher` run on librdkafka with the same guarantees:
acks=all with idempotence (order kept per key), lz4 batches, the same delivery
timeout, and every transient failure handed to the publisher, which spools the event
(and the drainer sends it again later), exactly as with kafka-python.

One difference: kafka-python fails at once when no broker answers, librdkafka queues
and retries by itself, so a publisher starting while Kafka is away spools its events
only once they wait longer than ``delivery_timeout_s``.

confluent-kafka is optional: ``pip install confluent-kafka==2.16.1``. Delivery reports
arrive on a thread of this link that serves librdkafka's queue.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from typing import Any, NamedTuple, cast

from kafka.future import Future

from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicMissing,
    ensure_for_producer,
    librdkafka_producer,
)
from lienthong.connectors.topics import DEFAULT_LAYOUT, TopicLayout
from lienthong.producers._errors import KafkaUnavailable, ProducerError, PublishRefused
from lienthong.producers._link import translate
from lienthong.producers._record import Record
from lienthong.producers._settings import PublisherSettings

log = logging.getLogger("lienthong.producers")


# librdkafka's local errors that mean "not now" (others, e.g. _MSG_SIZE_TOO_LARGE, are final).
_LATER = frozenset(
    {
        "_MSG_TIMED_OUT",
        "_TIMED_OUT",
        "_TRANSPORT",
        "_ALL_BROKERS_DOWN",
        "_RESOLVE",
        "_DESTROY",
        "_PURGE_QUEUE",  # purged by close(): the publisher spools them for next time
        "_PURGE_INFLIGHT",
    }
)


class Acked(NamedTuple):
    """Where Kafka put a record (what the publisher reads of kafka-python's metadata)."""

    topic: str
    partition: int
    offset: int


def _config(kafka: KafkaSettings, settings: PublisherSettings) -> dict[str, Any]:
    return librdkafka_producer(
        kafka,
        **{
            "linger.ms": settings.linger_ms,
            "batch.size": settings.batch_bytes,
            # 0: never give up on a record, so a partition is written in send order; the
            # publisher enforces delivery_timeout_s itself (producers/_inflight.py says why).
            "delivery.timeout.ms": 0,
            "reconnect.backoff.max.ms": 1000,
        },
    )


# kafka-python has no type hints, so its Future is Any to mypy.
class _Report(Future):  # type: ignore[misc]
    """A kafka-python future that is also librdkafka's delivery callback for its record.

    One object per event: the drainer and the publisher read it as they read
    kafka-python's futures, and librdkafka calls it, with no closure in between.
    librdkafka's outcome is only noted here; the link settles futures in send order.
    """

    __slots__ = ("outcome", "topic")

    def __init__(self, topic: str) -> None:
        super().__init__()
        self.topic = topic
        self.outcome: Acked | ProducerError | None = None

    def __call__(self, err: Any, msg: Any) -> None:
        if err is None:
            self.outcome = Acked(self.topic, msg.partition(), msg.offset())
        else:
            self.outcome = _error(err, self.topic)

    def settle(self) -> None:
        """Fire the callbacks (kafka-python's way) with the outcome noted."""
        if isinstance(self.outcome, Acked):
            self.success(self.outcome)
        else:
            self.failure(self.outcome)


def _error(err: Any, topic: str) -> ProducerError:
    """librdkafka's error as the SDK's: transient (spool, retry) or a refusal."""
    # Timeouts, lost connections and fatal idempotence states all mean "later": the
    # publisher spools the event and the drainer resends it (event_id deduplicates).
    if err.retriable() or err.fatal() or err.name() in _LATER:
        return KafkaUnavailable(f"Kafka did not take the event for {topic}: {err.str()}")
    return PublishRefused(
        f"Kafka refused the event for {topic} ({err.name()}: {err.str()}); retrying "
        "will not help: check the event size and the agency's ACLs"
    )


class RdKafkaLink:
    """The publisher's link to Kafka through librdkafka; same interface as KafkaLink."""

    def __init__(
        self,
        kafka: KafkaSettings,
        settings: PublisherSettings,
        layout: TopicLayout = DEFAULT_LAYOUT,
    ) -> None:
        try:
            from confluent_kafka import Producer  # noqa: PLC0415 (optional dependency)
        except ImportError as exc:
            raise ProducerError(
                "LIENTHONG_PUBLISHER_TRANSPORT=librdkafka needs confluent-kafka: "
                "pip install confluent-kafka==2.16.1"
            ) from exc
        self._kafka = kafka
        self._settings = settings
        self._layout = layout
        self._producer = Producer(_config(kafka, settings))
        self._topics: set[str] = set()
        # Futures in send order. librdkafka may report a timed-out queued record before
        # an older in-flight one of the same partition; settling strictly in send order
        # keeps the spool (and so a key's order) as the publisher sent them.
        self._pending: deque[_Report] = deque()
        self._settled = threading.Condition()
        self._closed = threading.Event()
        self._poller = threading.Thread(target=self._serve, name="lienthong-rdkafka", daemon=True)
        self._poller.start()

    @property
    def connected(self) -> bool:
        return True  # librdkafka connects, and reconnects, by itself

    def _serve(self) -> None:
        # Delivery reports are served on this thread only (never in flush), as
        # kafka-python serves them on its sender thread: outcomes fire one at a time.
        while not self._closed.is_set():
            self._producer.poll(0.1)
            self._settle()

    def _settle(self) -> None:
        while True:
            with self._settled:
                if not self._pending or self._pending[0].outcome is None:
                    if not self._pending:
                        self._settled.notify_all()
                    return
                report = self._pending.popleft()
            report.settle()  # outside the lock: the publisher's callbacks take their own

    def prepare(self, topic: str) -> None:
        """Make sure ``topic`` exists (when the settings allow creating topics)."""
        if topic in self._topics or not self._settings.create_topics:
            return
        try:
            ensure_for_producer(self._kafka, self._layout.spec(topic))
        except TopicMissing as exc:
            raise PublishRefused(str(exc)) from exc
        except Exception as exc:  # kafka-python's admin raises many types; all mean "not now"
            if "TopicAlreadyExists" not in type(exc).__name__:
                raise translate(exc, topic) from exc
        self._topics.add(topic)

    def send(self, record: Record) -> Future:
        """Queue ``record`` in librdkafka; raises KafkaUnavailable when it cannot."""
        self.prepare(record.topic)
        report = _Report(record.topic)
        with self._settled:
            self._pending.append(report)
        deadline = time.monotonic() + min(self._settings.delivery_timeout_s, 5.0)
        while True:
            try:
                self._producer.produce(
                    record.topic,
                    record.value,
                    record.key,
                    headers=cast(Any, record.headers),  # a list of (str, bytes), as it takes
                    on_delivery=report,
                )
            except BufferError:  # the local queue is full: wait for deliveries, briefly
                if time.monotonic() > deadline:
                    self._forget(report)
                    raise KafkaUnavailable(
                        f"librdkafka's queue stayed full for {record.topic}"
                    ) from None
                time.sleep(0.01)
            except Exception as exc:  # confluent_kafka.KafkaException and kin
                self._forget(report)
                raise translate(exc, record.topic) from exc
            else:
                return report

    def _forget(self, report: _Report) -> None:
        with self._settled:
            self._pending.remove(report)  # never handed to librdkafka

    def flush(self, timeout_s: float | None) -> None:
        """Wait until every record handed over has an outcome (its callbacks fired)."""
        with self._settled:
            if not self._settled.wait_for(lambda: not self._pending, timeout_s):
                log.warning("flush did not complete: %d events in flight", len(self._pending))

    def close(self, timeout_s: float) -> None:
        """Flush; what is still unacknowledged then is purged, so the publisher spools it
        (as kafka-python's close fails its pending records); then stop librdkafka."""
        self.flush(timeout_s)
        if self._pending:
            self._producer.purge(in_queue=True, in_flight=True)
            self.flush(5.0)  # the purge reports come back through the poll thread
        self._closed.set()
        self._poller.join(timeout_s)
        self._producer.close()
