"""The views' stage of the worker's pipeline: batches of events → table states.

The worker's pipeline (:class:`lienthong.consumers.worker.stages.Pipeline`) hands each
batch to :meth:`MaterializeStage.run`: the events the gate passed — exactly what it
writes to the canonical topics, with the payload already decoded — and the duplicates it
refused, then the records of the views' own topic (the overdue announcements). For each
event the stage looks up the entity's state, applies the pure update
(:data:`.entities.APPLIERS`) and, once per batch and entity, writes the new JSON state
to the table in the event's own partition
(:func:`lienthong.consumers.faust_adapter.read`), its changelog record going out with
the batch's outputs. The duplicates come here so that a worker killed between the two
tables' changelog writes re-applies rather than loses an event; every update is
idempotent by ``event_id``.

An event whose update raises (a bug, or a date the SLA clock cannot count with) goes to
the dead letters (``processing_failed``, stage ``views``) and its entity keeps the state
it had; the rest of the batch is applied.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lienthong.consumers.batch import Batch, Forward, Message, Outbox
from lienthong.consumers.faust_adapter import read
from lienthong.consumers.state_json import dumps, loads
from lienthong.consumers.views.dossiers import OVERDUE_EVENT_TYPE
from lienthong.consumers.views.entities import APPLIERS, State
from lienthong.consumers.views.registry import Views
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.monitoring.tally import HistogramTally
from lienthong.schemas import headers as h

log = logging.getLogger(__name__)


def _decode(event_type: str, value: bytes) -> Mapping[str, Any]:
    if event_type != OVERDUE_EVENT_TYPE:
        raise ValueError(f"{event_type} reaches the views from the gate, not from a topic")
    decoded: Mapping[str, Any] = loads(value)
    return decoded


# Built per event: slots, not frozen (frozen costs ~1 µs more per object); never mutated.
@dataclass(slots=True)
class _Row:
    """One event for the tables: where it came from, what it is, its decoded payload."""

    message: Message  # its partition is where the key's state lives
    event_type: str
    event_id: str
    occurred_at_ms: int | None
    payload: Mapping[str, Any]

    @property
    def key(self) -> bytes:
        key = self.message.record.key
        assert key is not None  # rows are made only for keyed records
        return key


class MaterializeStage:
    """Batches of events → table states (pure updates, one write per key and batch)."""

    name = "views"

    def __init__(self, views: Views, metrics: AxisMetrics) -> None:
        self._views = views
        self._latency = HistogramTally(metrics.event_latency.labels("queryable"))

    async def run(self, batch: Batch, outbox: Outbox) -> None:
        """Apply the batch's valid events, then its records of the views' own topic."""
        if batch.views:
            self.apply(batch.views, outbox)
        if batch.own:
            self.handle(batch.own, outbox)

    def count(self, batch: Batch) -> None:
        """Nothing to add once delivered: the views count as they apply."""

    def apply(self, batch: Sequence[Forward], outbox: Outbox) -> None:
        """Apply valid events from the gate (their payload is decoded already).

        The new states are in the tables' stores now; their changelog records in ``outbox``.
        """
        rows = []
        for item in batch:
            facets = item.facets
            if item.key is None or facets.event_type not in APPLIERS:
                continue
            rows.append(
                _Row(
                    item.message,
                    facets.event_type,
                    facets.event_id,
                    facets.occurred_at_ms,
                    item.payload,
                )
            )
        self._apply(rows, outbox)

    def handle(self, messages: Sequence[Message], outbox: Outbox) -> None:
        """Apply records read from the views' topic (the overdue announcements, JSON)."""
        rows = []
        for message in messages:
            record = message.record
            headers = h.as_dict(record.headers)
            event_type = h.text(headers, h.EVENT_TYPE) or ""
            if event_type not in APPLIERS or record.key is None or record.value is None:
                continue
            try:
                payload = _decode(event_type, record.value)
            except ValueError as exc:
                self._views.undecodable += 1
                outbox.fail(record, self.name, exc)
                continue
            occurred = h.text(headers, h.OCCURRED_AT)
            stamp = int(occurred) if occurred and occurred.isdigit() else None
            event_id = h.text(headers, h.EVENT_ID) or ""
            rows.append(_Row(message, event_type, event_id, stamp, payload))
        self._apply(rows, outbox)

    def _update(self, row: _Row, changed: dict[tuple[str, bytes], tuple[State, _Row]]) -> bool:
        """Apply one row to its entity's latest state; ``False``: already applied."""
        name, apply = APPLIERS[row.event_type]
        key = row.key
        pending = changed.get((name, key))
        if pending is not None:
            state: State | None = pending[0]
        else:
            raw = read(self._views.tables[name], row.message.event, key)
            state = None if raw is None else loads(raw)
        new = apply(state, row.payload)
        if new is None:
            return False
        changed[(name, key)] = (new, row)
        return True

    def _apply(self, rows: Sequence[_Row], outbox: Outbox) -> None:
        views = self._views
        changed: dict[tuple[str, bytes], tuple[State, _Row]] = {}
        applied: list[_Row] = []
        for row in rows:
            try:
                fresh = self._update(row, changed)
            except Exception as exc:  # noqa: BLE001  # one record's fault costs the record
                outbox.fail(row.message.record, self.name, exc)
                continue
            if fresh:
                applied.append(row)
            else:
                views.duplicates += 1
        now = time.time()
        for (name, key), (state, row) in changed.items():
            try:
                value = dumps(state)
                if name == "dossiers":
                    views.due.note(key, state)  # the SLA clock's next look at the dossier
                    views.tally.note(key, state)
            except Exception as exc:  # noqa: BLE001  # the entity keeps its last state
                outbox.fail(row.message.record, self.name, exc)
                continue
            outbox.put(views.tables[name], key, value, row.message)
        views.applied += len(applied)
        observe = self._latency.observe
        for row in applied:
            if row.occurred_at_ms is not None:
                observe(max(0.0, now - row.occurred_at_ms / 1000))
        self._latency.flush()
        for hook in views.on_applied:
            for row in applied:
                hook(row.event_type, row.event_id, int(now * 1000))
