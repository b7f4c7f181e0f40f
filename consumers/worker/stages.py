"""The worker's stages for one batch of ingress records: validate, route (and the views).

:class:`Pipeline` runs them in one hop over each fetch of records
(:mod:`lienthong.consumers.faust_adapter`): the gate judges every record (pure code in
:mod:`..gate`), the router picks subscriber topics for what passed (:mod:`..routing`),
the views apply the batch, and every output and view write goes into one
:class:`~lienthong.consumers.batch.Outbox`, delivered at once. Only then does the entity
table record that the events passed, in a second delivery. The records are acknowledged
(their offsets committed later by faust) when the completion :meth:`Pipeline.handle`
returns has finished, i.e. after both deliveries.

Why this order: a worker killed anywhere in a batch re-reads it. If the entity table
had not recorded the events, they pass again — outputs are repeated (at least once;
``event_id`` is the idempotency key downstream) and the views ignore ids they applied.
If it had, every output of the batch was in Kafka already.

**What was processed, not what was committed.** faust commits acknowledged offsets
every few seconds, so a killed worker's successor re-reads up to a few seconds of
records the first one had fully processed; judged again, every passed event of them
would be a ``duplicate_event`` dead letter (thousands per restart) although it was sent
once. So the second delivery also records, per ingress partition, the last offset the
batch judged (:data:`POSITION`, a key of the entity table in that partition: its
changelog record follows the states of the same partition in order). A record at or
below it is skipped without a trace: its outputs, dead letters and view writes are in
Kafka already. A true duplicate — the same event sent again, at a later offset — is
still refused as ``duplicate_event``.

Every stage isolates each record's faults (:meth:`~lienthong.consumers.batch.Outbox.fail`):
one record that raises costs that record, never the stream.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from lienthong.audit import AuditAction, AuditTrail
from lienthong.consumers.batch import Batch, Forward, Message, Outbox, Slot, Stage, messages_of
from lienthong.consumers.dedup import EMPTY, EntityState, RecentIds
from lienthong.consumers.faust_adapter import read
from lienthong.consumers.gate import Gate, IngressRecord, Passed, Verdict, now_ms
from lienthong.consumers.routing.watch import RulesWatcher
from lienthong.consumers.worker.sender import OutboxSender
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.monitoring.tally import CounterTally, HistogramTally
from lienthong.schemas import headers as h
from lienthong.schemas.deadletter import NOT_OWNER, DeadLetter
from lienthong.schemas.errors import RegistryError

log = logging.getLogger(__name__)

RESERVED = b"\x00lt."
"""Keys of the entity table that are not entities (no entity id starts with NUL)."""

POSITION = RESERVED + b"position\x00"
"""The key prefix of a partition's position (:func:`position_key`)."""


def position_key(slot: Slot) -> bytes:
    """The entity-table key of the last offset judged in ``slot`` (topic, partition).

    The partition is in the key as well as in the table's own partition: faust's memory
    store keeps every partition in one mapping.
    """
    topic, partition = slot
    return b"%s%s\x00%d" % (POSITION, topic.encode(), partition)


def _given(record: Mapping[str, Any]) -> Callable[[], Mapping[str, Any] | None]:
    """A payload loader for payload rules: the gate decoded the payload already."""
    return lambda: record


States = dict[bytes, tuple[EntityState, Message]]
Positions = dict[Slot, tuple[int, Message]]


