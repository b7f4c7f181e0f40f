"""The durable spool on its own: order, bound, restart, exclusive use."""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.producers import Record, SpoolFull, SpoolLocked
from lienthong.producers._spool import Spool


def _record(key: str, n: int, size: int = 10) -> Record:
    return Record(
        "t", key.encode(), b"v" * size, [("lt.event_id", f"{key}-{n}".encode())], f"{key}-{n}"
    )


def test_records_come_out_in_the_order_they_went_in(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", max_bytes=1 << 20)
    spool.append([_record("a", 1), _record("b", 1)])
    spool.append([_record("a", 2)])
    head = spool.head(10)
    assert [s.record.event_id for s in head] == ["a-1", "b-1", "a-2"]
    assert head[0].record.headers == [("lt.event_id", b"a-1")]
    assert spool.has_pending("t", b"a")
    spool.remove(head[:2])
    assert [s.record.event_id for s in spool.head(10)] == ["a-2"]
    assert not spool.has_pending("t", b"b")
    spool.close()


def test_a_full_spool_refuses_with_a_clear_error(tmp_path: Path) -> None:
    one = _record("a", 1, size=400)
    spool = Spool(tmp_path / "s.db", max_bytes=2 * one.size)
    spool.append([one, _record("a", 2, size=400)])
    with pytest.raises(SpoolFull, match="LIENTHONG_PUBLISHER_SPOOL_MAX_BYTES"):
        spool.append([_record("a", 3, size=400)])
    assert len(spool) == 2
    spool.close()


def test_the_spool_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    first = Spool(path, max_bytes=1 << 20)
    first.append([_record("a", 1), _record("a", 2)])
    first.close()
    again = Spool(path, max_bytes=1 << 20)
    assert len(again) == 2
    assert again.has_pending("t", b"a")
    assert again.bytes_used == 2 * _record("a", 1).size
    assert [s.record.event_id for s in again.head(5)] == ["a-1", "a-2"]
    again.close()


def test_two_publishers_cannot_share_a_spool_file(tmp_path: Path) -> None:
    first = Spool(tmp_path / "s.db", max_bytes=1 << 20)
    with pytest.raises(SpoolLocked, match="another publisher"):
        Spool(tmp_path / "s.db", max_bytes=1 << 20)
    first.close()
    Spool(tmp_path / "s.db", max_bytes=1 << 20).close()


def test_refused_records_are_kept_aside_for_audit(tmp_path: Path) -> None:
    spool = Spool(tmp_path / "s.db", max_bytes=1 << 20)
    spool.append([_record("a", 1)])
    spool.reject(spool.head(1)[0], "MessageSizeTooLargeError")
    assert len(spool) == 0
    assert spool.rejected() == [("a-1", "MessageSizeTooLargeError")]
    spool.close()


def test_a_row_dropped_twice_is_forgotten_once(tmp_path: Path) -> None:
    # A copy may be dropped both by the drainer (delivered) and by its original's ack.
    spool = Spool(tmp_path / "s.db", max_bytes=1 << 20)
    seqs = spool.append([_record("a", 1), _record("a", 2)])
    spool.discard([seqs[0]])
    spool.discard([seqs[0]])
    assert len(spool) == 1
    assert spool.bytes_used == _record("a", 2).size
    assert spool.has_pending("t", b"a")
    spool.close()
