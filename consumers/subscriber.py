"""The subscriber SDK: typed events from subscriber topics, at least once, with retries.

::

    from lienthong.consumers import Subscriber, StartFrom

    async def handle(event: EventModel, record: Received) -> None:
        ...  # raise to retry; after the last attempt the event goes to the dead letters

    async with Subscriber(["lienthong.sub.ioc"], group="ioc") as subscriber:
        await subscriber.run(handle)

    async with Subscriber(["lienthong.sub.ioc"], group="ioc") as subscriber:
        async for event in subscriber:      # committed once the loop body is done
            ...

Guarantees: an offset is committed only after the handler returned (or the event was
dead-lettered, the dead letter acknowledged by Kafka first), so a crash re-delivers the
events since the last commit (at least once); ids handled moments ago are dropped (a
bounded in-memory set: a second line of defence, not exactly-once). Events of a
partition are handled in order, one at a time; a failing one is retried with
exponential backoff (:class:`RetryPolicy`) and then written to the group's own
dead-letter topic (``lienthong.sub.<group>.deadletter``) with the error as reason.

aiokafka, not kafka-python: downstream services are asyncio programs (web apps, the
worker), and it consumes at ~6.5 µs per message against ~27 µs (DESIGN.md).
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRebalanceListener, TopicPartition
from aiokafka.structs import OffsetAndMetadata
from pydantic import ValidationError

from lienthong.connectors.kafka import KafkaSettings, aiokafka_producer, ensure_topics
from lienthong.connectors.resilience import Backoff
from lienthong.connectors.topics import TopicLayout, axis_topics, topic_layout
from lienthong.consumers.dedup import RecentIds
from lienthong.consumers.errors import SubscriberClosed
from lienthong.consumers.gate import now_ms
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h
from lienthong.schemas.catalogue import UnknownEventType
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.errors import CodecError
from lienthong.schemas.event_decoder import EventDecoder
from lienthong.schemas.models import EventModel, describe, violations
from lienthong.schemas.registry_client import RegistryClient, SchemaRegistry

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RetryPolicy:
    """How often a failing handler is tried, and the backoff between tries.

    The backoff is the axis's one (:class:`~lienthong.connectors.resilience.Backoff`,
    the HTTP sinks' too): exponential, capped, with jitter so that several instances of
    a subscriber do not retry in step.
    """

    attempts: int = 3
    backoff: Backoff = field(default_factory=lambda: Backoff(initial_s=0.2, max_s=10.0))


@dataclass(frozen=True)
class StartFrom:
    """Where a subscriber starts reading partitions it has no say on yet (replay)."""

    timestamp_ms: int | None = None
    offset: int | None = None

    @classmethod
    def time(cls, when: datetime) -> StartFrom:
        """Replay from the first record at or after ``when``."""
        return cls(timestamp_ms=int(when.timestamp() * 1000))

    @classmethod
    def at_offset(cls, offset: int) -> StartFrom:
        """Replay every partition from ``offset`` (clamped to what Kafka still has)."""
        return cls(offset=offset)


@dataclass(frozen=True)
class Received:
    """Where an event was read, and its trusted headers."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    headers: dict[str, bytes]


Handler = Callable[[EventModel, Received], Awaitable[None]]


class _Replay(ConsumerRebalanceListener):  # type: ignore[misc]  # aiokafka has no types
    def __init__(self, subscriber: Subscriber, start: StartFrom) -> None:
        self._subscriber = subscriber
        self._start = start
        self._done: set[TopicPartition] = set()

    async def on_partitions_revoked(self, revoked: Any) -> None:
        await self._subscriber.commit()

    async def on_partitions_assigned(self, assigned: Any) -> None:
        todo = [tp for tp in assigned if tp not in self._done]
        await self._subscriber._seek(todo, self._start)
        self._done.update(todo)


