"""The ledger of records in the Kafka client: in doubt past the timeout, each outcome told once."""

from __future__ import annotations

from types import SimpleNamespace

from lienthong.producers import Delivery, Record
from lienthong.producers._inflight import (
    COPIED,
    SETTLED,
    InFlight,
    Pending,
    Settlement,
    mark_copied,
)


def _pending(n: int, told: list[Delivery], shared: Settlement) -> Pending:
    record = Record("t", b"k", b"v", [], f"e{n}")
    return Pending(record, told.append, lambda _p, _e: None, shared)


def test_records_are_in_doubt_in_send_order_once_the_oldest_waited_too_long() -> None:
    shared, told = Settlement(), list[Delivery]()
    ledger = InFlight()
    records = [_pending(n, told, shared) for n in range(3)]
    for p in records:
        ledger.add(p)
    assert not ledger.overdue(60.0)
    assert ledger.overdue(0.0)
    records[1].acked(SimpleNamespace(partition=0, offset=7))
    assert [p.record().event_id for p in ledger.in_doubt()] == ["e0", "e2"]
    assert told == [Delivery("e1", "t", 0, 7)]


def test_an_ack_racing_the_copy_is_told_once_and_its_copy_is_dropped() -> None:
    shared, told = Settlement(), list[Delivery]()
    ledger = InFlight()
    first, second = _pending(0, told, shared), _pending(1, told, shared)
    ledger.add(first)
    ledger.add(second)
    doubtful = ledger.in_doubt()
    second.acked(SimpleNamespace(partition=0, offset=1))  # while the copies were written
    spooled = mark_copied(doubtful, [10, 11], shared)
    assert spooled == [first]  # its caller learns "spooled"; the other one was told "delivered"
    assert shared.take_needless() == [11]
    first.acked(SimpleNamespace(partition=0, offset=0))  # the original lands after all
    assert first.state == SETTLED
    assert shared.take_needless() == [10]  # so its copy need not be sent
    assert [d.event_id for d in told] == ["e1"]
    assert ledger.empty


def test_a_copied_record_stays_out_of_doubt() -> None:
    shared, told = Settlement(), list[Delivery]()
    ledger = InFlight()
    p = _pending(0, told, shared)
    ledger.add(p)
    mark_copied(ledger.in_doubt(), [1], shared)
    assert p.state == COPIED
    assert ledger.in_doubt() == []
    assert not ledger.overdue(0.0)
    assert ledger.empty
