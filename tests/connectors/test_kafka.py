from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from lienthong.connectors.kafka import (
    TopicSpec,
    admin,
    client_config,
    ensure_topics,
    producer_config,
)
from lienthong.settings import KafkaSettings


def test_client_config_carries_sasl_secret_only_into_the_client() -> None:
    settings = KafkaSettings(
        bootstrap_servers="a:9092, b:9092",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="syt",
        sasl_password="s3cret",
    )
    config = client_config(settings)
    assert config["bootstrap_servers"] == ["a:9092", "b:9092"]
    assert config["sasl_plain_password"] == "s3cret"
    assert "s3cret" not in repr(settings)


def test_bad_bootstrap_servers_say_the_expected_form() -> None:
    with pytest.raises(ValueError, match="host:port"):
        KafkaSettings(bootstrap_servers="localhost")


def test_producer_durability_is_explicit() -> None:
    config = producer_config(KafkaSettings())
    assert config["acks"] == "all"
    assert config["enable_idempotence"] is True


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
    producer = KafkaProducer(**producer_config(kafka_settings))
    for n in range(1000):
        key = f"dossier-{n % 37}"
        producer.send(topic, key=key.encode(), value=f"{key}:{n}".encode())
    producer.flush()
    producer.close()

    consumer = KafkaConsumer(**client_config(kafka_settings), enable_auto_commit=False)
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
