"""aiokafka's batches, compressed at lz4's fast level, still read back as written."""

from __future__ import annotations

from aiokafka.record import default_records as py_records
from aiokafka.record._crecords import default_records as c_records
from aiokafka.record.default_records import DefaultRecordBatch, DefaultRecordBatchBuilder
from kafka.record.memory_records import MemoryRecords

from lienthong.connectors.kafka import fast_lz4, use_fast_lz4

LZ4 = 3  # the codec id in a batch's attributes


def _batch() -> bytes:
    builder = DefaultRecordBatchBuilder(
        magic=2,
        compression_type=LZ4,
        is_transactional=0,
        producer_id=-1,
        producer_epoch=-1,
        base_sequence=-1,
        batch_size=1 << 20,
    )
    for n in range(500):
        key = f"31474-250304010000-{n:04d}".encode()
        builder.append(n, timestamp=None, key=key, value=b"Xa Long Binh " * 8, headers=[])
    return bytes(builder.build())


def test_both_builders_use_the_fast_level_and_readers_agree() -> None:
    use_fast_lz4()
    use_fast_lz4()  # idempotent
    assert c_records.lz4_encode is fast_lz4
    assert py_records.lz4_encode is fast_lz4
    data = _batch()
    batch = DefaultRecordBatch(bytearray(data))
    assert batch.compression_type == LZ4
    keys = [r.key for r in batch]
    assert keys == [f"31474-250304010000-{n:04d}".encode() for n in range(500)]
    # kafka-python (the SDK's consumers, the tests' reader) reads the same batch.
    read = MemoryRecords(data).next_batch()
    assert read is not None
    assert [r.key for r in read] == keys