class Subscriber:
    """Consume subscriber topics as typed events; see the module docstring."""

    def __init__(
        self,
        topics: Sequence[str],
        group: str,
        *,
        kafka: KafkaSettings | None = None,
        registry: SchemaRegistry | str = "http://127.0.0.1:8081",
        retry: RetryPolicy | None = None,
        start: StartFrom | None = None,
        layout: TopicLayout | None = None,
        recent_ids: int = 100_000,
    ) -> None:
        self.topics = list(topics)
        self.group = group
        self._kafka = kafka or KafkaSettings()
        layout = layout or topic_layout(self._kafka)
        self.deadletter_topic = layout.subscriber_deadletter(group)
        client = RegistryClient(registry) if isinstance(registry, str) else registry
        self._decoder = EventDecoder(AvroDeserializer(client))
        self._retry = retry or RetryPolicy()
        self._start = start
        self._layout = layout
        self._recent = RecentIds(recent_ids)
        self._consumer: AIOKafkaConsumer | None = None
        self._producer: AIOKafkaProducer | None = None
        self._pending: dict[TopicPartition, int] = {}
        self._closed = False
        self.handled = 0
        self.deadlettered = 0

    async def start(self) -> None:
        """Create the dead-letter topic if needed, join the group, start reading."""
        if self._closed:
            raise SubscriberClosed("this subscriber was stopped; create a new one")
        specs = axis_topics([], layout=self._layout, subscriber_groups=[self.group])
        await asyncio.to_thread(ensure_topics, self._kafka, specs)
        self._producer = AIOKafkaProducer(**aiokafka_producer(self._kafka))
        await self._producer.start()
        self._consumer = AIOKafkaConsumer(
            **self._kafka.as_aiokafka(),
            group_id=self.group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await self._consumer.start()
        listener = _Replay(self, self._start) if self._start else _Replay(self, StartFrom())
        self._consumer.subscribe(self.topics, listener=listener)

    async def stop(self) -> None:
        """Commit what was handled, leave the group, flush dead letters."""
        if self._consumer is not None:
            await self.commit()
            await self._consumer.stop()
            self._consumer = None
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None
        self._closed = True

    async def __aenter__(self) -> Subscriber:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    async def _seek(self, partitions: list[TopicPartition], start: StartFrom) -> None:
        consumer = self._running()
        if start.timestamp_ms is not None and partitions:
            found = await consumer.offsets_for_times({tp: start.timestamp_ms for tp in partitions})
            ends = await consumer.end_offsets(partitions)
            for tp in partitions:
                hit = found.get(tp)
                consumer.seek(tp, hit.offset if hit is not None else ends[tp])
        elif start.offset is not None and partitions:
            begins = await consumer.beginning_offsets(partitions)
            for tp in partitions:
                consumer.seek(tp, max(start.offset, begins[tp]))

    def _running(self) -> AIOKafkaConsumer:
        if self._consumer is None:
            raise SubscriberClosed("the subscriber is not running: use `async with` or start()")
        return self._consumer

    async def commit(self) -> None:
        """Commit the offsets of every event handled so far."""
        if self._consumer is None or not self._pending:
            return
        offsets = {tp: OffsetAndMetadata(offset, "") for tp, offset in self._pending.items()}
        self._pending = {}
        await self._consumer.commit(offsets)

    def _decode(self, value: bytes | None) -> EventModel:
        return self._decoder.event(value or b"")

    async def _records(
        self, stop: asyncio.Event | None = None, batch_timeout_ms: int = 500
    ) -> AsyncIterator[tuple[Any, Received, EventModel | None, str]]:
        consumer = self._running()
        while not self._closed and not (stop is not None and stop.is_set()):
            batches = await consumer.getmany(timeout_ms=batch_timeout_ms, max_records=500)
            for tp, messages in batches.items():
                for message in messages:
                    received = Received(
                        tp.topic, tp.partition, message.offset, message.key, dict(message.headers)
                    )
                    event_id = h.text(received.headers, h.EVENT_ID)
                    if event_id is not None and event_id in self._recent:
                        self._pending[tp] = message.offset + 1
                        continue
                    try:
                        event: EventModel | None = self._decode(message.value)
                        problem = ""
                    except CodecError as exc:
                        event, problem = None, f"{exc.reason}: {exc}"
                    except ValidationError as exc:
                        event, problem = None, f"invalid_event: {describe(violations(exc))}"
                    except UnknownEventType as exc:
                        event, problem = None, f"unknown_event_type: {exc}"
                    yield message, received, event, problem
                    if event_id is not None:
                        self._recent.add(event_id)
                    self._pending[tp] = message.offset + 1
            await self.commit()

    async def __aiter__(self) -> AsyncIterator[EventModel]:
        """Typed events; each is committed after the loop body that got it is done.

        An event that cannot be decoded goes to the dead letters and is skipped.
        """
        async for message, received, event, problem in self._records():
            if event is None:
                await self._deadletter(message, received, problem.partition(":")[0], problem, 0)
                continue
            yield event
            self.handled += 1

    async def run(self, handler: Handler, *, until: asyncio.Event | None = None) -> None:
        """Hand every event to ``handler`` until ``until`` is set (or forever)."""
        async for message, received, event, problem in self._records(until, 200):
            if event is None:
                await self._deadletter(message, received, problem.partition(":")[0], problem, 0)
                continue
            await self._handle(handler, message, received, event)

    async def _handle(
        self, handler: Handler, message: Any, received: Received, event: EventModel
    ) -> None:
        attempts = self._retry.attempts
        for attempt in range(1, attempts + 1):
            try:
                await handler(event, received)
            except Exception as exc:  # noqa: BLE001  # the handler's failure is data for its letter
                if attempt >= attempts:
                    error = "".join(traceback.format_exception_only(exc)).strip()
                    await self._deadletter(message, received, dl.HANDLER_FAILED, error, attempt)
                    return
                log.warning("handler failed (attempt %d), retrying: %s", attempt, exc)
                await asyncio.sleep(self._retry.backoff.delay(attempt))
            else:
                self.handled += 1
                return

    async def _deadletter(
        self, message: Any, received: Received, reason: str, error: str, attempts: int
    ) -> None:
        producer = self._producer
        if producer is None:
            raise SubscriberClosed("the subscriber is not running")
        letter = dl.DeadLetter(
            refusal=dl.Refusal(
                reason,
                error,
                agency=h.text(received.headers, h.AGENCY),
                event_id=h.text(received.headers, h.EVENT_ID),
                event_type=h.text(received.headers, h.EVENT_TYPE),
            ),
            source=dl.Source(
                received.topic, received.partition, received.offset, message.timestamp
            ),
            stage=f"subscriber:{self.group}",
            first_seen_ms=now_ms(),
            attempts=attempts or None,
        )
        dead = dl.DeadRecord(letter, message.key, message.value, list(message.headers or ()))
        # Awaited: the offset is committed after this, so the letter must be in Kafka first.
        await (
            await producer.send(
                self.deadletter_topic, dead.value, key=dead.key, headers=dead.headers()
            )
        )
        self.deadlettered += 1
