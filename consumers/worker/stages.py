"""The worker's stages for one batch of ingress records: validate, route (and the views).

:class:`Pipeline` runs them in one hop over each fetch of records (:mod:`._intake`):
the gate judges every record (pure code in :mod:`..gate`), the router picks subscriber
topics for what passed (:mod:`..routing`), the views apply the batch, and every output
and view write goes into one :class:`~._outbox.Outbox`, delivered at once. Only then does
the entity table record that the events passed, in a second delivery. The records are
acknowledged (their offsets committed later by faust) when the completion
:meth:`Pipeline.handle` returns has finished, i.e. after both deliveries.

Why this order: a worker killed anywhere in a batch re-reads it. If the entity table
had not recorded the events, they pass again — outputs are repeated (at least once;
``event_id`` is the idempotency key downstream) and the views ignore ids they applied.
If it had, every output of the batch was in Kafka already; the gate refuses the copies
as duplicates, and the views apply those too (again a no-op unless their own changelog
write was the one lost). Either way nothing is lost or counted twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client import Counter

from lienthong.audit import AuditAction, AuditTrail
from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.dedup import EMPTY, EntityState, RecentIds
from lienthong.consumers.facets import Facets
from lienthong.consumers.gate import Gate, IngressRecord, Passed, Verdict, now_ms
from lienthong.consumers.routing.watch import RulesWatcher
from lienthong.consumers.worker._context import partition_events, read
from lienthong.consumers.worker._outbox import Outbox, OutboxSender
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.monitoring.tally import HistogramTally
from lienthong.schemas import headers as h
from lienthong.schemas.deadletter import NOT_OWNER, DeadLetter
from lienthong.schemas.errors import RegistryError

log = logging.getLogger(__name__)


class _Children:
    """Counts per label set, added to the metric once per batch.

    A bound child's ``inc()`` costs ~1 µs (a lock and a float); tallying in a dict and
    adding once per label set per batch makes the metrics cost per event negligible.
    """

    def __init__(self, family: Counter) -> None:
        self._family = family
        self._bound: dict[tuple[str, ...], Any] = {}
        self._pending: dict[tuple[str, ...], int] = {}

    def inc(self, *labels: str) -> None:
        self._pending[labels] = self._pending.get(labels, 0) + 1

    def take(self) -> dict[tuple[str, ...], int]:
        """The tallies since the last take (one batch's), to :meth:`add` once it is in Kafka."""
        taken, self._pending = self._pending, {}
        return taken

    def add(self, tallies: dict[tuple[str, ...], int]) -> None:
        """Add a batch's tallies to the metric."""
        for labels, count in tallies.items():
            child = self._bound.get(labels)
            if child is None:
                child = self._bound[labels] = self._family.labels(*labels)
            child.inc(count)


# Built per event: slots, not frozen (frozen costs ~1 µs more per object); never mutated.
@dataclass(slots=True)
class Forward:
    """A valid event as the stages after the gate see it."""

    event: Any  # its partition is the context of table reads and writes (._context)
    key: bytes | None
    value: bytes | None
    facets: Facets
    headers: h.Headers  # the trusted headers of its canonical record
    record: Mapping[str, Any]  # the decoded payload


@dataclass
class Judged:
    """One batch after the gate: its new states, and what goes on.

    ``passed`` is routed; ``views`` is what the views apply, in batch order: the passed
    events and the duplicates of events that passed before.
    """

    passed: list[Forward] = field(default_factory=list)
    views: list[Forward] = field(default_factory=list)
    states: dict[bytes, tuple[EntityState, Any]] = field(default_factory=dict)
    tallies: list[dict[tuple[str, ...], int]] = field(default_factory=list)


def _given(record: Mapping[str, Any]) -> Callable[[], Mapping[str, Any] | None]:
    """A payload loader for payload rules: the gate decoded the payload already."""
    return lambda: record


def _record(message: Any) -> IngressRecord:  # a faust Message
    stamp = message.timestamp
    return IngressRecord(
        topic=message.topic,
        partition=message.partition,
        offset=message.offset,
        timestamp_ms=int(stamp * 1000) if stamp else None,
        key=message.key,
        value=message.value,
        headers=message.headers or (),
    )


class ValidateStage:
    """Ingress records → canonical topic (same bytes, trusted headers) or dead letters."""

    def __init__(
        self,
        gate: Gate,
        table: Any,  # the faust table of entity states: get(key) -> bytes
        layout: TopicLayout,
        metrics: AxisMetrics,
        *,
        registry_backoff_s: tuple[float, float] = (0.5, 30.0),
        trail: AuditTrail | None = None,
    ) -> None:
        self._gate = gate
        self._trail = trail
        self._table = table
        # States judged but not yet in the table (their batch is still being delivered):
        # the next batch is judged against these.
        self._unsettled: dict[bytes, tuple[EntityState, Any]] = {}
        self._layout = layout
        self._backoff = registry_backoff_s
        self._in = _Children(metrics.events_in)
        self._out = _Children(metrics.events_out)
        self._failures = _Children(metrics.validation_failures)
        self._dead = _Children(metrics.deadletters)
        self._latency = HistogramTally(metrics.event_latency.labels("validate"))
        self.passed = 0
        self.refused = 0

    def _state(self, event: Any, key: bytes | None) -> EntityState:
        if key is None:
            return EMPTY
        unsettled = self._unsettled.get(key)
        if unsettled is not None:
            return unsettled[0]
        return EntityState.from_bytes(read(self._table, event, key))

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

    async def judge(self, messages: Sequence[Any], events: Sequence[Any], outbox: Outbox) -> Judged:
        """Judge one batch and queue its canonical records and dead letters in ``outbox``.

        ``events``: each message's stand-in for faust's current event (._context).
        """
        judged = Judged()
        deadletter = self._layout.deadletter
        add = outbox.add
        observe = self._latency.observe
        began = now_ms()
        for message, event in zip(messages, events, strict=True):
            record = _record(message)
            key = record.key
            pending = judged.states.get(key) if key is not None else None
            state = pending[0] if pending is not None else self._state(event, key)
            verdict = await self._verdict(record, state)
            if isinstance(verdict, Passed):
                facets = verdict.facets
                self._in.inc(record.topic, facets.agency, facets.event_type)
                add(verdict.topic, key, record.value, verdict.headers)
                self._out.inc(verdict.topic, facets.agency, facets.event_type)
                observe(max(0.0, (began - facets.occurred_at_ms) / 1000))
                if key is not None:
                    judged.states[key] = (verdict.state, event)
                forward = Forward(event, key, record.value, facets, verdict.headers, verdict.record)
                judged.passed.append(forward)
                judged.views.append(forward)
                self.passed += 1
            else:
                letter = verdict.letter
                self._in.inc(
                    record.topic, letter.refusal.agency or "", letter.refusal.event_type or ""
                )
                headers = [*record.headers, *letter.headers()]
                add(deadletter, key, record.value, headers)
                self._failures.inc(letter.reason)
                self._dead.inc(deadletter, letter.reason)
                self.refused += 1
                if letter.reason == NOT_OWNER:
                    self._audit_not_owner(letter, key)
                if verdict.facets is not None and verdict.record is not None:
                    judged.views.append(
                        Forward(event, key, record.value, verdict.facets, [], verdict.record)
                    )
        self._unsettled.update(judged.states)
        judged.tallies = [c.take() for c in self._children]
        self._latency.flush()
        return judged

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
    def _children(self) -> tuple[_Children, ...]:
        return (self._in, self._out, self._failures, self._dead)

    def settle(self, judged: Judged, outbox: Outbox) -> None:
        """Record what passed in the table (once the batch's outputs are in Kafka)."""
        unsettled = self._unsettled
        # One table write per entity per batch: the changelog carries the final state.
        for key, entry in judged.states.items():
            state, event = entry
            outbox.put(self._table, event, key, state.to_bytes())
            if unsettled.get(key) is entry:  # no later batch has judged this key since
                del unsettled[key]

    def count(self, judged: Judged) -> None:
        """Add the batch's tallies to the metrics (once all of it is in Kafka)."""
        for children, tallies in zip(self._children, judged.tallies, strict=True):
            children.add(tallies)


class RouteStage:
    """Passed events → the subscriber topics the rules name (headers, then payload)."""

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
        self._out = _Children(metrics.events_out)
        self._latency = HistogramTally(metrics.event_latency.labels("route"))
        self.routed = 0
        self.duplicates = 0
        self.unrouted = 0

    async def route(self, batch: Sequence[Forward], outbox: Outbox) -> dict[tuple[str, ...], int]:
        """Queue the subscriber records of the batch's passed events in ``outbox``.

        Returns the batch's tallies, for :meth:`count` once it is in Kafka.
        """
        router, reloaded = self._watcher.current()
        if reloaded:
            await self._on_new_subscribers(router.rules.subscribers())
        add = outbox.add
        observe = self._latency.observe
        began = now_ms()
        for item in batch:
            facets = item.facets
            if not self._recent.add(facets.event_id):
                self.duplicates += 1
                continue
            raw = item.headers
            decision = router.route(h.as_dict(raw), _given(item.record))
            if not decision.topics:
                self.unrouted += 1
                continue
            out = [*raw, (h.ROUTED_BY, ",".join(decision.rules).encode())]
            for topic in decision.topics:
                add(topic, item.key, item.value, out)
                self._out.inc(topic, facets.agency, facets.event_type)
            observe(max(0.0, (began - facets.occurred_at_ms) / 1000))
            self.routed += 1
        self._latency.flush()
        return self._out.take()

    def count(self, tallies: dict[tuple[str, ...], int]) -> None:
        """Count a batch (after its outputs are in Kafka)."""
        self._out.add(tallies)


class Materializer(Protocol):
    """What the pipeline needs of the views (:class:`..views.MaterializeStage`)."""

    def apply(self, batch: Sequence[Forward], outbox: Outbox) -> None:
        """Apply valid events to the view tables (idempotent by event id)."""

    def handle(self, messages: Sequence[Any], events: Sequence[Any], outbox: Outbox) -> None:
        """Apply records of the views' own topic (the overdue announcements)."""


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
        route: RouteStage | None,
        views: Materializer | None,
        sender: OutboxSender,
        *,
        views_topic: str | None = None,
    ) -> None:
        self.validate = validate
        self.route = route
        self.views = views
        self.sender = sender
        self.views_topic = views_topic
        self._last: asyncio.Future[None] | None = None

    async def handle(self, messages: Sequence[Any]) -> Awaitable[None]:
        """Judge, route and apply one batch; returns what completes when it is all in Kafka.

        The returned awaitable raises what stopped the batch (the worker must stop then).
        """
        events = partition_events(list(messages))
        ingress, own = _split(messages, events, self.views_topic)
        outbox = Outbox()
        judged = await self.validate.judge(*ingress, outbox)
        routed: dict[tuple[str, ...], int] = {}
        if self.route is not None and judged.passed:
            routed = await self.route.route(judged.passed, outbox)
        if self.views is not None:
            if judged.views:
                self.views.apply(judged.views, outbox)
            if own[0]:
                self.views.handle(*own, outbox)
        done = self._last = asyncio.ensure_future(self._deliver(outbox, judged, routed, self._last))
        return done

    async def _deliver(
        self,
        outbox: Outbox,
        judged: Judged,
        routed: dict[tuple[str, ...], int],
        before: asyncio.Future[None] | None,
    ) -> None:
        if before is not None:
            await before  # the batch before: all of it in Kafka first
        await self.sender.deliver(outbox)
        # The gate's states only now: see the module docstring.
        states = Outbox()
        self.validate.settle(judged, states)
        await self.sender.deliver(states)
        self.validate.count(judged)
        if self.route is not None:
            self.route.count(routed)


_Part = tuple[list[Any], list[Any]]


def _split(
    messages: Sequence[Any], events: Sequence[Any], own_topic: str | None
) -> tuple[_Part, _Part]:
    """(ingress messages, their events), (the views' own topic's, theirs)."""
    if own_topic is None:
        return (list(messages), list(events)), ([], [])
    ingress: _Part = ([], [])
    own: _Part = ([], [])
    for message, event in zip(messages, events, strict=True):
        part = own if message.topic == own_topic else ingress
        part[0].append(message)
        part[1].append(event)
    return ingress, own
