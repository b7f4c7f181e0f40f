"""The local 3-node cluster: replicated by default, surviving a node killed with -9."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from lienthong.broker import LocalCluster
from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    admin,
    ensure_topics,
    kafka_python_producer,
)
from tests.conftest import REFUSED_CONNECTIONS


def _send(settings: KafkaSettings, topic: str, values: range) -> None:
    producer = KafkaProducer(**kafka_python_producer(settings, retries=2**31 - 1))
    try:
        for n in values:
            producer.send(topic, key=b"k", value=str(n).encode()).get(timeout=60)
    finally:
        producer.close()


def _read_all(settings: KafkaSettings, topic: str, expected: int) -> list[bytes]:
    consumer = KafkaConsumer(**settings.as_kafka_python(), enable_auto_commit=False)
    try:
        partition = TopicPartition(topic, 0)
        consumer.assign([partition])
        consumer.seek_to_beginning(partition)
        values: list[bytes] = []
        deadline = time.monotonic() + 60
        while len(values) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                values.extend(record.value for record in records)
        return values
    finally:
        consumer.close()


def _described_once_known(client: Any, topic: str) -> dict[str, Any]:
    # A created topic reaches every node's metadata a moment later: the node asked may
    # still describe it without partitions. Ask again until it knows them (bounded).
    deadline = time.monotonic() + 30
    while True:
        described: dict[str, Any] = client.describe_topics([topic])[0]
        if described.get("partitions") or time.monotonic() > deadline:
            return described
        time.sleep(0.2)


def test_three_nodes_replicate_by_default(
    kafka_cluster: LocalCluster, cluster_settings: KafkaSettings
) -> None:
    assert len(cluster_settings.bootstrap_list) == 3
    client = admin(cluster_settings)
    try:
        assert len(client.describe_cluster()["brokers"]) == 3
        topic = f"test.cluster.rf.{time.monotonic_ns()}"
        # No replication given: the cluster's default (3) applies, as on production.
        client.create_topics([TopicSpec(topic, partitions=1, replication=-1).new_topic()])
        described = _described_once_known(client, topic)
        assert len(described["partitions"][0]["replica_nodes"]) == 3, described
    finally:
        client.close()


@REFUSED_CONNECTIONS  # clients keep trying the killed node: kafka-python leaks those sockets
@pytest.mark.usefixtures("refused_sockets_collected")  # collected here, not in a later test
def test_acknowledged_records_survive_a_node_killed_with_9(
    kafka_cluster: LocalCluster, cluster_settings: KafkaSettings
) -> None:
    topic = f"test.cluster.kill.{time.monotonic_ns()}"
    ensure_topics(
        cluster_settings,
        [TopicSpec(topic, partitions=1, replication=3, config={"min.insync.replicas": "2"})],
    )
    _send(cluster_settings, topic, range(50))
    kafka_cluster.kill(2)
    try:
        assert kafka_cluster.brokers[2].pid() is None
        _send(cluster_settings, topic, range(50, 100))  # 2 of 3 in sync: acks=all still ok
    finally:
        kafka_cluster.restart(2)
    assert kafka_cluster.brokers[2].status().running
    values = _read_all(cluster_settings, topic, 100)
    assert values == [str(n).encode() for n in range(100)]
