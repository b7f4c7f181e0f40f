"""Batches of records straight from faust's consumer, below its per-record streams.

faust hands every fetched record to its streams one at a time: two tasks and a wait
per record in the fetch loop, a decode into an ``Event``, a queue, the stream's own
iteration and its acknowledgement. Measured beside ``bench/bench_views.py``, an agent
that does nothing tops out near 15,000 records/s here (~65 µs each), more than the
worker's own work per event. The worker's topics (ingress and the overdue
announcements) do not need any of it: they are read as whole fetches.

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
hand at once. A handler or a completion that raises stops the worker (faust crashes the
app); what was not acknowledged is read again by whichever worker gets its partitions.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import Any

import faust
from faust.transport.drivers.aiokafka import Consumer as FaustAioKafkaConsumer
from faust.transport.drivers.aiokafka import Transport as FaustAioKafkaTransport

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
