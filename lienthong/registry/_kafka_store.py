"""The registry's I/O: a compacted one-partition Kafka topic, folded in a background thread.

One thread consumes the topic from the beginning and folds every record into a
:class:`RegistryState`; request threads read that state under a lock. A write is a
produced record that the caller waits to see folded (read-your-writes): it returns only
once this instance's consumer has applied the record's offset, so the state the caller
inspects next is the log's verdict on it, the same verdict every other instance reaches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError, KafkaTimeoutError

from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    ensure_topics,
    kafka_python_producer,
)
from lienthong.connectors.topics import COMPACTED, TopicLayout, topic_layout
from lienthong.registry._errors import StoreError, StoreTimeout
from lienthong.registry._records import Record, decode, encode
from lienthong.registry._state import RegistryState

log = logging.getLogger(__name__)
T = TypeVar("T")

_POLL_MS = 100
_RETRY_BACKOFF_S = 1.0


def topic_spec(topic: str, layout: TopicLayout) -> TopicSpec:
    """The registry topic: one partition (one order for all), compacted (kept forever)."""
    return layout.spec(topic, COMPACTED, partitions=1)


class KafkaStore:
    """The registry's state, kept in and rebuilt from a Kafka topic."""

    def __init__(
        self,
        kafka: KafkaSettings,
        topic: str,
        *,
        layout: TopicLayout | None = None,
        timeout_s: float = 15.0,
    ) -> None:
        self.topic = topic
        self._kafka = kafka
        self._layout = layout or topic_layout(kafka)
        self._timeout_s = timeout_s
        self._partition = TopicPartition(topic, 0)
        self._state = RegistryState()
        self._cond = threading.Condition()
        self._applied = 0  # next offset to fold: everything below it is in the state
        self._target = 0  # the topic's end offset when this instance started
        self._caught_up_at: int | None = None  # end offset at start, once reached
        self._stop = threading.Event()
        self._failure: str | None = None
        self._thread: threading.Thread | None = None
        self._producer: KafkaProducer | None = None
        self._offsets: KafkaConsumer | None = None
        self._offsets_lock = threading.Lock()

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> None:
        """Create the topic if needed, start folding it, and return (not yet caught up)."""
        try:
            self._connect()
        except KafkaError as exc:
            self.stop()
            raise StoreError(f"cannot reach Kafka for topic {self.topic!r}: {exc}") from exc
        except BaseException:
            self.stop()
            raise
        self._thread = threading.Thread(
            target=self._run, name=f"registry-{self.topic}", daemon=True
        )
        self._thread.start()

    def _connect(self) -> None:
        ensure_topics(self._kafka, [topic_spec(self.topic, self._layout)])
        self._offsets = KafkaConsumer(**self._kafka.as_kafka_python(), enable_auto_commit=False)
        # A topic just created may take a moment to show up in metadata with a leader.
        partitions = self._until(self._partitions_of_topic, "see the partitions")
        if len(partitions) != 1:
            raise StoreError(
                f"topic {self.topic!r} has {len(partitions)} partitions; the registry needs "
                "exactly one (a single order of records). Use a new topic name."
            )
        self._target = self._until(self._end_offset, "read the topic's end")
        # linger 0: a registration waits for its record, so batching only adds latency.
        self._producer = KafkaProducer(**kafka_python_producer(self._kafka, linger_ms=0))

    def _partitions_of_topic(self) -> set[int] | None:
        assert self._offsets is not None
        return set(self._offsets.partitions_for_topic(self.topic) or ()) or None

    def _until(self, attempt: Callable[[], T | None], what: str) -> T:
        """Retry a start-up step that fails or answers None while Kafka settles."""
        deadline = time.monotonic() + self._timeout_s
        while True:
            try:
                result = attempt()
                if result is not None:
                    return result
            except (KafkaError, StoreError):
                if time.monotonic() > deadline:
                    raise
            if time.monotonic() > deadline:
                raise StoreTimeout(f"could not {what} of {self.topic!r} in {self._timeout_s}s")
            time.sleep(0.1)

    def wait_ready(self, timeout_s: float | None) -> None:
        """Block until the state holds everything the topic held at start (None: no limit)."""
        with self._cond:
            if not self._cond.wait_for(lambda: self.ready or self._failure is not None, timeout_s):
                raise StoreTimeout(f"did not catch up with {self.topic!r} in {timeout_s}s")
            if self._failure is not None:
                raise StoreError(f"the registry stopped reading {self.topic!r}: {self._failure}")

    def stop(self) -> None:
        """Stop the consumer thread and close the Kafka clients."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
        if self._offsets is not None:
            self._offsets.close()
            self._offsets = None

    @property
    def ready(self) -> bool:
        """Caught up with the topic as it was at start, and still folding it."""
        return self._caught_up_at is not None and self.alive

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ------------------------------------------------------------------- reads

    def read(self, question: Callable[[RegistryState], T]) -> T:
        """Ask the state a question while no record is being folded."""
        with self._cond:
            return question(self._state)

    def sync(self) -> None:
        """Wait until every record already in the topic is folded (end-offset barrier)."""
        self._wait_applied(self._end_offset())

    # ------------------------------------------------------------------ writes

    def write(self, records: Sequence[Record]) -> None:
        """Produce ``records`` in order and return once this instance has folded them."""
        if self._producer is None:
            raise StoreError("the registry store is not started")
        if not records:
            return
        try:
            futures = [
                self._producer.send(self.topic, key=key, value=value, partition=0)
                for key, value in (encode(record) for record in records)
            ]
            self._producer.flush(timeout=self._timeout_s)
            last = max(future.get(timeout=self._timeout_s).offset for future in futures)
        except KafkaTimeoutError as exc:
            raise StoreTimeout(f"writing to {self.topic!r} timed out: {exc}") from exc
        except KafkaError as exc:
            raise StoreError(f"writing to {self.topic!r} failed: {exc}") from exc
        self._wait_applied(last + 1)

    # --------------------------------------------------------------- internals

    def _end_offset(self) -> int:
        if self._offsets is None:
            raise StoreError("the registry store is not started")
        try:
            with self._offsets_lock:
                ends = self._offsets.end_offsets([self._partition])
        except KafkaError as exc:
            raise StoreError(f"cannot read the end of {self.topic!r}: {exc}") from exc
        return int(ends[self._partition])

    def _wait_applied(self, offset: int) -> None:
        with self._cond:
            done = self._cond.wait_for(
                lambda: self._applied >= offset or self._failure is not None, self._timeout_s
            )
            if self._failure is not None:
                raise StoreError(f"the registry stopped reading {self.topic!r}: {self._failure}")
            if not done:
                raise StoreTimeout(
                    f"offset {offset} of {self.topic!r} was not read back in {self._timeout_s}s"
                )

    def _run(self) -> None:
        consumer: KafkaConsumer | None = None
        while not self._stop.is_set():
            try:
                if consumer is None:
                    consumer = KafkaConsumer(
                        **self._kafka.as_kafka_python(), enable_auto_commit=False, group_id=None
                    )
                    consumer.assign([self._partition])
                    consumer.seek(self._partition, self._applied)
                self._poll(consumer)
            except KafkaError as exc:
                # Transient (broker restart, network): rebuild the consumer and resume
                # from the last folded offset; readers keep the state they have.
                log.warning("registry consumer of %s failed, retrying: %s", self.topic, exc)
                if consumer is not None:
                    consumer.close()
                consumer = None
                time.sleep(_RETRY_BACKOFF_S)
            except Exception as exc:  # a bug: say so to every waiter instead of hanging them
                log.exception("registry consumer of %s stopped", self.topic)
                with self._cond:
                    self._failure = repr(exc)
                    self._cond.notify_all()
                break
        if consumer is not None:
            consumer.close()

    def _poll(self, consumer: KafkaConsumer) -> None:
        batches = consumer.poll(timeout_ms=_POLL_MS)
        # position, not last offset + 1: compaction and transaction markers leave gaps.
        position = int(consumer.position(self._partition))
        with self._cond:
            for messages in batches.values():
                for message in messages:
                    record = decode(message.key, message.value)
                    if record is None:
                        log.warning("skipping unreadable record at offset %d", message.offset)
                        continue
                    self._state.apply(record)
            self._applied = max(self._applied, position)
            if self._caught_up_at is None and self._applied >= self._target:
                self._caught_up_at = self._applied
            self._cond.notify_all()
