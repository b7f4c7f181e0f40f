from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.structs import OffsetAndMetadata

from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    ensure_topics,
    kafka_python_producer,
)
from lienthong.monitoring.lag import LagExporter, compute_lag
from lienthong.monitoring.metrics import AxisMetrics
from tests.conftest import REFUSED_CONNECTIONS


def test_compute_lag_never_negative_and_defaults_to_no_lag() -> None:
    a, b = TopicPartition("t", 0), TopicPartition("t", 1)
    lags = compute_lag("g", {a: 5, b: 9}, {a: 12})
    assert [(x.partition, x.lag) for x in lags] == [(0, 7), (1, 0)]


def test_exporter_reports_real_lag(
    kafka_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    topic, group = unique_topic("lag"), unique_topic("group")
    ensure_topics(kafka_settings, [TopicSpec(topic, partitions=1)])
    producer = KafkaProducer(**kafka_python_producer(kafka_settings))
    for n in range(30):
        producer.send(topic, value=str(n).encode())
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(**kafka_settings.as_kafka_python(), group_id=group)
    tp = TopicPartition(topic, 0)
    consumer.assign([tp])
    consumer.commit({tp: OffsetAndMetadata(12, "", -1)})
    consumer.close()

    metrics = AxisMetrics.create()
    exporter = LagExporter(kafka_settings, metrics, groups=[group])
    # The offsets topic may still be loading on a fresh broker: scrape until it answers.
    deadline = time.monotonic() + 20
    while not (lags := exporter.collect()) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert [(x.topic, x.lag) for x in lags] == [(topic, 18)]
    assert (
        metrics.registry.get_sample_value(
            "lienthong_consumer_lag", {"group": group, "topic": topic, "partition": "0"}
        )
        == 18
    )
    assert metrics.registry.get_sample_value("lienthong_broker_up") == 1


@REFUSED_CONNECTIONS
@pytest.mark.usefixtures("refused_sockets_collected")
def test_unreachable_cluster_marks_broker_down() -> None:
    metrics = AxisMetrics.create()
    settings = KafkaSettings(bootstrap_servers="127.0.0.1:9")
    exporter = LagExporter(settings, metrics, groups=["g"])
    assert exporter.collect() == []
    assert metrics.registry.get_sample_value("lienthong_broker_up") == 0
