"""Every use of faust's and aiokafka's private parts, in one place.

The worker reads its topics below faust's per-record streams and writes its tables'
stores and changelogs itself; that needs a few attributes faust and aiokafka do not
document. They are all here, and ``tests/consumers/test_faust_adapter.py`` checks each
one exists with the shape used, so an upgrade that moves one fails loudly there rather
than in a running worker.

**Batches below faust's streams.** faust hands every fetched record to its streams one
at a time: two tasks and a wait per record in the fetch loop, a decode into an
``Event``, a queue, the stream's own iteration and its acknowledgement. Measured beside
``bench/bench_views.py``, an agent that does nothing tops out near 15,000 records/s here
(~65 µs each), more than the worker's own work per event. The worker's topics (ingress
and the overdue announcements) do not need any of it: they are read as whole fetches.

:class:`BatchingConsumer` is faust's aiokafka consumer with one change: records of the
*batch topics* are taken out of each fetch and handed, together, to one handler. The
handler returns a completion (the batch's delivery); the next fetch proceeds while it
runs. Everything else stays faust's:

- the consumer group, its partition assignment and rebalances (tables keep living in
  the partitions their events arrive on);
- offsets: each record is tracked when taken and acknowledged once its batch's
  completion has finished; faust commits acknowledged offsets as for its own streams,
  and a rebalance waits for the batches in hand to be acknowledged before partitions
  move;
- records of other topics (the tables' changelogs during recovery) go through faust's
  own per-record path.

Guarantee: a record is acknowledged only once the batch that held it is done with (the
awaitable the handler returned has completed). Up to :data:`IN_FLIGHT` batches are in
hand at once. A completion that raises stops the worker (faust crashes the app): the
pipeline isolates every record's faults, so only a fault of the worker's environment
gets here; what was not acknowledged is read again by whichever worker gets its
partitions.

**Table access for one event of a batch.** faust's tables find the partition of a key
(its changelog partition, its RocksDB instance) through the *current event*, a context
variable faust sets per event when a stream yields events one by one. Read in batches,
there is no current event: :func:`read` and :func:`write` go to the store of the
event's own partition, and :func:`event_context` sets a stand-in
(:class:`PartitionEvent`) where faust's table code must find one.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from aiokafka.structs import TopicPartition
from faust.streams import _current_event  # the variable faust's own tables read
from faust.transport.drivers.aiokafka import Consumer as FaustAioKafkaConsumer
from faust.transport.drivers.aiokafka import Transport as FaustAioKafkaTransport

from lienthong.web import JsonErrorRunner, json_errors_middleware

Handler = Callable[[Sequence[Any]], Awaitable[Awaitable[None]]]
"""Takes one fetch's records of the batch topics (faust ``Message`` objects); returns
what completes once the batch is done with (the records are acknowledged then)."""

IN_FLIGHT = 2
"""Batches handed over and not yet done: one delivering while the next is prepared."""

log = logging.getLogger(__name__)


class BatchingConsumer(FaustAioKafkaConsumer):
    """faust's aiokafka consumer, handing records of ``batch_topics`` over per fetch."""

    batch_topics: frozenset[str] = frozenset()
    handler: Handler | None = None
    in_flight: deque[asyncio.Future[None]]
    _crashing: asyncio.Future[None] | None = None

    async def getmany(self, timeout: float) -> AsyncIterator[tuple[Any, Any]]:
        """Yield other topics' records to faust's fetch loop; hand ours over at the end."""
        taken: list[Any] = []
        batch_topics = self.batch_topics
        async for tp, message in super().getmany(timeout):
            if message.topic in batch_topics:
                taken.append(message)
            else:
                yield tp, message
        if taken:
            await self._hand_over(taken)

    async def _hand_over(self, taken: list[Any]) -> None:
        handler = self.handler
        if handler is None:
            raise RuntimeError("records of a batch topic arrived before its handler was set")
        if not self.flow_active:
            return  # a rebalance began: faust seeks back to the committed offsets after it
        fresh, gaps = self._unread(taken, self.app.consumer_generation_id)
        # Tracked before the first await: a rebalance starting from here on waits for
        # these records to be acknowledged before their partitions move.
        for message in fresh:
            self.track_message(message)
        for tp, first, last in gaps:
            await self._add_gap(tp, first, last)
        if not fresh:
            return
        done = asyncio.ensure_future(await handler(fresh))
        done.add_done_callback(functools.partial(self._done, fresh))
        in_flight = self.in_flight
        in_flight.append(done)
        while in_flight and (in_flight[0].done() or len(in_flight) > IN_FLIGHT - 1):
            await in_flight.popleft()  # raises what failed a batch: the fetch loop stops

    def _done(self, messages: list[Any], done: asyncio.Future[None]) -> None:
        if done.cancelled():
            return
        exc = done.exception()
        if exc is None:
            ack = self.ack
            for message in messages:
                ack(message)
        elif not self.should_stop:
            log.error("a batch of %d records failed; stopping the worker", len(messages))
            self._crashing = asyncio.ensure_future(self.app.crash(exc))

    def _unread(
        self, taken: list[Any], generation: int
    ) -> tuple[list[Any], list[tuple[Any, int, int]]]:
        """The records to handle, and the offset gaps among them.

        faust's fetch loop does the same for the records it sees: a record fetched
        before the last rebalance, or below the read offset (handed over before a seek),
        is not handled again; a gap (transaction markers, compaction) must be known to
        the commit, which otherwise waits for offsets that never come.
        """
        read = self._read_offset
        fresh: list[Any] = []
        gaps: list[tuple[Any, int, int]] = []
        for message in taken:
            tp, offset = message.tp, message.offset
            last = read[tp]
            if message.generation_id != generation or (last is not None and offset < last):
                continue
            if last and offset - last > 1:
                gaps.append((tp, last + 1, offset))
            read[tp] = offset
            fresh.append(message)
        return fresh, gaps


