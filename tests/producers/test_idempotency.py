"""The idempotency store's file: UUID and text ids, pruning, and opening older files."""

from __future__ import annotations

import hashlib
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from lienthong.producers.gateway._idempotency import (
    VERSION,
    ClaimState,
    IdempotencyStore,
    Position,
    StoreVersionError,
    storage_key,
)

# The layout gateways wrote before version 2 (user_version 0), as they created it.
_V0 = """
CREATE TABLE seen (
    event_id    TEXT PRIMARY KEY,
    fingerprint TEXT NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0,
    topic       TEXT,
    partition   INTEGER,
    offset      INTEGER,
    updated_at  REAL NOT NULL
);
CREATE INDEX seen_updated ON seen (updated_at);
"""


def test_a_uuid_is_one_id_as_object_or_canonical_text(tmp_path: Path) -> None:
    store = IdempotencyStore(tmp_path / "idem.db")
    event_id = uuid.uuid4()
    assert storage_key(event_id) == event_id.bytes == storage_key(str(event_id))
    assert store.claim([(event_id, b"f")])[0].state is ClaimState.NEW
    store.complete([(str(event_id), Position("t", 0, 3))])
    again = store.claim([(str(event_id), b"f")])[0]
    assert again.state is ClaimState.DONE
    assert again.position == Position("t", 0, 3)
    # Other spellings were always other ids; they stay text and stay distinct.
    upper = str(event_id).upper()
    assert storage_key(upper) == upper
    assert store.claim([(upper, b"f")])[0].state is ClaimState.NEW
    store.close()
    stored = sqlite3.connect(tmp_path / "idem.db").execute(
        "SELECT typeof(event_id), length(event_id) FROM claims ORDER BY id"
    )
    assert stored.fetchall() == [("blob", 16), ("text", 36)]


def test_text_ids_and_uuid_bytes_never_collide(tmp_path: Path) -> None:
    store = IdempotencyStore(tmp_path / "idem.db")
    event_id = uuid.UUID(bytes=b"0123456789abcdef")
    text_id = event_id.bytes.decode()  # the same 16 bytes, as a text id
    first, second = store.claim([(event_id, b"a"), (text_id, b"b")])
    assert first.state is second.state is ClaimState.NEW
    store.close()


def test_a_repeat_inside_one_claim_is_busy_not_new(tmp_path: Path) -> None:
    store = IdempotencyStore(tmp_path / "idem.db")
    once, twice = store.claim([("e1", b"f"), ("e1", b"f")])
    assert once.state is ClaimState.NEW
    assert twice.state is ClaimState.BUSY
    store.close()


def test_any_gateway_sharing_the_file_may_complete_a_claim(tmp_path: Path) -> None:
    one = IdempotencyStore(tmp_path / "idem.db")
    other = IdempotencyStore(tmp_path / "idem.db")  # e.g. restarted meanwhile
    one.claim([("e1", b"f")])
    other.complete([("e1", Position("t", 1, 9))])  # no row id known here: by event id
    assert one.claim([("e1", b"f")])[0].position == Position("t", 1, 9)
    one.close()
    other.close()


def test_a_row_id_reused_by_another_claim_is_not_completed(tmp_path: Path) -> None:
    one = IdempotencyStore(tmp_path / "idem.db")
    other = IdempotencyStore(tmp_path / "idem.db")
    one.claim([("e1", b"f")])
    other.release(["e1"])  # not produced: dropped, and its row id is free again
    other.claim([("e2", b"f")])  # takes the same row id
    one.complete([("e1", Position("t", 0, 5))])
    e1, e2 = other.claim([("e1", b"f"), ("e2", b"f")])
    assert e1.state is ClaimState.NEW
    assert e2.state is ClaimState.BUSY  # still e2's claim, not e1's result
    one.close()
    other.close()


