"""The records handed to the Kafka client and not yet settled, oldest first.

Why the SDK keeps this ledger: order per key. The Kafka client is configured never to
give up on a record (no delivery timeout of its own), so with idempotence it writes
each partition in exactly the order records were handed to it, whatever the outage
length. A client that expired records could fail an older record of a key while a
newer one, sent a moment later, still got through; spooling the older one then put it
behind the newer one for good.

The publisher's own ``delivery_timeout_s`` is enforced here instead: once the oldest
unsettled record is older than that, every unsettled record is *in doubt*. The
publisher then copies all of them, in the order they were sent, to the durable spool
(and tells their callers ``spooled``), and spools every later event behind them. The
client still holds the originals and delivers them first when Kafka is back; a copy
whose original was acknowledged meanwhile is dropped from the spool (or, if already
drained, arrives a second time, which ``event_id`` deduplicates downstream).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Any

from lienthong.producers._record import Delivery, DeliveryCallback, Record

IN_CLIENT, TELLING, COPIED, SETTLED = 0, 1, 2, 3


class Settlement:
    """What the records of one publisher share: a lock for their state, copies to drop.

    A :class:`Pending` refers to this, never to the ledger: a ledger that referred back
    to its records would make a reference cycle per event for the collector to find.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.needless: deque[int] = deque()  # spool rows whose originals Kafka acknowledged
        self.copied = 0  # records copied to the spool whose originals the client still holds

    def take_needless(self) -> list[int]:
        taken: list[int] = []
        while self.needless:
            taken.append(self.needless.popleft())
        return taken


class Pending:
    """One record in the client: its parts, its caller's callback, what became of it.

    It is also the ack callback and errback the client calls (one object per event in
    flight, no closure or bound method in between; only str and bytes in the parts
    tuple, which the collector stops tracking).
    """

    __slots__ = ("_on_delivery", "_on_failure", "_parts", "_shared", "sent_at", "seq", "state")

    def __init__(
        self,
        record: Record,
        on_delivery: DeliveryCallback,
        on_failure: Callable[[Pending, Exception], None],
        shared: Settlement,
    ) -> None:
        self._parts = (
            record.topic,
            record.key,
            record.value,
            tuple(record.headers),
            record.event_id,
        )
        self._on_delivery = on_delivery
        self._on_failure = on_failure
        self._shared = shared
        self.sent_at = time.monotonic()
        self.state = IN_CLIENT
        self.seq = 0  # the spool row of its copy, once COPIED

    def record(self) -> Record:
        """The record as it was sent."""
        topic, key, value, headers, event_id = self._parts
        return Record(topic, key, value, list(headers), event_id)

    def tell(self, delivery: Delivery) -> None:
        self._on_delivery(delivery)

    def claim(self) -> int:
        """Take the record out of doubt; the state it had (an ack racing a copy acts once).

        A record whose caller is about to be told stays TELLING until :meth:`told`, so
        a flush waits for the callback, not just the outcome.
        """
        with self._shared.lock:
            state = self.state
            self.state = TELLING if state == IN_CLIENT else SETTLED
            if state == COPIED:
                self._shared.copied -= 1
        return state

    def told(self) -> None:
        self.state = SETTLED

    def acked(self, meta: Any) -> None:
        """Kafka acknowledged (kafka-python's ``RecordMetadata`` or an ``Acked``)."""
        state = self.claim()
        if state == IN_CLIENT:
            try:
                self._on_delivery(
                    Delivery(self._parts[4], self._parts[0], meta.partition, meta.offset)
                )
            finally:
                self.state = SETTLED
        elif state == COPIED:
            self._shared.needless.append(self.seq)  # its copy in the spool can go

    def __call__(self, exc: Exception) -> None:
        """Kafka failed the record."""
        self._on_failure(self, exc)


def mark_copied(
    doubtful: Sequence[Pending], seqs: Sequence[int], shared: Settlement
) -> list[Pending]:
    """Note where each record's copy went; the ones whose callers learn ``spooled`` now.

    A record acknowledged while it was being copied keeps its ``delivered`` outcome,
    and its copy is dropped.
    """
    told: list[Pending] = []
    with shared.lock:
        for pending, seq in zip(doubtful, seqs, strict=True):
            if pending.state == IN_CLIENT:
                pending.state, pending.seq = COPIED, seq
                shared.copied += 1
                told.append(pending)
            else:
                shared.needless.append(seq)
    return told


class InFlight:
    """Records still in the client, in send order; used under the publisher's routing lock."""

    def __init__(self) -> None:
        self._queue: deque[Pending] = deque()

    def add(self, pending: Pending) -> None:
        self._prune()
        self._queue.append(pending)

    def overdue(self, timeout_s: float) -> bool:
        """Whether the oldest record still in the client waited longer than ``timeout_s``."""
        self._prune()
        if not self._queue or self._queue[0].state != IN_CLIENT:
            return False
        return time.monotonic() - self._queue[0].sent_at > timeout_s

    def in_doubt(self) -> list[Pending]:
        """Every record still in the client, oldest first."""
        return [p for p in self._queue if p.state == IN_CLIENT]

    @property
    def empty(self) -> bool:
        self._prune()
        return not self._queue

    def _prune(self) -> None:
        queue = self._queue
        while queue and queue[0].state >= COPIED:
            queue.popleft()
