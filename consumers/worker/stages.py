"""The worker's two stages, one batch at a time: validate, then route.

Both take a batch from faust (``take_events``), decide every record synchronously (pure
code in :mod:`..gate` and :mod:`..routing`), hand every output to the producer without
awaiting it, and await all deliveries once at the end of the batch. faust acknowledges
the batch's offsets only after :meth:`handle` returns, so nothing is committed before
its outputs are in Kafka (at least once); the entity table makes the gate pass an
event id once (see :mod:`..dedup` for the bounds).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from prometheus_client import Counter, Histogram

from lienthong.connectors.topics import TopicLayout
from lienthong.consumers import headers as h
from lienthong.consumers.dedup import EMPTY, EntityState, RecentIds
from lienthong.consumers.gate import Gate, IngressRecord, Passed, Verdict, now_ms
from lienthong.consumers.routing.watch import RulesWatcher
from lienthong.consumers.worker._context import event_context
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.errors import CodecError, RegistryError

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

    async def handle(self, events: Sequence[Any]) -> None:
        """Validate one batch; returns once every output is acknowledged by Kafka."""
        deliveries: list[Awaitable[Any]] = []
        changed: dict[bytes, tuple[EntityState, Any]] = {}
        deadletter = self._layout.deadletter
        for event in events:
            message = event.message
            record = _record(message)
            key = record.key
            pending = changed.get(key) if key is not None else None
            state = pending[0] if pending is not None else self._state(event, key)
            verdict = await self._verdict(record, state)
            if isinstance(verdict, Passed):
                facets = verdict.facets
                self._in.inc(record.topic, facets.agency, facets.event_type)
                deliveries.append(
                    await self._send(verdict.topic, key, record.value, verdict.headers)
                )
                self._out.inc(verdict.topic, facets.agency, facets.event_type)
                self._latency.observe(max(0.0, (now_ms() - facets.occurred_at_ms) / 1000))
                if key is not None:
                    changed[key] = (verdict.state, event)
                self.passed += 1
            else:
                letter = verdict.letter
                self._in.inc(
                    record.topic, letter.refusal.agency or "", letter.refusal.event_type or ""
                )
                headers = [*record.headers, *letter.headers()]
                deliveries.append(await self._send(deadletter, key, record.value, headers))
                self._failures.inc(letter.reason)
                self._dead.inc(deadletter, letter.reason)
                self.refused += 1
        # One table write per entity per batch: the changelog carries the final state.
        for key, (state, event) in changed.items():
            with event_context(event):
                self._table[key] = state.to_bytes()
        await asyncio.gather(*deliveries)
        for children in (self._in, self._out, self._failures, self._dead):
            children.flush()


class RouteStage:
    """Canonical records → the subscriber topics the rules name, decided on headers."""

    def __init__(
        self,
        watcher: RulesWatcher,
        send: Send,
        deserializer: AvroDeserializer,
        metrics: AxisMetrics,
        *,
        recent: RecentIds,
        on_new_subscribers: Callable[[list[str]], Awaitable[None]],
    ) -> None:
        self._watcher = watcher
        self._send = send
        self._deserializer = deserializer
        self._recent = recent
        self._on_new_subscribers = on_new_subscribers
        self._out = _Children(metrics.events_out)
        self._latency: Histogram = metrics.event_latency.labels("route")
        self.routed = 0
        self.duplicates = 0
        self.unrouted = 0

    def _loader(self, value: bytes | None) -> Callable[[], Mapping[str, Any] | None]:
        def load() -> Mapping[str, Any] | None:
            try:
                return self._deserializer.decode(value or b"").value
            except (CodecError, RegistryError) as exc:
                log.warning("cannot open a canonical payload for a payload rule: %s", exc)
                return None

        return load

    async def handle(self, events: Sequence[Any]) -> None:
        """Route one batch; returns once every output is acknowledged by Kafka."""
        router, reloaded = self._watcher.current()
        if reloaded:
            await self._on_new_subscribers(router.rules.subscribers())
        deliveries: list[Awaitable[Any]] = []
        for event in events:
            message = event.message
            raw = message.headers or ()
            headers = h.as_dict(raw)
            event_id = headers.get(h.EVENT_ID)
            if event_id is not None and not self._recent.add(event_id.decode()):
                self.duplicates += 1
                continue
            decision = router.route(headers, self._loader(message.value))
            if not decision.topics:
                self.unrouted += 1
                continue
            out = [*raw, (h.ROUTED_BY, ",".join(decision.rules).encode())]
            agency = h.text(headers, h.AGENCY) or ""
            event_type = h.text(headers, h.EVENT_TYPE) or ""
            for topic in decision.topics:
                deliveries.append(await self._send(topic, message.key, message.value, out))
                self._out.inc(topic, agency, event_type)
            occurred = h.text(headers, h.OCCURRED_AT)
            if occurred and occurred.isdigit():
                self._latency.observe(max(0.0, (now_ms() - int(occurred)) / 1000))
            self.routed += 1
        await asyncio.gather(*deliveries)
        self._out.flush()
