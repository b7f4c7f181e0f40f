"""Kafka writers of the connectors: transactional batches with their position, dead letters.

A source connector's position (the last outbox row, the files already published) lives
in Kafka, in the compacted topic ``lienthong.connect.positions`` keyed by connector
name, and is written **in the same Kafka transaction** as the batch it covers. So a
crash at any point leaves either the batch and its position, or neither: a restart
neither loses nor repeats (for readers with ``isolation.level=read_committed``; a
read-uncommitted reader may also see the aborted attempt, which ``event_id`` dedups).

The transactional id is the connector's name: starting an instance fences any older
one still alive (it gets :class:`ConnectorFenced` and stops), and aborts whatever
transaction a killed instance left open.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError, ProducerFencedError

from lienthong.connectors.errors import ConnectorFenced, KafkaUnavailable, PositionError
from lienthong.connectors.events import OutRecord
from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicMissing,
    ensure_for_producer,
    ensure_topics,
    kafka_python_producer,
)
from lienthong.connectors.topics import DEFAULT_LAYOUT, TopicLayout, connect_positions_spec
from lienthong.schemas.deadletter import DeadRecord

log = logging.getLogger("lienthong.connectors")

_FENCED_NAMES = ("ProducerFenced", "InvalidProducerEpoch", "TransactionalIdAuthorization")


def _is_fenced(exc: BaseException) -> bool:
    return isinstance(exc, ProducerFencedError) or any(
        name in type(exc).__name__ for name in _FENCED_NAMES
    )


def transactional_id(connector: str) -> str:
    """The Kafka transactional id of a connector (stable across restarts)."""
    return f"lienthong-connect.{connector}"


class TopicMaker:
    """Creates each destination topic once, as the layout says (on one broker only).

    On a cluster a missing topic is an admin's job (``lienthong topics apply``): the
    connector fails with that advice and its supervisor retries until the topic exists.
    """

    def __init__(self, kafka: KafkaSettings, *, create: bool, layout: TopicLayout) -> None:
        self._kafka = kafka
        self._create = create
        self._layout = layout
        self._known: set[str] = set()

    def ensure(self, topics: Iterable[str]) -> None:
        missing = {t for t in topics if t not in self._known}
        if not missing:
            return
        if self._create:
            try:
                for topic in sorted(missing):
                    ensure_for_producer(self._kafka, self._layout.spec(topic))
            except TopicMissing as exc:
                raise KafkaUnavailable(str(exc)) from exc
            except (KafkaError, OSError) as exc:
                raise KafkaUnavailable(f"cannot create topics {sorted(missing)}: {exc}") from exc
        self._known |= missing


class TransactionalWriter:
    """Writes batches and the connector's position atomically (see the module docstring)."""

    def __init__(
        self,
        kafka: KafkaSettings,
        connector: str,
        *,
        create_topics: bool = True,
        layout: TopicLayout = DEFAULT_LAYOUT,
        transaction_timeout_ms: int = 60_000,
    ) -> None:
        self.connector = connector
        self._kafka = kafka
        self._layout = layout
        self._timeout_ms = transaction_timeout_ms
        self.topics = TopicMaker(kafka, create=create_topics, layout=layout)
        self._producer: KafkaProducer | None = None

    def open(self) -> Any:
        """Fence older instances, then return the last committed position (or None)."""
        try:
            ensure_topics(self._kafka, [connect_positions_spec(self._layout)])
            self._producer = KafkaProducer(
                **kafka_python_producer(
                    self._kafka,
                    transactional_id=transactional_id(self.connector),
                    transaction_timeout_ms=self._timeout_ms,
                    metrics_enabled=False,
                )
            )
            self._producer.init_transactions()
        except KafkaError as exc:
            raise self._translate(exc, "start a transaction") from exc
        return read_position(
            self._kafka,
            self.connector,
            layout=self._layout,
            timeout_s=self._timeout_ms / 1000 + 10,
        )

    def commit(self, records: Sequence[OutRecord], position: Any) -> None:
        """Write ``records`` and ``position`` in one transaction; all or nothing."""
        producer = self._producer
        if producer is None:
            raise PositionError("open() the writer before committing")
        self.topics.ensure({r.topic for r in records})
        try:
            producer.begin_transaction()
            for record in records:
                producer.send(
                    record.topic, value=record.value, key=record.key, headers=record.headers
                )
            producer.send(
                self._layout.connect_positions,
                key=self.connector.encode(),
                value=position_value(self.connector, position),
            )
            producer.commit_transaction()
        except KafkaError as exc:
            self._abort()
            raise self._translate(exc, "commit a batch") from exc

    def _abort(self) -> None:
        try:
            if self._producer is not None:
                self._producer.abort_transaction()
        except KafkaError as exc:  # the restart's init_transactions aborts it anyway
            log.debug("abort after a failed commit failed too: %s", exc)

    def _translate(self, exc: KafkaError, doing: str) -> Exception:
        if _is_fenced(exc):
            return ConnectorFenced(
                f"connector {self.connector!r}: another instance took over ({exc}); "
                "run one instance per connector name"
            )
        return KafkaUnavailable(f"connector {self.connector!r} could not {doing}: {exc}")

    def close(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(timeout=5)
            except KafkaError as exc:
                log.debug("closing the transactional producer: %s", exc)
            self._producer = None


def position_value(connector: str, position: Any) -> bytes:
    """The JSON stored for a position (with when, for people reading the topic)."""
    body = {"connector": connector, "position": position, "at": datetime.now(UTC).isoformat()}
    return json.dumps(body, ensure_ascii=False, sort_keys=True).encode()


def read_position(
    kafka: KafkaSettings,
    connector: str,
    *,
    layout: TopicLayout = DEFAULT_LAYOUT,
    timeout_s: float = 70.0,
) -> Any:
    """The last committed position of ``connector``, or None.

    Reads the positions topic whole with ``read_committed`` up to its high watermark as
    it is now: every transaction of ours is then finished (``init_transactions`` ran),
    and another connector's open transaction is waited for, not skipped past.
    """
    topic = layout.connect_positions
    tp = TopicPartition(topic, 0)
    key = connector.encode()
    found: Any = None
    try:
        peek = KafkaConsumer(**kafka.as_kafka_python(), enable_auto_commit=False)
        try:
            high = peek.end_offsets([tp])[tp]
        finally:
            peek.close()
        reader = KafkaConsumer(
            **kafka.as_kafka_python(), enable_auto_commit=False, isolation_level="read_committed"
        )
    except KafkaError as exc:
        raise PositionError(f"cannot read {topic}: {exc}") from exc
    try:
        reader.assign([tp])
        reader.seek_to_beginning(tp)
        deadline = time.monotonic() + timeout_s
        while reader.position(tp) < high:
            if time.monotonic() > deadline:
                raise PositionError(
                    f"{topic} was not readable to offset {high} within "
                    f"{timeout_s:.0f}s (a transaction stays open?)"
                )
            for batch in reader.poll(timeout_ms=200).values():
                for message in batch:
                    if message.key == key:
                        found = _decode_position(message.value)
    except KafkaError as exc:
        raise PositionError(f"cannot read {topic}: {exc}") from exc
    finally:
        reader.close()
    return found


def _decode_position(value: bytes | None) -> Any:
    if value is None:  # a tombstone: the position was reset
        return None
    try:
        body = json.loads(value)
    except ValueError as exc:
        raise PositionError(f"a position is not JSON: {exc}") from exc
    return body.get("position") if isinstance(body, Mapping) else None


class DeadLetterWriter:
    """A plain idempotent producer for sinks' dead letters (flushed before offsets move)."""

    def __init__(
        self, kafka: KafkaSettings, topic: str | None, layout: TopicLayout = DEFAULT_LAYOUT
    ) -> None:
        self.topic = topic or layout.deadletter
        self._kafka = kafka
        self._producer: KafkaProducer | None = None
        self._pending: list[Any] = []
        self.topics = TopicMaker(kafka, create=True, layout=layout)

    def send(self, letter: DeadRecord) -> None:
        try:
            if self._producer is None:
                self._producer = KafkaProducer(
                    **kafka_python_producer(self._kafka, metrics_enabled=False)
                )
            self.topics.ensure([self.topic])
            future = self._producer.send(
                self.topic, key=letter.key, value=letter.value, headers=letter.headers()
            )
        except KafkaError as exc:
            raise KafkaUnavailable(f"cannot write a dead letter to {self.topic}: {exc}") from exc
        self._pending.append(future)

    def send_all(self, letters: Sequence[DeadRecord]) -> None:
        """Send ``letters`` and wait until Kafka acknowledged every one."""
        for letter in letters:
            self.send(letter)
        self.flush()

    def flush(self, timeout_s: float = 30.0) -> None:
        """Wait until every letter is acknowledged; raise KafkaUnavailable if one failed."""
        if self._producer is None or not self._pending:
            return
        pending, self._pending = self._pending, []
        try:
            self._producer.flush(timeout=timeout_s)
        except KafkaError as exc:
            raise KafkaUnavailable(f"dead letters to {self.topic} not acknowledged: {exc}") from exc
        failed = [f.exception for f in pending if f.failed()]
        if failed:
            raise KafkaUnavailable(
                f"{len(failed)} dead letters to {self.topic} were refused: {failed[0]}"
            ) from failed[0]

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close(timeout=5)
            self._producer = None
