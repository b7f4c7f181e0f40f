"""Records packed into aiokafka batch builders: one open batch per partition, in order.

The gateway's sink and the worker's outbox produce through aiokafka's batch API: a
record is an append to aiokafka's C batch builder (~1 µs) instead of a ``send``, with
its coroutine, future and accumulator look-up (~10 µs; bench_producers.py). Both pack
their records with :class:`BatchPacker` and then send its batches in order.
"""

from __future__ import annotations

from typing import Any

from aiokafka import AIOKafkaProducer

Slot = tuple[str, int]
"""A topic and one of its partitions."""


class BatchPacker:
    """Appends records to the open batch of their partition, opening the next when full.

    :attr:`batches` holds every batch with its slot in the order they were opened, so
    each partition's batches come in the order of its records: sent in that order, they
    keep it.
    """

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self._producer = producer
        self._open: dict[Slot, int] = {}
        self.batches: list[tuple[Slot, Any]] = []

    def append(
        self, slot: Slot, key: bytes | None, value: bytes | None, headers: Any
    ) -> tuple[int, int]:
        """Add one record: the index of its batch in :attr:`batches`, and its offset
        relative to that batch's first record.

        The caller makes sure the record fits a request: aiokafka puts any record into
        an empty batch, and the broker would then refuse the whole request.
        """
        index = self._open.get(slot)
        if index is not None:
            meta = self.batches[index][1].append(
                key=key, value=value, timestamp=None, headers=headers
            )
            if meta is not None:
                return index, meta.offset
        # No batch for this partition yet, or the open one is full.
        index = self._open[slot] = len(self.batches)
        batch = self._producer.create_batch()
        self.batches.append((slot, batch))
        meta = batch.append(key=key, value=value, timestamp=None, headers=headers)
        assert meta is not None  # an empty batch takes any record
        return index, meta.offset
