"""The SLA timer: announce each dossier's lateness once, reading only dossiers now due.

Every ``overdue_scan_s`` the scanner looks at the dossiers whose due time has passed,
and for each one past due without a result and not yet marked it sends one record to
``<prefix>.events.dossier.overdue`` (key MaHoSo, same partition as the dossier). The
worker reads that topic with its ingress and the views set ``overdue_emitted`` in the
dossier's state; until then the scanner remembers what it sent, so it does not send twice
in one process. After a crash between the send and the mark, a restart may send again:
the record has the same ``event_id`` (derived from MaHoSo and the due time) and the mark
is idempotent.

Which dossiers are due comes from a :class:`DueIndex` in memory, kept by the views as
they apply events. Reading every dossier at each scan instead cost ~40 µs per dossier, a
third of the worker's time with 20,000 open dossiers (``bench/bench_views.py``). The
index is rebuilt from the table after every rebalance, once the tables have recovered:
changelog recovery writes states the views never applied.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from typing import TYPE_CHECKING, Any

from lienthong.consumers.state_json import dumps, loads
from lienthong.consumers.views.dossiers import (
    OVERDUE_EVENT_TYPE,
    becomes_overdue,
    due_candidate,
    overdue_event,
)
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas import headers as h

if TYPE_CHECKING:
    from lienthong.consumers.views.registry import Send, Views
    from lienthong.consumers.views.tally import DossierTally

log = logging.getLogger(__name__)

SCAN_CHUNK = 200
"""Dossiers read between two turns of the event loop while rebuilding (~5 ms)."""


class DueIndex:
    """Open, unannounced dossiers by the time they may become overdue (ms).

    A superset filter: the scanner checks every candidate against its current state, so
    an entry that is stale in the safe direction (still listed) costs one read. Missing
    an open dossier would miss its announcement; :meth:`note` after every state the views
    write and :meth:`rebuild` after a rebalance keep that from happening.
    """

    def __init__(self) -> None:
        self._due: dict[bytes, int] = {}
        self._noted: set[bytes] = set()  # written while a rebuild reads the table
        self.stale = True  # nothing read yet: the first scan rebuilds

    def __len__(self) -> int:
        return len(self._due)

    def __contains__(self, key: object) -> bool:
        return key in self._due

    def note(self, key: bytes, state: Mapping[str, Any]) -> None:
        """Record a dossier's new state (the views call this for every write)."""
        due = due_candidate(state)
        if due is None:
            self._due.pop(key, None)
        else:
            self._due[key] = due
        if self.stale:
            self._noted.add(key)

    def due_by(self, now_ms: int) -> list[bytes]:
        """The dossiers whose due time is ``now_ms`` or earlier."""
        return [key for key, due in self._due.items() if due <= now_ms]

    async def rebuild(
        self, table: Any, still_valid: Callable[[], bool], tally: DossierTally | None = None
    ) -> bool:
        """Read every dossier of ``table``; ``False`` if ``still_valid`` failed midway.

        The keys are copied first and each state read when its turn comes: the rebuild
        yields to the event loop between chunks, and the pipeline writes the table then
        (iterating faust's memory store, a dict, across those turns raised "dictionary
        changed size during iteration" and stopped the worker at every start, issue 17).
        States written meanwhile were noted already and win over what the read returns.
        ``tally`` is rebuilt in the same pass (the views note it with the same states).
        """
        self._due.clear()
        self._noted.clear()
        self.stale = True
        if tally is not None:
            tally.clear()
        found: dict[bytes, int] = {}
        for n, key in enumerate(list(table.keys())):
            if n % SCAN_CHUNK == SCAN_CHUNK - 1:
                await asyncio.sleep(0)
                if not still_valid():
                    return False
            raw = table.get(key)
            if raw is None:
                continue  # deleted since the copy (or a tombstone)
            state = loads(raw)
            due = due_candidate(state)
            if due is not None:
                found[key] = due
            if tally is not None and key not in self._noted:
                tally.note(key, state)
        if not still_valid():
            return False  # a rebalance came after the last chunk
        for key, due in found.items():
            if key not in self._noted:
                self._due[key] = due
        self._noted.clear()
        self.stale = False
        if tally is not None:
            tally.ready = True
        return True


class OverdueScanner:
    """Announces each dossier's lateness once (see the module docstring)."""

    def __init__(
        self, views: Views, send: Send, topic: str, clock: Callable[[], float], metrics: AxisMetrics
    ) -> None:
        self._views = views
        self._counter = metrics.overdue_dossiers
        self._failures = metrics.processing_failures
        self._send = send
        self._topic = topic
        self._clock = clock
        self._sent: set[str] = set()

    def _settled(self) -> bool:
        app = self._views.app
        manager: Any = app.tables  # the concrete TableManager has the recovery service
        return not app.rebalancing and manager.recovery.completed.is_set()

    async def _due(self, now_ms: int) -> AsyncIterator[Mapping[str, Any]]:
        """The states of the dossiers due by ``now_ms`` (rebuilding the index if stale)."""
        table = self._views.tables["dossiers"]
        index = self._views.due
        if index.stale and not await index.rebuild(table, self._settled, self._views.tally):
            return
        for n, key in enumerate(index.due_by(now_ms)):
            if n % SCAN_CHUNK == SCAN_CHUNK - 1:
                await asyncio.sleep(0)
            raw = table.get(key)
            if raw is not None:
                yield loads(raw)

    def _clock_failed(self, ma: str, exc: Exception) -> None:
        """Count a dossier whose SLA clock raised; it is not looked at again while due."""
        kind = type(exc).__name__
        log.error("the SLA clock failed on dossier %s (%s: %s); skipped", ma, kind, exc)
        self._failures.labels("sla_clock", kind).inc()
        self._sent.add(ma)

    async def scan(self) -> int:
        """Send the overdue records due now; returns how many were sent."""
        if not self._settled():
            return 0  # a table still recovering would look like nothing was announced
        now_ms = int(self._clock() * 1000)
        deliveries = []
        async for state in self._due(now_ms):
            ma = state["ma_ho_so"]
            if ma in self._sent:
                continue
            try:
                body = overdue_event(state, now_ms) if becomes_overdue(state, now_ms) else None
            except Exception as exc:  # noqa: BLE001  # one dossier's clock, not the timer
                self._clock_failed(ma, exc)
                continue
            if body is None:
                continue
            headers = h.encode(
                [
                    (h.EVENT_ID, body["event_id"]),
                    (h.EVENT_TYPE, OVERDUE_EVENT_TYPE),
                    (h.AGENCY, body["agency"]),
                    (h.OCCURRED_AT, str(now_ms)),
                ]
            )
            value = dumps(body)
            deliveries.append(await self._send(self._topic, ma.encode(), value, headers))
            self._sent.add(ma)
            self._counter.labels(body["agency"] or "").inc()
        await asyncio.gather(*deliveries)
        # Marked meanwhile (or no longer open): out of the index, no need to remember.
        self._sent = {ma for ma in self._sent if ma.encode() in self._views.due}
        self._views.overdue_sent += len(deliveries)
        return len(deliveries)
