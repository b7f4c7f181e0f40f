"""Every client kind, built from one KafkaSettings, reaches a secured broker.

The broker is the project's own (``secure_broker``: SCRAM-SHA-512 over plaintext and
over TLS with a local CA, an authorizer that refuses anyone but its admin). Each client
kind writes one record and reads the topic's end back through kafka-python, so a
rendering that dropped TLS or SASL fails here, not on an agency's cluster.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaProducer
from faust.transport.drivers.aiokafka import credentials_to_aiokafka_auth
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from lienthong.broker import LocalBroker
from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    aiokafka_producer,
    ensure_topics,
    kafka_python_producer,
    librdkafka_producer,
)

pytestmark = pytest.mark.kafka


@pytest.fixture(params=["SASL_PLAINTEXT", "SASL_SSL"])
def secured(request: pytest.FixtureRequest, secure_broker: LocalBroker) -> KafkaSettings:
    settings = secure_broker.client_settings(tls=request.param == "SASL_SSL")
    assert settings.security_protocol == request.param
    return settings


def _end_offset(settings: KafkaSettings, topic: str) -> int:
    consumer = KafkaConsumer(**settings.as_kafka_python(), enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, 0)
        return int(consumer.end_offsets([tp])[tp])
    finally:
        consumer.close()


def _with_kafka_python(settings: KafkaSettings, topic: str) -> None:
    producer = KafkaProducer(**kafka_python_producer(settings))
    try:
        producer.send(topic, b"kafka-python").get(timeout=30)
    finally:
        producer.close()


async def _aiokafka_send(config: dict[str, object], topic: str) -> None:
    producer = AIOKafkaProducer(**config)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"aiokafka")
    finally:
        await producer.stop()


def _with_aiokafka(settings: KafkaSettings, topic: str) -> None:
    asyncio.run(_aiokafka_send(aiokafka_producer(settings), topic))


def _with_faust(settings: KafkaSettings, topic: str) -> None:
    # faust hands its credentials to aiokafka through this function of its transport.
    faust = settings.as_faust()
    auth = credentials_to_aiokafka_auth(faust["broker_credentials"])
    bootstrap = [b.removeprefix("kafka://") for b in faust["broker"].split(";")]
    config = {"bootstrap_servers": bootstrap, "acks": "all", **auth}
    asyncio.run(_aiokafka_send(config, topic))


def _with_librdkafka(settings: KafkaSettings, topic: str) -> None:
    confluent_kafka = pytest.importorskip("confluent_kafka")
    producer = confluent_kafka.Producer(librdkafka_producer(settings))
    errors: list[object] = []
    producer.produce(topic, b"librdkafka", on_delivery=lambda err, _msg: errors.append(err))
    assert producer.flush(30) == 0
    assert errors == [None]


CLIENTS: dict[str, Callable[[KafkaSettings, str], None]] = {
    "kafka-python": _with_kafka_python,
    "aiokafka": _with_aiokafka,
    "faust": _with_faust,
    "librdkafka": _with_librdkafka,
}


@pytest.mark.parametrize("client", list(CLIENTS))
def test_each_client_kind_writes_to_the_secured_broker(
    secured: KafkaSettings, client: str, unique_topic: Callable[[str], str]
) -> None:
    topic = unique_topic(f"secure-{client}")
    ensure_topics(secured, [TopicSpec(topic, partitions=1)])
    CLIENTS[client](secured, topic)
    assert _end_offset(secured, topic) == 1
