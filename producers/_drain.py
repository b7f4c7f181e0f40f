"""The drainer: a background thread that delivers the spool, oldest first, once Kafka is back.

Each round sends a batch of the oldest spooled records and waits for Kafka's
acknowledgements; only acknowledged records leave the spool (a crash in between
re-sends, never loses). The client never gives up on a record by itself, so a record
still unacknowledged is waited for, never sent again behind newer ones: that would put
it behind them in Kafka. While Kafka is away a round sends a single record, a cheap
probe. A record Kafka refuses for good (too large, not authorised) moves to the
spool's ``rejected`` table instead of blocking its key forever.

On every turn it first lets the publisher look at the records sent directly (``watch``):
those unacknowledged beyond the delivery timeout are copied to the spool. While the
client still holds such records, draining waits: they go to Kafka first, and each one
acknowledged makes its copy needless. When the spool is empty the publisher is put back
*online* (events go straight to Kafka again).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from kafka.future import Future

from lienthong.producers._errors import KafkaUnavailable, PublishRefused
from lienthong.producers._link import Link, is_transient
from lienthong.producers._settings import PublisherSettings
from lienthong.producers._spool import Spool, Spooled

log = logging.getLogger("lienthong.producers")

# How often the drainer looks at the records in flight, at most: bounds how late past
# the delivery timeout an unacknowledged event is reported spooled.
LOOK_S = 0.5


class Drainer:
    """Delivers the spool in the background; one per publisher."""

    def __init__(
        self,
        spool: Spool,
        link: Link,
        online: threading.Event,
        settings: PublisherSettings,
        watch: Callable[[], bool],
    ) -> None:
        self._spool = spool
        self._link = link
        self._online = online
        self._settings = settings
        self._watch = watch
        self._tick = min(LOOK_S, settings.retry_interval_s)
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._healthy = False  # last round delivered everything it sent
        self._sent: list[tuple[Spooled, Future]] = []  # the round still awaiting Kafka
        self._thread = threading.Thread(target=self._run, name="lienthong-spool", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        """Look at the spool now rather than after the pause."""
        self._wakeup.set()

    def stop(self, timeout_s: float) -> None:
        self._stopping.set()
        self._wakeup.set()
        self._thread.join(timeout_s)

    def wait_empty(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while len(self._spool) or not self._online.is_set():
            if time.monotonic() >= deadline:
                return False
            self._wakeup.set()
            time.sleep(0.05)
        return True

    def _run(self) -> None:
        while not self._stopping.is_set():
            pause = self._tick
            try:
                busy = self._watch()
                if not len(self._spool):
                    self._online.set()
                elif not busy:  # else the client's own records go first, then this spool
                    landed = self._round()
                    if landed is not None:
                        self._healthy = landed
                        if landed:
                            continue  # the next batch at once
                        pause = self._settings.retry_interval_s
            except Exception:  # the thread must outlive any surprise; the spool is intact
                log.exception("draining the spool failed; retrying")
                pause = self._settings.retry_interval_s
            self._wakeup.wait(pause)
            self._wakeup.clear()

    def _round(self) -> bool | None:
        """Send a batch (unless the last one still waits) and settle it.

        True if all of it landed, False if some failed (sent again next round), None
        while Kafka has not answered for all of it yet.
        """
        complete = True
        if not self._sent:
            self._sent, complete = self._send(self._settings.drain_batch if self._healthy else 1)
        deadline = time.monotonic() + self._tick
        while not all(future.is_done for _, future in self._sent):
            if time.monotonic() >= deadline or self._stopping.is_set():
                return None  # the client keeps trying; the next round waits on
            time.sleep(0.01)
        delivered: list[Spooled] = []
        for item, future in self._sent:
            if future.succeeded():
                delivered.append(item)
            elif not is_transient(future.exception):
                self._refuse(item, f"{type(future.exception).__name__}: {future.exception}")
            else:
                complete = False  # stays spooled, sent again next round
        self._sent = []
        self._spool.remove(delivered)
        if delivered:
            log.info("spool: delivered %d events, %d left", len(delivered), len(self._spool))
        return complete

    def _send(self, size: int) -> tuple[list[tuple[Spooled, Future]], bool]:
        sent: list[tuple[Spooled, Future]] = []
        for item in self._spool.head(size):
            try:
                sent.append((item, self._link.send(item.record)))
            except KafkaUnavailable as exc:
                log.info("spool: Kafka still unavailable (%s)", str(exc))
                return sent, False  # the rest would overtake this one; next round
            except PublishRefused as exc:
                self._refuse(item, str(exc))
        return sent, True

    def _refuse(self, item: Spooled, reason: str) -> None:
        log.error("spool: Kafka refused event %s for good: %s", item.record.event_id, reason)
        self._spool.reject(item, reason)
