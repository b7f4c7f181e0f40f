"""The drainer: a background thread that delivers the spool, oldest first, once Kafka is back.

Each round sends a batch of the oldest spooled records, waits for Kafka's
acknowledgements, and removes only the acknowledged ones: a record leaves the spool
after Kafka has it, never before (so a crash in between re-sends, never loses). While
Kafka is away a round sends a single record, a cheap probe, then pauses
``retry_interval_s``. A record Kafka refuses for good (too large, not authorised)
moves to the spool's ``rejected`` table instead of blocking its key forever.

When the spool is empty the publisher is put back *online* (events go straight to
Kafka again).
"""

from __future__ import annotations

import logging
import threading
import time

from kafka.future import Future

from lienthong.producers._errors import KafkaUnavailable, PublishRefused
from lienthong.producers._link import Link, is_transient
from lienthong.producers._settings import PublisherSettings
from lienthong.producers._spool import Spool, Spooled

log = logging.getLogger("lienthong.producers")


class Drainer:
    """Delivers the spool in the background; one per publisher."""

    def __init__(
        self,
        spool: Spool,
        link: Link,
        online: threading.Event,
        settings: PublisherSettings,
    ) -> None:
        self._spool = spool
        self._link = link
        self._online = online
        self._settings = settings
        self._wakeup = threading.Event()
        self._stopping = threading.Event()
        self._healthy = False  # last round delivered everything it sent
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
            if not len(self._spool):
                self._online.set()
                self._wakeup.wait(self._settings.retry_interval_s)
                self._wakeup.clear()
                continue
            try:
                complete = self._round()
            except Exception:  # the thread must outlive any surprise; the spool is intact
                log.exception("draining the spool failed; retrying")
                complete = False
            self._healthy = complete
            if not complete:
                self._stopping.wait(self._settings.retry_interval_s)

    def _round(self) -> bool:
        size = self._settings.drain_batch if self._healthy else 1
        batch = self._spool.head(size)
        sent: list[tuple[Spooled, Future]] = []
        complete = True
        for item in batch:
            try:
                sent.append((item, self._link.send(item.record)))
            except KafkaUnavailable as exc:
                log.info("spool: Kafka still unavailable (%s)", str(exc))
                complete = False
                break  # the rest would overtake this one; they wait for the next round
            except PublishRefused as exc:
                self._refuse(item, str(exc))
        self._link.flush(self._settings.delivery_timeout_s)
        delivered: list[Spooled] = []
        for item, future in sent:
            if future.is_done and future.succeeded():
                delivered.append(item)
            elif future.is_done and not is_transient(future.exception):
                self._refuse(item, f"{type(future.exception).__name__}: {future.exception}")
            else:
                complete = False
        self._spool.remove(delivered)
        if delivered:
            log.info("spool: delivered %d events, %d left", len(delivered), len(self._spool))
        return complete

    def _refuse(self, item: Spooled, reason: str) -> None:
        log.error("spool: Kafka refused event %s for good: %s", item.record.event_id, reason)
        self._spool.reject(item, reason)
