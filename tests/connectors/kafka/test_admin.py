from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    admin,
    ensure_topics,
    kafka_python_producer,
)


def test_ensure_topics_creates_once_with_the_spec(
    kafka_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    name = unique_topic("compacted")
    spec = TopicSpec(name, partitions=4, config={"cleanup.policy": "compact"})
    assert ensure_topics(kafka_settings, [spec]) == [name]
    assert ensure_topics(kafka_settings, [spec]) == []
    client = admin(kafka_settings)
    try:
        described = client.describe_topics([name])[0]
        assert len(described["partitions"]) == 4
    finally:
        client.close()


def test_thousand_keyed_records_keep_count_and_order_per_key(
    kafka_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    topic = unique_topic("keyed")
    ensure_topics(kafka_settings, [TopicSpec(topic, partitions=6)])
    producer = KafkaProducer(**kafka_python_producer(kafka_settings))
    for n in range(1000):
        key = f"dossier-{n % 37}"
        producer.send(topic, key=key.encode(), value=f"{key}:{n}".encode())
    producer.flush()
    producer.close()

    consumer = KafkaConsumer(**kafka_settings.as_kafka_python(), enable_auto_commit=False)
    partitions = [TopicPartition(topic, p) for p in range(6)]
    consumer.assign(partitions)
    consumer.seek_to_beginning(*partitions)
    seen: dict[str, list[int]] = defaultdict(list)
    used_partitions: set[int] = set()
    total = 0
    deadline = time.monotonic() + 60
    while total < 1000 and time.monotonic() < deadline:
        for tp, records in consumer.poll(timeout_ms=500).items():
            for record in records:
                key, n = record.value.decode().split(":")
                seen[key].append(int(n))
                used_partitions.add(tp.partition)
                total += 1
    consumer.close()

    assert total == 1000
    assert len(seen) == 37
    assert len(used_partitions) > 1
    for key, numbers in seen.items():
        assert numbers == sorted(numbers), key