class ValidateStage:
    """Ingress records → canonical topic (same bytes, trusted headers) or dead letters."""

    name = "validate"

    def __init__(
        self,
        gate: Gate,
        table: Any,  # the faust table of entity states: get(key) -> bytes
        metrics: AxisMetrics,
        *,
        registry_backoff_s: tuple[float, float] = (0.5, 30.0),
        trail: AuditTrail | None = None,
    ) -> None:
        self._gate = gate
        self._trail = trail
        self._table = table
        # States and positions judged but not yet in the table (their batch is still
        # being delivered): the next batch is judged against these.
        self._unsettled: States = {}
        self._unsettled_at: Positions = {}
        self._backoff = registry_backoff_s
        self._in = CounterTally(metrics.events_in)
        self._out = CounterTally(metrics.events_out)
        self._failures = CounterTally(metrics.validation_failures)
        self._dead = CounterTally(metrics.deadletters)
        self._latency = HistogramTally(metrics.event_latency.labels("validate"))
        self.passed = 0
        self.refused = 0
        self.skipped = 0  # records read again that a batch had judged already

    def _state(self, message: Message, key: bytes | None) -> EntityState:
        if key is None:
            return EMPTY
        if key.startswith(RESERVED):
            raise ValueError(f"the key {key!r} is reserved for the worker's own records")
        unsettled = self._unsettled.get(key)
        if unsettled is not None:
            return unsettled[0]
        return EntityState.from_bytes(read(self._table, message.event, key))

    def _judged_up_to(self, message: Message) -> int:
        """The last offset of the message's topic partition that a batch judged (-1)."""
        record = message.record
        unsettled = self._unsettled_at.get((record.topic, record.partition))
        if unsettled is not None:
            return unsettled[0]
        raw = read(self._table, message.event, position_key((record.topic, record.partition)))
        return int(raw) if raw else -1

    async def _verdict(self, record: IngressRecord, state: EntityState) -> Verdict:
        delay, longest = self._backoff
        while True:
            try:
                return self._gate.check(record, state)
            except RegistryError as exc:
                # Not the record's fault: refusing it would be wrong; wait for the registry.
                log.warning("schema registry unavailable, retrying in %.1fs: %s", delay, exc)
                await asyncio.sleep(delay)
                delay = min(delay * 2, longest)

    async def run(self, batch: Batch, outbox: Outbox) -> None:
        """Judge the batch's ingress records; queue canonical records and dead letters."""
        states: States = {}
        positions: Positions = {}
        judged: dict[Slot, int] = {}
        began = now_ms()
        for message in batch.ingress:
            record = message.record
            slot = (record.topic, record.partition)
            up_to = judged.get(slot)
            if up_to is None:
                up_to = judged[slot] = self._judged_up_to(message)
            if record.offset <= up_to:
                self.skipped += 1
                continue
            positions[slot] = (record.offset, message)
            try:
                await self._judge(message, states, batch, outbox, began)
            except Exception as exc:  # noqa: BLE001  # one record's fault costs the record
                outbox.fail(record, self.name, exc)
        self._unsettled.update(states)
        self._unsettled_at.update(positions)
        batch.tallies[self.name] = ([c.take() for c in self._children], states, positions)
        self._latency.flush()

    async def _judge(
        self, message: Message, states: States, batch: Batch, outbox: Outbox, began: int
    ) -> None:
        record = message.record
        key = record.key
        pending = states.get(key) if key is not None else None
        state = pending[0] if pending is not None else self._state(message, key)
        verdict = await self._verdict(record, state)
        if isinstance(verdict, Passed):
            facets = verdict.facets
            self._in.inc(record.topic, facets.agency, facets.event_type)
            outbox.add(verdict.topic, key, verdict.value, verdict.headers, record)
            self._out.inc(verdict.topic, facets.agency, facets.event_type)
            self._latency.observe(max(0.0, (began - facets.occurred_at_ms) / 1000))
            if key is not None:
                states[key] = (verdict.state, message)
            forward = Forward(message, facets, verdict.headers, verdict.record, verdict.value)
            batch.passed.append(forward)
            batch.views.append(forward)
            self.passed += 1
            return
        letter = verdict.letter
        self._in.inc(record.topic, letter.refusal.agency or "", letter.refusal.event_type or "")
        deadletter = outbox.deadletter
        outbox.add(deadletter, key, record.value, [*record.headers, *letter.headers()], record)
        self._failures.inc(letter.reason)
        self._dead.inc(deadletter, letter.reason)
        self.refused += 1
        if letter.reason == NOT_OWNER:
            self._audit_not_owner(letter, key)
        if verdict.facets is not None and verdict.record is not None:
            batch.views.append(Forward(message, verdict.facets, [], verdict.record, record.value))

    def _audit_not_owner(self, letter: DeadLetter, key: bytes | None) -> None:
        if self._trail is None:
            return
        refusal = letter.refusal
        entity = key.decode("utf-8", "replace") if key is not None else "?"
        self._trail.record(
            AuditAction.NOT_OWNER,
            f"agency:{refusal.agency}",
            refusal.message,
            target=f"{refusal.event_type} {entity}",
            reason=NOT_OWNER,
            metric_identity=f"agency:{refusal.agency}",
        )

    @property
    def _children(self) -> tuple[CounterTally, ...]:
        return (self._in, self._out, self._failures, self._dead)

    def settle(self, batch: Batch, outbox: Outbox) -> None:
        """Record what passed, and how far each partition was judged, in the table
        (once the batch's outputs are in Kafka)."""
        _, states, positions = batch.tallies[self.name]
        unsettled = self._unsettled
        # One table write per entity per batch: the changelog carries the final state.
        for key, entry in states.items():
            state, message = entry
            outbox.put(self._table, key, state.to_bytes(), message)
            if unsettled.get(key) is entry:  # no later batch has judged this key since
                del unsettled[key]
        # After the states: a partition's changelog records keep their order.
        unsettled_at = self._unsettled_at
        for slot, entry in positions.items():
            offset, message = entry
            outbox.put(self._table, position_key(slot), str(offset).encode(), message)
            if unsettled_at.get(slot) is entry:
                del unsettled_at[slot]

    def count(self, batch: Batch) -> None:
        """Add the batch's tallies to the metrics (once all of it is in Kafka)."""
        tallies = batch.tallies[self.name][0]
        for children, tally in zip(self._children, tallies, strict=True):
            children.add(tally)


