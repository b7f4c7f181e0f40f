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
- Results are kept ``ttl_s`` (7 days by default, pruned when a gateway starts); a
  repeat after that is new again.
- A claim whose gateway died before completing it is taken over after ``stale_s``.
- The same event id with a different content is a conflict, never a silent repeat.

The file's layout (schema version 2, in ``PRAGMA user_version``) is chosen for what a
claim costs, which is mostly the pages its commit writes to the WAL, about one per new
id. Claiming and completing batches of 100 new ids into a file growing to 60,000 rows
took ~16 CPU µs an event with the earlier layout and takes ~11.5 with this one
(SHA-256 fingerprints included; measured side by side in one process):
- claims are rows of a rowid table, appended in claim order, so the rows of one batch
  share a few pages and completing them rewrites only those (a ``WITHOUT ROWID``
  table keyed by ``event_id`` measured worse, ~20 µs: the claim and then the
  completion each rewrite a hundred random pages);
- ``event_id`` is looked up through one unique index, the only B-tree a claim writes
  at random places; a UUID is kept there as its 16 bytes (not 36 characters of text),
  so the index is half the size; any other id stays text (text and bytes never
  compare equal in SQLite, so the two kinds cannot collide);
- no index on time: pruning walks the table from its oldest row and stops at the
  first row still kept (row id order is claim order: a claim taken over gets a new
  row id at the end).
