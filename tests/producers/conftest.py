"""Fixtures of the producer tests: agencies (hence ingress topics) of their own, helpers."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from lienthong.connectors.kafka import KafkaSettings, TopicSpec, ensure_topics
from lienthong.connectors.topics import ingress_topic
from lienthong.producers import PublisherSettings
from lienthong.schemas.registry_client import RegistryClient


def new_agency() -> str:
    """A valid agency code (QĐ 20/2020 electronic-id format) no other test uses.

    The ingress topic is a function of agency and event type, so a fresh agency gives
    each test topics (and registry subjects) of its own.
    """
    a, b, c = secrets.randbelow(1000), secrets.randbelow(100), secrets.randbelow(100)
    return f"{a:03d}.{b:02d}.{c:02d}.H30"


@pytest.fixture
def agency() -> str:
    return new_agency()


@pytest.fixture
def registry(schema_registry_url: str) -> Iterator[RegistryClient]:
    with RegistryClient(schema_registry_url) as client:
        yield client


@pytest.fixture
def publisher_settings(tmp_path: Path, schema_registry_url: str) -> PublisherSettings:
    return PublisherSettings(
        registry_url=schema_registry_url,
        spool_path=tmp_path / "spool.sqlite3",
        delivery_timeout_s=5.0,
        retry_interval_s=0.5,
    )


def make_topic(settings: KafkaSettings, agency: str, event_type: str = "dossier.lifecycle") -> str:
    topic = ingress_topic(agency, event_type)
    ensure_topics(settings, [TopicSpec(topic, partitions=3)])
    return topic


def end_offsets(settings: KafkaSettings, topic: str) -> int:
    """How many records the topic holds (sum of end offsets; 0 if it does not exist)."""
    consumer = KafkaConsumer(**settings.as_kafka_python())
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        ends = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
        return sum(ends.values())
    finally:
        consumer.close()


def consume(
    settings: KafkaSettings, topic: str, expected: int, timeout_s: float = 20.0
) -> list[ConsumerRecord]:
    """Every record of ``topic`` from the beginning, once ``expected`` have arrived."""
    consumer = KafkaConsumer(**settings.as_kafka_python(), enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        records: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout_s
        while len(records) < expected and time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(batch)
        return records
    finally:
        consumer.close()


ConsumeFn = Callable[[KafkaSettings, str, int], list[ConsumerRecord]]