class BatchingTransport(FaustAioKafkaTransport):
    """faust's aiokafka transport, with :class:`BatchingConsumer` as its consumer."""

    Consumer = BatchingConsumer


def use_batching_transport(app: faust.App) -> None:
    """Give ``app`` the batching consumer; call before anything touches ``app.topics``
    or ``app.consumer`` (faust builds both on first use, from the transport)."""
    app.transport = BatchingTransport(app.conf.broker_consumer, app)


def read_in_batches(app: faust.App, topics: Sequence[str], handler: Handler) -> None:
    """Subscribe ``app`` to ``topics`` and hand each fetch of them to ``handler``."""
    consumer: Any = app.consumer
    if not isinstance(consumer, BatchingConsumer):
        raise TypeError("read_in_batches needs use_batching_transport(app) first")
    consumer.batch_topics = frozenset(topics)
    consumer.handler = handler
    consumer.in_flight = deque()
    raw: faust.Schema[bytes, bytes] = faust.Schema(
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    # Registered with faust's conductor, the topics are subscribed, assigned with the
    # tables' partitions and acknowledged like an agent's; no agent reads the channel.
    app.topics.add(app.topic(*topics, schema=raw, allow_empty=True))


@contextmanager
def event_context(event: Any) -> Iterator[None]:
    """Make ``event`` faust's current event for the block."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class PartitionEvent:
    """Stands in for faust's event where tables only need its message's partition.

    The worker reads its topics below faust's streams (:class:`BatchingConsumer`): no
    faust ``Event``; its tables read ``current_event().message.partition`` only.
    """

    __slots__ = ("__weakref__", "message")

    def __init__(self, message: Any) -> None:
        self.message = message


def read(table: Any, event: Any, key: bytes) -> bytes | None:
    """``key``'s bytes in ``table`` (raw serializers), in ``event``'s partition.

    Straight to the partition's store: through faust's mapping interface a read costs a
    containment check, then the read, each encoding the key through faust's serializer
    registry (about a fifth of the views' time per event in ``bench/bench_views.py``).
    """
    db = _partition_db(table, event)
    if db is not None:
        value: bytes | None = db.get(key)
        return value
    with event_context(event):
        return table.data.get(key)  # type: ignore[no-any-return]


def write(table: Any, event: Any, key: bytes, value: bytes) -> None:
    """Store ``value`` for ``key`` in ``table``'s local store (not its changelog)."""
    db = _partition_db(table, event)
    if db is not None:
        db.put(key, value)
        return
    with event_context(event):
        table.data[key] = value
    # faust's memory store forgets, when a partition moves to another worker, only the
    # keys it recovered: without this, keys written here stay and are counted twice.
    owners = getattr(table.data, "_key_partition", None)
    if owners is not None:
        owners[key] = event.message.partition


def _partition_db(table: Any, event: Any) -> Any:
    """faust's RocksDB store keeps one database per partition; other stores: ``None``."""
    partition_db = getattr(table.data, "_db_for_partition", None)
    return None if partition_db is None else partition_db(event.message.partition)


def raw_table(app: faust.App, name: str, partitions: int) -> Any:
    """A faust table of raw bytes keys and values, its changelog raw too.

    faust derives a table's changelog serializers from ``key_serializer`` and
    ``value_serializer`` ("json" for bytes), not from its schema, and makes the changelog
    topic eagerly with them: without this, recovery json-decodes raw keys and stalls.
    """
    raw: faust.Schema[bytes, bytes] = faust.Schema(
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    table: Any = app.Table(name, default=None, partitions=partitions, schema=raw)
    table.key_serializer = table.value_serializer = "raw"
    table.changelog_topic = table._new_changelog_topic()
    return table


def changelog_topic(table: Any) -> str:
    """The name of ``table``'s changelog topic."""
    name: str = table.changelog_topic.get_topic_name()
    return name


def persisted(table: Any, topic: str, partition: int, offset: int) -> None:
    """Tell ``table``'s store its changelog is written up to ``offset`` (what faust
    records per changelog write; recovery reads on from there)."""
    table.data.set_persisted_offset(TopicPartition(topic, partition), offset)


def max_request_size(producer: AIOKafkaProducer) -> int:
    """The largest request ``producer`` sends (``max_request_size``, not exposed)."""
    size: int = producer._max_request_size
    return size


def json_errors(app: faust.App) -> None:
    """Answer every error of ``app``'s web server in JSON (:mod:`lienthong.web`).

    faust's aiohttp driver makes its runner in ``_runner``; it is replaced by one that
    answers the HTTP layer's own errors in JSON too.
    """
    web: Any = app.web  # faust's aiohttp driver: its aiohttp app and runner
    web.web_app.middlewares.append(json_errors_middleware)
    web._runner = JsonErrorRunner(web.web_app, access_log=None)  # as faust makes it
