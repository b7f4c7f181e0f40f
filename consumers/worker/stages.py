"""The worker's stages for one batch of ingress records: validate, route (and the views).

:class:`Pipeline` runs them in one hop, from one ``take_events`` batch: the gate judges
every record (pure code in :mod:`..gate`), the router picks subscriber topics for what
passed (:mod:`..routing`), every output is handed to the producer without awaiting it,
and the views apply the batch while all deliveries are awaited once. Only then does the
entity table record that the events passed (views and entity table are faust tables:
their changelogs go out through faust's producer). faust acknowledges the batch's
offsets after :meth:`Pipeline.handle` returns.

Why this order: a worker killed anywhere in a batch re-reads it. If the entity table
had not recorded the events, they pass again — outputs are repeated (at least once;
``event_id`` is the idempotency key downstream) and the views ignore ids they applied.
If it had, every output of the batch was in Kafka already; the gate refuses the copies
as duplicates, and the views apply those too (again a no-op unless their own changelog
write was the one lost). Either way nothing is lost or counted twice. One hop instead of
re-reading the canonical topics spares faust's per-record cost twice (≈ 65 µs each,
measured beside ``bench/bench_views.py``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from prometheus_client import Counter, Histogram

from lienthong.connectors.topics import TopicLayout
from lienthong.consumers import headers as h
from lienthong.consumers.dedup import EMPTY, EntityState, RecentIds
from lienthong.consumers.facets import Facets
from lienthong.consumers.gate import Gate, IngressRecord, Passed, Verdict, now_ms
from lienthong.consumers.routing.watch import RulesWatcher
from lienthong.consumers.worker._context import event_context
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas.errors import RegistryError

log = logging.getLogger(__name__)

Send = Callable[[str, bytes | None, bytes | None, h.Headers], Awaitable[Awaitable[Any]]]
"""(topic, key, value, headers) → a delivery future, once the record is queued."""


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

    def flush(self) -> None:
        """Add the batch's tallies to the metric (after Kafka acknowledged the batch)."""
        for labels, count in self._pending.items():
            child = self._bound.get(labels)
            if child is None:
                child = self._bound[labels] = self._family.labels(*labels)
            child.inc(count)
        self._pending.clear()


@dataclass(frozen=True)
class Forward:
    """A valid event as the stages after the gate see it."""

    event: Any  # the faust event: its partition is the context of table reads and writes
    key: bytes | None
    value: bytes | None
    facets: Facets
    headers: h.Headers  # the trusted headers of its canonical record
    record: Mapping[str, Any]  # the decoded payload


@dataclass
class Judged:
    """One batch after the gate: deliveries queued, new states, what goes on.

    ``passed`` is routed; ``views`` is what the views apply, in batch order: the passed
    events and the duplicates of events that passed before.
    """

    passed: list[Forward] = field(default_factory=list)
    views: list[Forward] = field(default_factory=list)
    deliveries: list[Awaitable[Any]] = field(default_factory=list)
    states: dict[bytes, tuple[EntityState, Any]] = field(default_factory=dict)


def _given(record: Mapping[str, Any]) -> Callable[[], Mapping[str, Any] | None]:
    """A payload loader for payload rules: the gate decoded the payload already."""
    return lambda: record


