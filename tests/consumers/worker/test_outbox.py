"""The outbox on a real broker: where records land, in what order, what faust is told."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer, TopicPartition

from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    aiokafka_producer,
    ensure_topics,
    partition_for,
)
from lienthong.consumers.worker._outbox import Outbox, OutboxSender

PARTITIONS = 3


class Store:
    """The two calls the outbox makes on a faust RocksDB store, recorded."""

    def __init__(self) -> None:
        self.dbs: dict[int, dict[bytes, bytes]] = {}
        self.persisted: dict[tuple[str, int], int] = {}

    def _db_for_partition(self, partition: int) -> Any:
        db = self.dbs.setdefault(partition, {})

        class Db:
            put = db.__setitem__
            get = db.get

        return Db()

    def set_persisted_offset(self, tp: TopicPartition, offset: int) -> None:
        self.persisted[(tp.topic, tp.partition)] = offset


class Table:
    def __init__(self, changelog: str) -> None:
        self.data = Store()
        self.changelog_topic = type("Topic", (), {"get_topic_name": lambda _: changelog})()


class Event:
    def __init__(self, partition: int) -> None:
        self.message = type("Message", (), {"partition": partition})()


def everything(kafka: KafkaSettings, topic: str) -> list[Any]:
    consumer = KafkaConsumer(**kafka.as_kafka_python(), enable_auto_commit=False)
    parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(parts)
    consumer.seek_to_beginning(*parts)
    ends = consumer.end_offsets(parts)
    found: list[Any] = []
    while any(consumer.position(tp) < ends[tp] for tp in parts):
        for messages in consumer.poll(timeout_ms=500).values():
            found.extend(messages)
    consumer.close()
    return found


def deliver(kafka: KafkaSettings, outboxes: list[Outbox]) -> None:
    async def run() -> None:
        producer = AIOKafkaProducer(**aiokafka_producer(kafka))
        await producer.start()
        try:
            sender = OutboxSender(lambda: producer)
            for outbox in outboxes:
                await sender.deliver(outbox)
        finally:
            await producer.stop()

    asyncio.run(run())


def test_records_land_where_the_default_partitioner_puts_them_in_the_order_added(
    kafka_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    out = unique_topic("out")
    ensure_topics(kafka_settings, [TopicSpec(out, partitions=PARTITIONS)])
    outboxes = [Outbox(), Outbox()]
    for n in range(3000):  # 1 kB each: more than one aiokafka batch per partition
        key = f"HS-{n % 50:04d}".encode()
        value = n.to_bytes(4, "big") + b"x" * 1000
        outboxes[n // 1500].add(out, key, value, [("n", str(n).encode())])
    outboxes[1].add(out, b"pinned", b"p", [], partition=2)
    for n in range(30):
        outboxes[1].add(out, None, f"nokey-{n}".encode(), [])
    deliver(kafka_settings, outboxes)

    records = everything(kafka_settings, out)
    assert len(records) == 3000 + 1 + 30
    by_key: dict[bytes, list[int]] = {}
    for r in sorted(records, key=lambda r: (r.partition, r.offset)):
        if r.key is None:
            continue
        if r.key == b"pinned":
            assert r.partition == 2
            continue
        assert r.partition == partition_for(r.key, PARTITIONS)
        n = int.from_bytes(r.value[:4], "big")
        assert dict(r.headers)["n"] == str(n).encode()
        by_key.setdefault(r.key, []).append(n)
    for key, ns in by_key.items():
        assert ns == sorted(ns), key
        assert len(ns) == 60
    keyless = {r.partition for r in records if r.key is None}
    assert keyless == set(range(PARTITIONS))  # round robin, not one partition


def test_table_writes_reach_the_store_now_and_faust_learns_each_changelogs_last_offset(
    kafka_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    changelog = unique_topic("changelog")
    out = unique_topic("out")
    ensure_topics(
        kafka_settings,
        [TopicSpec(changelog, partitions=PARTITIONS), TopicSpec(out, partitions=PARTITIONS)],
    )
    table = Table(changelog)
    outbox = Outbox()
    for n in range(10):
        event = Event(partition=n % 2)  # partitions 0 and 1 only
        outbox.put(table, event, f"k{n}".encode(), f"v{n}".encode())
        outbox.add(out, f"k{n}".encode(), b"copy", [])
    assert table.data.dbs[0][b"k4"] == b"v4"  # local before Kafka has anything
    assert table.data.persisted == {}
    deliver(kafka_settings, [outbox])

    written = everything(kafka_settings, changelog)
    last: dict[tuple[str, int], int] = {}
    for r in written:
        assert r.key == f"k{int(r.value[1:])}".encode()
        assert r.partition == int(r.key[1:]) % 2  # the event's partition, not murmur2's
        last[(r.topic, r.partition)] = max(last.get((r.topic, r.partition), -1), r.offset)
    assert len(written) == 10
    assert table.data.persisted == last


def test_an_output_larger_than_a_request_fails_the_delivery_and_sends_nothing(
    kafka_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    out = unique_topic("out")
    ensure_topics(kafka_settings, [TopicSpec(out, partitions=PARTITIONS)])
    outbox = Outbox()
    outbox.add(out, b"small", b"fits", [])
    outbox.add(out, b"small", os.urandom(2 * 1024 * 1024), [])  # incompressible, over 1 MB
    with pytest.raises(ValueError, match="larger than a Kafka request"):
        deliver(kafka_settings, [outbox])
    # Refused while the batches are built: not retried forever, and not half sent.
    assert everything(kafka_settings, out) == []
