"""The durable spool: encoded events kept on disk while Kafka cannot take them.

One SQLite file per publishing process, in WAL mode with ``synchronous=FULL``: an
append returns only once the event is on disk, so a crash or power loss right after
:meth:`Spool.append` loses nothing. Rows keep their insertion order (``seq``), which
is the order they are sent in once Kafka is back; so the order per key holds as long
as every event of a key that has spooled events goes through the spool too (the
publisher sees to it with :meth:`Spool.has_pending`).

The spool holds encoded bytes (schema id included), not models: draining needs
neither the registry nor the event classes. It is bounded in bytes; a full spool
refuses new events with :class:`SpoolFull` rather than filling the disk.

An exclusive ``flock`` on ``<file>.lock`` keeps a second process from draining the
same file (two drainers would reorder and duplicate events).
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lienthong.producers._errors import SpoolFull, SpoolLocked
from lienthong.producers._record import Record
from lienthong.schemas.headers import Headers

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spool (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    topic     TEXT NOT NULL,
    key       BLOB NOT NULL,
    value     BLOB NOT NULL,
    headers   TEXT NOT NULL,
    event_id  TEXT NOT NULL,
    size      INTEGER NOT NULL,
    queued_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rejected (
    seq         INTEGER PRIMARY KEY,
    topic       TEXT NOT NULL,
    key         BLOB NOT NULL,
    value       BLOB NOT NULL,
    headers     TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    reason      TEXT NOT NULL,
    rejected_at REAL NOT NULL
);
"""


@dataclass(frozen=True)
class Spooled:
    """A record in the spool with its position."""

    seq: int
    record: Record


def _dump_headers(headers: Headers) -> str:
    return json.dumps([[name, value.hex()] for name, value in headers])


def _load_headers(text: str) -> Headers:
    return [(str(name), bytes.fromhex(value)) for name, value in json.loads(text)]


class Spool:
    """A bounded, ordered, crash-safe queue of records in one SQLite file; thread-safe."""

    def __init__(self, path: Path, *, max_bytes: int) -> None:
        self.path = path
        self.max_bytes = max_bytes
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            os.close(self._lock_fd)
            raise SpoolLocked(
                f"spool {path} is in use by another publisher process; give each process "
                "its own file (LIENTHONG_PUBLISHER_SPOOL_PATH)"
            ) from exc
        # isolation_level=None: transactions are explicit (BEGIN IMMEDIATE ... COMMIT).
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        # FULL: with WAL, NORMAL may lose the last commits on power loss; a spooled
        # event is one we told the caller is safe, so every commit is fsynced.
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)
        self._mutex = threading.Lock()
        self._pending: Counter[tuple[str, bytes]] = Counter()
        self._bytes = 0
        self._count = 0
        for topic, key, count, size in self._db.execute(
            "SELECT topic, key, COUNT(*), SUM(size) FROM spool GROUP BY topic, key"
        ):
            self._pending[(topic, bytes(key))] = count
            self._bytes += size
            self._count += count

    # -- observing -----------------------------------------------------------------
    def __len__(self) -> int:
        return self._count

    @property
    def bytes_used(self) -> int:
        return self._bytes

    def has_pending(self, topic: str, key: bytes) -> bool:
        """Whether events of this key wait in the spool (so new ones must queue behind)."""
        return (topic, key) in self._pending

    def head(self, limit: int) -> list[Spooled]:
        """The ``limit`` oldest records, oldest first."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT seq, topic, key, value, headers, event_id FROM spool ORDER BY seq LIMIT ?",
                (limit,),
            ).fetchall()
        return [
            Spooled(seq, Record(topic, bytes(key), bytes(value), _load_headers(h), event_id))
            for seq, topic, key, value, h, event_id in rows
        ]

    def rejected(self) -> list[tuple[str, str]]:
        """(event_id, reason) of records Kafka refused for good while draining."""
        with self._mutex:
            return list(self._db.execute("SELECT event_id, reason FROM rejected ORDER BY seq"))

    # -- changing ------------------------------------------------------------------
    def append(self, records: Sequence[Record]) -> list[int]:
        """Store ``records`` durably, in order; their rows' ``seq``. SpoolFull beyond the bound."""
        added = sum(r.size for r in records)
        now = time.time()
        with self._mutex:
            if self._bytes + added > self.max_bytes:
                raise SpoolFull(
                    f"spool {self.path} is full: {len(self)} events, {self._bytes} of "
                    f"{self.max_bytes} bytes, and Kafka is still unreachable. Restore Kafka, "
                    "or raise LIENTHONG_PUBLISHER_SPOOL_MAX_BYTES; this event was not kept."
                )
            seqs: list[int] = []
            with self._transaction():
                for r in records:
                    cursor = self._db.execute(
                        "INSERT INTO spool (topic, key, value, headers, event_id, size, queued_at)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?)",
                        (
                            r.topic,
                            r.key,
                            r.value,
                            _dump_headers(r.headers),
                            r.event_id,
                            r.size,
                            now,
                        ),
                    )
                    seqs.append(int(cursor.lastrowid or 0))
            for r in records:
                self._pending[(r.topic, r.key)] += 1
            self._bytes += added
            self._count += len(records)
        return seqs

    def remove(self, delivered: Sequence[Spooled]) -> None:
        """Forget records Kafka acknowledged."""
        self.discard([s.seq for s in delivered])

    def discard(self, seqs: Sequence[int]) -> None:
        """Forget the rows ``seqs`` that are still here (a row may be dropped twice)."""
        if not seqs:
            return
        with self._mutex, self._transaction():
            gone = [
                self._db.execute(
                    "DELETE FROM spool WHERE seq = ? RETURNING topic, key, size", (seq,)
                ).fetchone()
                for seq in seqs
            ]
            for row in gone:
                if row is not None:
                    self._forget(row[0], bytes(row[1]), row[2])

    def reject(self, refused: Spooled, reason: str) -> None:
        """Move a record Kafka refused for good to the ``rejected`` table (kept for audit)."""
        r = refused.record
        with self._mutex, self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    refused.seq,
                    r.topic,
                    r.key,
                    r.value,
                    _dump_headers(r.headers),
                    r.event_id,
                    reason,
                    time.time(),
                ),
            )
            if self._db.execute("DELETE FROM spool WHERE seq = ?", (refused.seq,)).rowcount:
                self._forget(r.topic, r.key, r.size)

    def close(self) -> None:
        with self._mutex:
            self._db.close()
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)

    # -- internals -----------------------------------------------------------------
    def _forget(self, topic: str, key: bytes, size: int) -> None:
        slot = (topic, key)
        self._pending[slot] -= 1
        if self._pending[slot] <= 0:
            del self._pending[slot]
        self._bytes -= size
        self._count -= 1

    def _transaction(self) -> _Transaction:
        return _Transaction(self._db)


class _Transaction:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on error."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db

    def __enter__(self) -> None:
        self._db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *_: object) -> None:
        self._db.execute("ROLLBACK" if exc_type is not None else "COMMIT")
