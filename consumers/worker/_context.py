"""faust table access for one event of a batch.

faust's tables find the partition of a key (its changelog partition, its RocksDB
instance) through the *current event*, a context variable faust sets per event when a
stream yields events one by one. The worker reads whole fetches below faust's streams
(:mod:`._intake`), so there is no current event: :func:`read` and :func:`write` go to
the store of the event's own partition, and :func:`event_context` sets a stand-in
(:class:`PartitionEvent`) where faust's table code must find one.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from faust.streams import _current_event  # the variable faust's own tables read


@contextmanager
def event_context(event: Any) -> Iterator[None]:
    """Make ``event`` faust's current event for the block."""
    token = _current_event.set(weakref.ref(event))
    try:
        yield
    finally:
        _current_event.reset(token)


class PartitionEvent:
    """Stands in for faust's event where tables only need its message's partition.

    The worker reads its topics below faust's streams (:mod:`._intake`), so there is no
    faust ``Event``; its tables read ``current_event().message.partition`` only.
    """

    __slots__ = ("__weakref__", "message")

    def __init__(self, message: Any) -> None:
        self.message = message


def partition_events(messages: list[Any]) -> list[PartitionEvent]:
    """One stand-in per message, shared by the messages of one topic partition."""
    by_tp: dict[Any, PartitionEvent] = {}
    out = []
    for message in messages:
        event = by_tp.get(message.tp)
        if event is None:
            event = by_tp[message.tp] = PartitionEvent(message)
        out.append(event)
    return out


def read(table: Any, event: Any, key: bytes) -> bytes | None:
    """``key``'s bytes in ``table`` (raw serializers), in ``event``'s partition.

    Straight to the partition's store: through faust's mapping interface a read costs a
    containment check, then the read, each encoding the key through faust's serializer
    registry (about a fifth of the views' time per event in ``bench/bench_views.py``).
    """
    db = _partition_db(table, event)
    if db is not None:
        value: bytes | None = db.get(key)
        return value
    with event_context(event):
        return table.data.get(key)  # type: ignore[no-any-return]


def write(table: Any, event: Any, key: bytes, value: bytes) -> None:
    """Store ``value`` for ``key`` in ``table``'s local store (not its changelog)."""
    db = _partition_db(table, event)
    if db is not None:
        db.put(key, value)
        return
    with event_context(event):
        table.data[key] = value
    # faust's memory store forgets, when a partition moves to another worker, only the
    # keys it recovered: without this, keys written here stay and are counted twice.
    owners = getattr(table.data, "_key_partition", None)
    if owners is not None:
        owners[key] = event.message.partition


def _partition_db(table: Any, event: Any) -> Any:
    """faust's RocksDB store keeps one database per partition; other stores: ``None``."""
    partition_db = getattr(table.data, "_db_for_partition", None)
    return None if partition_db is None else partition_db(event.message.partition)
