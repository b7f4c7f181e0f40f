"""The outbox sender on a real broker: where records land, in what order, what faust is told."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer, TopicPartition

from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    aiokafka_producer,
    ensure_topics,
    partition_for,
)
from lienthong.consumers.batch import Message, Outbox
from lienthong.consumers.faust_adapter import PartitionEvent
from lienthong.consumers.gate import IngressRecord
from lienthong.consumers.worker.sender import OutboxSender
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h

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


SOURCE = IngressRecord("in", 0, 7, None, b"k", b"v")
DEADLETTER = "dead"  # not delivered to in these tests unless said


def message(partition: int) -> Message:
    """An input record read from ``partition``."""
    record = IngressRecord("in", partition, 7, None, b"k", b"v")
    return Message(record, PartitionEvent(type("M", (), {"partition": partition})()))


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
    outboxes = [Outbox(DEADLETTER), Outbox(DEADLETTER)]
    for n in range(3000):  # 1 kB each: more than one aiokafka batch per partition
        key = f"HS-{n % 50:04d}".encode()
        value = n.to_bytes(4, "big") + b"x" * 1000
        outboxes[n // 1500].add(out, key, value, [("n", str(n).encode())], SOURCE)
    outboxes[1].add(out, b"pinned", b"p", [], SOURCE, partition=2)
    for n in range(30):
        outboxes[1].add(out, None, f"nokey-{n}".encode(), [], SOURCE)
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
    outbox = Outbox(DEADLETTER)
    for n in range(10):
        source = message(partition=n % 2)  # partitions 0 and 1 only
        outbox.put(table, f"k{n}".encode(), f"v{n}".encode(), source)
        outbox.add(out, f"k{n}".encode(), b"copy", [], source.record)
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


def test_an_output_larger_than_a_request_is_a_dead_letter_naming_its_input(
    kafka_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    out, dead = unique_topic("out"), unique_topic("dead")
    ensure_topics(
        kafka_settings,
        [TopicSpec(out, partitions=PARTITIONS), TopicSpec(dead, partitions=PARTITIONS)],
    )
    big = IngressRecord("in.topic", 2, 4321, None, b"big", b"x")
    outbox = Outbox(dead)
    outbox.add(out, b"small", b"fits", [], SOURCE)
    outbox.add(out, b"big", os.urandom(2 * 1024 * 1024), [], big)  # incompressible, > 1 MB
    outbox.add(out, b"small", b"after", [], SOURCE)
    deliver(kafka_settings, [outbox])

    assert [r.value for r in everything(kafka_settings, out)] == [b"fits", b"after"]
    (letter,) = everything(kafka_settings, dead)
    headers = dict(letter.headers)
    assert letter.key == b"big"
    assert letter.value is None  # not a copy: a reference to the input
    assert headers[h.DLQ_REASON] == dl.OUTPUT_TOO_LARGE.encode()
    assert headers[h.DLQ_STAGE] == b"outbox"
    assert headers[h.DLQ_SOURCE_TOPIC] == b"in.topic"
    assert headers[h.DLQ_SOURCE_PARTITION] == b"2"
    assert headers[h.DLQ_SOURCE_OFFSET] == b"4321"
    assert headers["lt.dlq.output_topic"] == out.encode()
    assert int(headers["lt.dlq.output_bytes"]) > 2 * 1024 * 1024
    assert outbox.letters == {dl.OUTPUT_TOO_LARGE: 1}