A file of version 0 (an earlier gateway's ``seen`` table, with its results) is
migrated when a gateway opens it, once, under the write lock (the other gateways wait);
restart all the gateways of a host together: one of the earlier version still running
fails its next claim. A file of a newer version is refused with
:class:`StoreVersionError`.
"""

from __future__ import annotations

import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import NamedTuple
from uuid import UUID

VERSION = 2
_SCHEMA = """
CREATE TABLE IF NOT EXISTS claims (
    id          INTEGER PRIMARY KEY,
    event_id    BLOB NOT NULL UNIQUE,
    fingerprint BLOB NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    topic       TEXT,
    partition   INTEGER,
    offset      INTEGER,
    claimed_at  REAL NOT NULL
);
"""
# BLOB affinity converts nothing: 16-byte UUIDs and text ids are stored as given.

_CHUNK = 500  # ids per SELECT ... IN (...), well under SQLite's variable limit
_SELECT_IN = (
    "SELECT event_id, id, fingerprint, done, topic, partition, offset, claimed_at "
    "FROM claims WHERE event_id IN ({marks})"
)
_INSERT = "INSERT OR IGNORE INTO claims (id, event_id, fingerprint, claimed_at) VALUES (?, ?, ?, ?)"
_COMPLETE_BY_ROW = (
    "UPDATE claims SET done = 1, topic = ?, partition = ?, offset = ? WHERE id = ? AND event_id = ?"
)
_COMPLETE_BY_ID = (
    "UPDATE claims SET done = 1, topic = ?, partition = ?, offset = ? WHERE event_id = ?"
)
_UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_ROWS_KEPT = 100_000  # row ids remembered between claim and complete (see complete)

EventId = str | UUID
"""An event id as the store takes it: a ``uuid.UUID`` or text (a UUID's canonical
text and the UUID itself are the same id)."""
Fingerprint = bytes | str
"""What identifies an event's content; compared exactly, never interpreted."""
Key = bytes | str


def storage_key(event_id: EventId) -> Key:
    """How ``event_id`` is stored: a UUID as its 16 bytes, any other id as its text.

    Only the canonical (lower-case) text of a UUID is its bytes: other spellings stay
    the distinct text ids they always were.
    """
    if isinstance(event_id, UUID):
        return event_id.bytes
    if _UUID_TEXT.fullmatch(event_id):
        return bytes.fromhex(event_id.replace("-", ""))
    return event_id


class ClaimState(Enum):
    """What a claim found."""

    NEW = "new"  # the caller owns the id now: produce, then complete or release
    DONE = "done"  # produced before: here is its position
    BUSY = "busy"  # another request is producing it right now
    CONFLICT = "conflict"  # produced before with a different content


class Position(NamedTuple):
    """Where an event landed in Kafka (partition and offset None while spooled)."""

    # A NamedTuple, not a frozen dataclass: one is built per event produced, ~5x faster.

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


class StoreVersionError(RuntimeError):
    """The idempotency file was written by a newer gateway than this one."""


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
        self._mutex = threading.Lock()
        # Row ids of this process's claims not yet completed: completing by row id
        # reads no index (~1 µs an event less). Forgotten ids fall back to the index.
        self._rows: dict[Key, int] = {}
        try:
            self._open()
            self.prune()
        except BaseException:
            self._db.close()
            raise

    def _open(self) -> None:
        """Create, check or migrate the file's layout, once, under the write lock."""
        # Another gateway may be migrating a large file right now: wait for it.
        self._db.execute("PRAGMA busy_timeout = 600000")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if self._version() < VERSION:
                self._db.execute(_SCHEMA)
                if self._has_table("seen"):
                    _migrate_v0(self._db)
                self._db.execute(f"PRAGMA user_version = {VERSION}")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        self._db.execute("PRAGMA busy_timeout = 10000")

    def _version(self) -> int:
        version: int = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise StoreVersionError(
                f"{self.path} has layout version {version}, newer than this gateway's "
                f"{VERSION}: upgrade this gateway, or give it another "
                "LIENTHONG_GATEWAY_IDEMPOTENCY_PATH"
            )
        return version

    def _has_table(self, name: str) -> bool:
        found = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)
        ).fetchone()
        return found is not None

    def claim(self, items: Sequence[tuple[EventId, Fingerprint]]) -> list[Claim]:
        """Claim each ``(event_id, fingerprint)`` in one transaction; answers in order.

        The ids are inserted at once (``INSERT OR IGNORE`` with row ids chosen under
        the lock); only when some id was there already does a SELECT find out what
        each had. A batch of new ids, the usual case, costs two statements.
        """
        keys = [storage_key(event_id) for event_id, _ in items]
        with self._mutex:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                # The clock is read under the lock, so row id order is time order
                # across the gateways sharing the file (prune relies on it).
                now = time.time()
                answers = self._claim_all(keys, [f for _, f in items], now)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
        return answers

    def _claim_all(self, keys: list[Key], prints: list[Fingerprint], now: float) -> list[Claim]:
        last = self._db.execute("SELECT max(id) FROM claims").fetchone()[0] or 0
        ids = range(last + 1, last + 1 + len(keys))
        rows = list(zip(ids, keys, prints, [now] * len(keys), strict=True))
        inserted = self._db.executemany(_INSERT, rows).rowcount
        remember = self._rows
        if len(remember) > _ROWS_KEPT:
            remember.clear()  # claims never completed nor released (a crash path)
        if inserted == len(rows):
            for row_id, key, _, _ in rows:
                remember[key] = row_id
            return [_NEW] * len(rows)
        known: dict[Key, tuple[int, Fingerprint, int, str, int | None, int | None, float]] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            # Only '?' placeholders are formatted into the text; the ids are parameters.
            query = _SELECT_IN.format(marks=",".join("?" * len(chunk)))
            for found in self._db.execute(query, chunk):
                known[found[0]] = found[1:]
        answers: list[Claim] = []
        # A claim taken over moves to the end (a new row id), so that row id order
        # stays claim time order for prune.
        moved = iter(range(last + 1 + len(keys), last + 1 + 2 * len(keys)))
        taken_over: list[tuple[int, float, int]] = []
        mine: set[Key] = set()  # an id twice in ``keys``: the second is told busy
        for row_id, key, fingerprint, _ in rows:
            row_now, stored, done, topic, partition, offset, claimed_at = known[key]
            if row_now == row_id:  # inserted by this claim
                remember[key] = row_id
                mine.add(key)
                answers.append(_NEW)
            elif stored != fingerprint:
                answers.append(_CONFLICT)
            elif done:
                answers.append(Claim(ClaimState.DONE, Position(topic, partition, offset)))
            elif now - claimed_at < self.stale_s or key in mine:
                answers.append(_BUSY)  # claimed by another request (or earlier in this one)
            else:  # the claimant died before completing: take the claim over
                mine.add(key)
                remember[key] = next(moved)
                taken_over.append((remember[key], now, row_now))
                answers.append(_NEW)
        self._db.executemany("UPDATE claims SET id = ?, claimed_at = ? WHERE id = ?", taken_over)
        return answers

    def complete(self, results: Sequence[tuple[EventId, Position]]) -> None:
        """Record where claimed events landed; later repeats get these positions."""
        by_row: list[tuple[str, int | None, int | None, int, Key]] = []
        by_id: list[tuple[str, int | None, int | None, Key]] = []
        with self._mutex:
            for event_id, p in results:
                key = storage_key(event_id)
                row_id = self._rows.pop(key, None)
                if row_id is not None:
                    # The id is checked too: the row may have been released and its
                    # row id reused by another claim meanwhile.
                    by_row.append((p.topic, p.partition, p.offset, row_id, key))
                else:
                    by_id.append((p.topic, p.partition, p.offset, key))
            self._db.execute("BEGIN IMMEDIATE")
            try:
                updated = self._db.executemany(_COMPLETE_BY_ROW, by_row).rowcount
                if updated < len(by_row):
                    # A row moved (another gateway took the claim over) or went: find
                    # them by event id, as any gateway sharing the file would.
                    by_id += [(t, partition, offset, k) for t, partition, offset, _, k in by_row]
                if by_id:
                    self._db.executemany(_COMPLETE_BY_ID, by_id)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    def release(self, event_ids: Sequence[EventId]) -> None:
        """Drop claims whose events were not produced, so a retry may try again."""
        keys = [storage_key(e) for e in event_ids]
        with self._mutex:
            for key in keys:
                self._rows.pop(key, None)
            self._db.executemany(
                "DELETE FROM claims WHERE event_id = ? AND done = 0", [(k,) for k in keys]
            )

    def prune(self) -> int:
        """Forget results older than the retention; return how many."""
        cutoff = time.time() - self.ttl_s
        with self._mutex:
            # The first row still kept, found walking row ids from the oldest: the rows
            # before it are the old ones (a clock set back may keep a few a while).
            kept = self._db.execute(
                "SELECT id FROM claims WHERE claimed_at >= ? ORDER BY id LIMIT 1", (cutoff,)
            ).fetchone()
            if kept is None:
                cursor = self._db.execute("DELETE FROM claims WHERE claimed_at < ?", (cutoff,))
            else:
                cursor = self._db.execute(
                    "DELETE FROM claims WHERE id < ? AND claimed_at < ?", (kept[0], cutoff)
                )
        return cursor.rowcount

    def close(self) -> None:
        with self._mutex:
            self._db.close()


def _migrate_v0(db: sqlite3.Connection) -> None:
    """Copy an earlier gateway's ``seen`` table into ``claims``, then drop it.

    Kept: every claim, done or not, with its position and time, in time order (the
    row id order pruning relies on). UUID ids become their bytes; fingerprints, which
    that gateway kept as hexadecimal SHA-256 text, become the digests the gateway
    compares now.
    """
    rows = db.execute(
        "SELECT event_id, fingerprint, done, topic, partition, offset, updated_at "
        "FROM seen ORDER BY updated_at"
    )
    db.executemany(
        "INSERT OR IGNORE INTO claims "
        "(event_id, fingerprint, done, topic, partition, offset, claimed_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        _converted(rows),
    )
    db.execute("DROP TABLE seen")  # its index goes with it


def _converted(rows: Iterable[tuple[object, ...]]) -> Iterable[tuple[object, ...]]:
    for event_id, fingerprint, *rest in rows:
        key = storage_key(event_id) if isinstance(event_id, str) else event_id
        digest = fingerprint
        if isinstance(fingerprint, str) and _HEX_DIGEST.fullmatch(fingerprint):
            digest = bytes.fromhex(fingerprint)
        yield (key, digest, *rest)
