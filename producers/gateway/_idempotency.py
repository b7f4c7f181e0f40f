"""Idempotency by ``event_id``: a repeated POST returns the first result, produces nothing.

Each event id is *claimed* before it is produced and *completed* with its Kafka
position once acknowledged, in one SQLite file (WAL). Claims are atomic
(``BEGIN IMMEDIATE``), so two requests carrying the same id, in one gateway or in
several gateway processes sharing the file on one host, cannot both produce it: the
second sees the claim and is told to retry (409), then gets the first result.

Limits, by design:
- Gateways on different hosts do not share the file; there a repeat can be produced
  twice. ``event_id`` stays the idempotency key downstream (the worker and sinks
  deduplicate), which is the guarantee the axis relies on; the gateway's store only
  spares Kafka and the worker most duplicates.
- ``synchronous=NORMAL``: a completed claim survives a crash of the gateway process,
  but the last few may roll back on power loss; a retry then produces a duplicate
  (deduplicated downstream) instead of every request paying an fsync.
- Results are kept ``ttl_s`` (7 days by default); a repeat after that is new again.
- A claim whose gateway died before completing it is taken over after ``stale_s``.
- The same event id with a different content is a conflict, never a silent repeat.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS seen (
    event_id    TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    topic       TEXT,
    partition   INTEGER,
    offset      INTEGER,
    updated_at  REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS seen_updated ON seen (updated_at);
"""


_CHUNK = 500  # ids per SELECT ... IN (...), well under SQLite's variable limit
_SELECT_IN = (
    "SELECT event_id, fingerprint, done, topic, partition, offset, updated_at "
    "FROM seen WHERE event_id IN ({marks})"
)


class ClaimState(Enum):
    """What a claim found."""

    NEW = "new"  # the caller owns the id now: produce, then complete or release
    DONE = "done"  # produced before: here is its position
    BUSY = "busy"  # another request is producing it right now
    CONFLICT = "conflict"  # produced before with a different content


@dataclass(frozen=True)
class Position:
    """Where an event landed in Kafka (partition and offset None while spooled)."""

    topic: str
    partition: int | None
    offset: int | None


@dataclass(frozen=True)
class Claim:
    """The answer for one event id."""

    state: ClaimState
    position: Position | None = None


# Answers without a position are shared: a frozen dataclass costs ~1 µs to build, and
# a batch claims a hundred ids.
_NEW = Claim(ClaimState.NEW)
_BUSY = Claim(ClaimState.BUSY)
_CONFLICT = Claim(ClaimState.CONFLICT)


class IdempotencyStore:
    """Claims and results by event id, in a SQLite file shared by gateways on one host."""

    def __init__(self, path: Path, *, ttl_s: float = 7 * 86_400.0, stale_s: float = 120.0) -> None:
        self.path = path
        self.ttl_s = ttl_s
        self.stale_s = stale_s
        path.parent.mkdir(parents=True, exist_ok=True)
        # timeout: another gateway process may hold the write lock for a moment.
        self._db = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        self._mutex = threading.Lock()
        self.prune()

    def claim(self, items: Sequence[tuple[str, str]]) -> list[Claim]:
        """Claim each ``(event_id, fingerprint)`` in one transaction; answers in order.

        One SELECT for the whole batch and one INSERT for the new ids: a batch of 100
        costs a few statements, not 200.
        """
        now = time.time()
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                answers = self._claim_all(items, now)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return answers

    def _claim_all(self, items: Sequence[tuple[str, str]], now: float) -> list[Claim]:
        known: dict[str, tuple[str, int, str, int | None, int | None, float]] = {}
        ids = [event_id for event_id, _ in items]
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            # Only '?' placeholders are formatted into the text; the ids are parameters.
            query = _SELECT_IN.format(marks=",".join("?" * len(chunk)))
            for row in self._db.execute(query, chunk):
                known[row[0]] = row[1:]
        answers: list[Claim] = []
        new: list[tuple[str, str, float]] = []
        taken_over: list[tuple[float, str]] = []
        for event_id, fingerprint in items:
            row = known.get(event_id)
            if row is None:
                new.append((event_id, fingerprint, now))
                answers.append(_NEW)
                continue
            stored, done, topic, partition, offset, updated = row
            if stored != fingerprint:
                answers.append(_CONFLICT)
            elif done:
                answers.append(Claim(ClaimState.DONE, Position(topic, partition, offset)))
            elif now - updated < self.stale_s:
                answers.append(_BUSY)
            else:  # the claimant died before completing: take the claim over
                taken_over.append((now, event_id))
                answers.append(_NEW)
        self._db.executemany(
            "INSERT INTO seen (event_id, fingerprint, updated_at) VALUES (?, ?, ?)", new
        )
        self._db.executemany("UPDATE seen SET updated_at = ? WHERE event_id = ?", taken_over)
        return answers

    def complete(self, results: Sequence[tuple[str, Position]]) -> None:
        """Record where claimed events landed; later repeats get these positions."""
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                # updated_at stays the claim's time (milliseconds earlier): rewriting it
                # would move the row in the updated_at index for nothing.
                "UPDATE seen SET done = 1, topic = ?, partition = ?, offset = ? WHERE event_id = ?",
                [(p.topic, p.partition, p.offset, eid) for eid, p in results],
            )
            self._db.execute("COMMIT")

    def release(self, event_ids: Sequence[str]) -> None:
        """Drop claims whose events were not produced, so a retry may try again."""
        with self._mutex:
            self._db.executemany(
                "DELETE FROM seen WHERE event_id = ? AND done = 0", [(e,) for e in event_ids]
            )

    def prune(self) -> int:
        """Forget results older than the retention; return how many."""
        with self._mutex:
            cursor = self._db.execute(
                "DELETE FROM seen WHERE updated_at < ?", (time.time() - self.ttl_s,)
            )
        return cursor.rowcount

    def close(self) -> None:
        with self._mutex:
            self._db.close()