def _record(message: Any) -> IngressRecord:
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
        table: Any,  # the faust table: get(key) and table[key] = bytes
        send: Send,
        layout: TopicLayout,
        metrics: AxisMetrics,
        *,
        registry_backoff_s: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        self._gate = gate
        self._table = table
        self._send = send
        self._layout = layout
        self._backoff = registry_backoff_s
        self._in = _Children(metrics.events_in)
        self._out = _Children(metrics.events_out)
        self._failures = _Children(metrics.validation_failures)
        self._dead = _Children(metrics.deadletters)
        self._latency: Histogram = metrics.event_latency.labels("validate")
        self.passed = 0
        self.refused = 0

    def _state(self, event: Any, key: bytes | None) -> EntityState:
        if key is None:
            return EMPTY
        with event_context(event):
            return EntityState.from_bytes(self._table.get(key))

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

    async def judge(self, events: Sequence[Any]) -> Judged:
        """Judge one batch and queue its canonical records and dead letters."""
        judged = Judged()
        deadletter = self._layout.deadletter
        for event in events:
            record = _record(event.message)
            key = record.key
            pending = judged.states.get(key) if key is not None else None
            state = pending[0] if pending is not None else self._state(event, key)
            verdict = await self._verdict(record, state)
            if isinstance(verdict, Passed):
                facets = verdict.facets
                self._in.inc(record.topic, facets.agency, facets.event_type)
                judged.deliveries.append(
                    await self._send(verdict.topic, key, record.value, verdict.headers)
                )
                self._out.inc(verdict.topic, facets.agency, facets.event_type)
                self._latency.observe(max(0.0, (now_ms() - facets.occurred_at_ms) / 1000))
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
                judged.deliveries.append(await self._send(deadletter, key, record.value, headers))
                self._failures.inc(letter.reason)
                self._dead.inc(deadletter, letter.reason)
                self.refused += 1
                if verdict.facets is not None and verdict.record is not None:
                    judged.views.append(
                        Forward(event, key, record.value, verdict.facets, [], verdict.record)
                    )
        return judged

    def settle(self, judged: Judged) -> None:
        """Record what passed (once its outputs are in Kafka) and count the batch."""
        # One table write per entity per batch: the changelog carries the final state.
        for key, (state, event) in judged.states.items():
            with event_context(event):
                self._table[key] = state.to_bytes()
        for children in (self._in, self._out, self._failures, self._dead):
            children.flush()


class RouteStage:
    """Passed events → the subscriber topics the rules name (headers, then payload)."""

    def __init__(
        self,
        watcher: RulesWatcher,
        send: Send,
        metrics: AxisMetrics,
        *,
        recent: RecentIds,
        on_new_subscribers: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        self._watcher = watcher
        self._send = send
        self._recent = recent
        self._on_new_subscribers = on_new_subscribers
        self._out = _Children(metrics.events_out)
        self._latency: Histogram = metrics.event_latency.labels("route")
        self.routed = 0
        self.duplicates = 0
        self.unrouted = 0

    async def route(self, batch: Sequence[Forward]) -> list[Awaitable[Any]]:
        """Queue the subscriber records of the batch's passed events; returns deliveries."""
        router, reloaded = self._watcher.current()
        if reloaded:
            await self._on_new_subscribers(router.rules.subscribers())
        deliveries: list[Awaitable[Any]] = []
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
                deliveries.append(await self._send(topic, item.key, item.value, out))
                self._out.inc(topic, facets.agency, facets.event_type)
            self._latency.observe(max(0.0, (now_ms() - facets.occurred_at_ms) / 1000))
            self.routed += 1
        return deliveries

    def settle(self) -> None:
        """Count the batch (after its outputs are in Kafka)."""
        self._out.flush()


class Materializer(Protocol):
    """What the pipeline needs of the views (:class:`..views.MaterializeStage`)."""

    def apply(self, batch: Sequence[Forward]) -> None:
        """Apply valid events to the view tables (idempotent by event id)."""


class Pipeline:
    """validate → route → materialize for one batch, in one hop (module docstring)."""

    def __init__(
        self,
        validate: ValidateStage,
        route: RouteStage | None,
        views: Materializer | None,
    ) -> None:
        self.validate = validate
        self.route = route
        self.views = views

    async def handle(self, events: Sequence[Any]) -> None:
        """Run one batch; returns once every output is in Kafka and the tables are written."""
        judged = await self.validate.judge(events)
        deliveries = judged.deliveries
        if self.route is not None and judged.passed:
            deliveries += await self.route.route(judged.passed)
        if self.views is not None and judged.views:
            # Queryable while Kafka acknowledges; before the gate's state: see the docstring.
            self.views.apply(judged.views)
        await asyncio.gather(*deliveries)
        self.validate.settle(judged)
        if self.route is not None:
            self.route.settle()