class RouteStage:
    """Passed events → the subscriber topics the rules name (headers, then payload)."""

    name = "route"

    def __init__(
        self,
        watcher: RulesWatcher,
        metrics: AxisMetrics,
        *,
        recent: RecentIds,
        on_new_subscribers: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        self._watcher = watcher
        self._recent = recent
        self._on_new_subscribers = on_new_subscribers
        self._out = CounterTally(metrics.events_out)
        self._latency = HistogramTally(metrics.event_latency.labels("route"))
        self.routed = 0
        self.duplicates = 0
        self.unrouted = 0

    async def run(self, batch: Batch, outbox: Outbox) -> None:
        """Queue the subscriber records of the batch's passed events in ``outbox``."""
        if not batch.passed:
            return
        router, reloaded = self._watcher.current()
        if reloaded:
            await self._on_new_subscribers(router.rules.subscribers())
        began = now_ms()
        for item in batch.passed:
            try:
                self._route(router, item, outbox, began)
            except Exception as exc:  # noqa: BLE001  # one record's fault costs the record
                outbox.fail(item.message.record, self.name, exc, item.facets)
        self._latency.flush()
        batch.tallies[self.name] = self._out.take()

    def _route(self, router: Any, item: Forward, outbox: Outbox, began: int) -> None:
        facets = item.facets
        if not self._recent.add(facets.event_id):
            self.duplicates += 1
            return
        raw = item.headers
        decision = router.route(h.as_dict(raw), _given(item.payload))
        if not decision.topics:
            self.unrouted += 1
            return
        out = [*raw, (h.ROUTED_BY, ",".join(decision.rules).encode())]
        record = item.message.record
        for topic in decision.topics:
            outbox.add(topic, record.key, item.value, out, record)
            self._out.inc(topic, facets.agency, facets.event_type)
        self._latency.observe(max(0.0, (began - facets.occurred_at_ms) / 1000))
        self.routed += 1

    def count(self, batch: Batch) -> None:
        """Count a batch (after its outputs are in Kafka)."""
        self._out.add(batch.tallies.get(self.name, {}))


class Pipeline:
    """validate → route → materialize for one batch, in one hop (module docstring).

    Batches overlap: while one batch's outbox is in flight, the next is judged (against
    the states of the first, see :class:`ValidateStage`) and waits to be sent. Outboxes
    are delivered strictly one after another, so nothing of a batch reaches Kafka before
    everything of the batch before it.
    """

    def __init__(
        self,
        validate: ValidateStage,
        after: Sequence[Stage],
        sender: OutboxSender,
        *,
        deadletter: str,
        metrics: AxisMetrics,
        own_topic: str | None = None,
    ) -> None:
        self.validate = validate
        self.stages: tuple[Stage, ...] = (validate, *after)
        self.sender = sender
        self.deadletter = deadletter
        self.own_topic = own_topic
        self._failures = metrics.processing_failures
        self._dead = metrics.deadletters
        self._last: asyncio.Future[None] | None = None

    def batch(self, records: Sequence[Any]) -> Batch:
        """The batch of one fetch (faust messages): ingress records and the views' own."""
        batch = Batch()
        own_topic = self.own_topic
        for message in messages_of(records):
            (batch.own if message.record.topic == own_topic else batch.ingress).append(message)
        return batch

    async def handle(self, records: Sequence[Any]) -> Awaitable[None]:
        """Judge, route and apply one batch; returns what completes when it is all in Kafka.

        The returned awaitable raises only what the worker's environment did (Kafka gone
        past every retry): every record's own fault is a dead letter.
        """
        batch = self.batch(records)
        outbox = Outbox(self.deadletter, self.sender.limit())
        for stage in self.stages:
            await stage.run(batch, outbox)
        done = self._last = asyncio.ensure_future(self._deliver(batch, outbox, self._last))
        return done

    async def _deliver(
        self, batch: Batch, outbox: Outbox, before: asyncio.Future[None] | None
    ) -> None:
        if before is not None:
            await before  # the batch before: all of it in Kafka first
        await self.sender.deliver(outbox)
        # The gate's states only now: see the module docstring.
        states = Outbox(self.deadletter, outbox.limit)
        self.validate.settle(batch, states)
        await self.sender.deliver(states)
        for stage in self.stages:
            stage.count(batch)
        for (stage_name, kind), n in outbox.failures.items():
            self._failures.labels(stage_name, kind).inc(n)
        for reason, n in outbox.letters.items():
            self._dead.labels(self.deadletter, reason).inc(n)