def test_pruning_forgets_old_results_only(tmp_path: Path) -> None:
    path = tmp_path / "idem.db"
    store = IdempotencyStore(path, ttl_s=3600.0)
    store.claim([("old", b"f"), ("older", b"f")])
    store.claim([("new", b"f")])
    store.complete([(e, Position("t", 0, 1)) for e in ("old", "older", "new")])
    store.close()
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE claims SET claimed_at = ? WHERE event_id IN ('old', 'older')",
            (time.time() - 7200,),
        )
    again = IdempotencyStore(path, ttl_s=3600.0)  # prunes when opened
    old, new = again.claim([("old", b"f"), ("new", b"f")])
    assert old.state is ClaimState.NEW
    assert new.state is ClaimState.DONE
    assert again.prune() == 0
    again.close()


def test_a_file_of_the_earlier_layout_is_migrated_once(tmp_path: Path) -> None:
    path = tmp_path / "idem.db"
    done_id, pending_id = str(uuid.uuid4()), str(uuid.uuid4())
    digest = hashlib.sha256(b"body").hexdigest()
    now = time.time()
    with sqlite3.connect(path) as db:
        db.executescript(_V0)
        db.executemany(
            "INSERT INTO seen VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (done_id, digest, 1, "in.a", 2, 41, now - 10),
                (pending_id, digest, 0, None, None, None, now - 5),
                ("not-a-uuid", "opaque", 1, "in.a", 0, 1, now - 1),
            ],
        )
    store = IdempotencyStore(path, stale_s=60.0)
    done, pending, text = store.claim(
        [
            (uuid.UUID(done_id), hashlib.sha256(b"body").digest()),
            (pending_id, hashlib.sha256(b"body").digest()),
            ("not-a-uuid", "opaque"),
        ]
    )
    assert done.state is ClaimState.DONE
    assert done.position == Position("in.a", 2, 41)
    assert pending.state is ClaimState.BUSY  # still within its claim's time
    assert text.position == Position("in.a", 0, 1)
    store.close()
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION
        names = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert "seen" not in names
        # Row id order is time order: the migrated claims kept theirs.
        ids = [row[0] for row in db.execute("SELECT event_id FROM claims ORDER BY id")]
        assert ids == [uuid.UUID(done_id).bytes, uuid.UUID(pending_id).bytes, "not-a-uuid"]
    IdempotencyStore(path).close()  # opening a migrated file again changes nothing


def test_a_file_of_a_newer_layout_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "idem.db"
    with sqlite3.connect(path) as db:
        db.execute(f"PRAGMA user_version = {VERSION + 1}")
    with pytest.raises(StoreVersionError, match="newer than this gateway"):
        IdempotencyStore(path)


def test_a_claim_taken_over_late_does_not_hold_back_pruning(tmp_path: Path) -> None:
    path = tmp_path / "idem.db"
    store = IdempotencyStore(path, ttl_s=3600.0, stale_s=60.0)
    store.claim([("stuck", b"f")])  # its gateway dies: never completed
    store.claim([("done", b"f")])
    store.complete([("done", Position("t", 0, 1))])
    with sqlite3.connect(path) as db:
        db.execute("UPDATE claims SET claimed_at = ?", (time.time() - 7200,))
    assert store.claim([("stuck", b"f")])[0].state is ClaimState.NEW  # taken over now
    assert store.prune() == 1  # "done" is old; the taken-over claim is new again
    stuck, done = store.claim([("stuck", b"f"), ("done", b"f")])
    assert stuck.state is ClaimState.BUSY
    assert done.state is ClaimState.NEW
    store.complete([("stuck", Position("t", 0, 2))])  # by the row id it moved to
    assert store.claim([("stuck", b"f")])[0].position == Position("t", 0, 2)
    store.close()


def test_a_slow_claimant_still_completes_a_claim_taken_over_meanwhile(tmp_path: Path) -> None:
    slow = IdempotencyStore(tmp_path / "idem.db")
    other = IdempotencyStore(tmp_path / "idem.db", stale_s=0.0)
    slow.claim([("e1", b"f")])
    assert other.claim([("e1", b"f")])[0].state is ClaimState.NEW  # moved to a new row id
    slow.complete([("e1", Position("t", 2, 8))])  # its row id is stale: found by event id
    assert other.claim([("e1", b"f")])[0].position == Position("t", 2, 8)
    slow.close()
    other.close()
