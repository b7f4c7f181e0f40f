"""Least privilege on a secured broker, tried with the three client libraries.

Agencies A and B each publish dossier events and read one subscriber topic; every
forbidden action (another's ingress, another's subscriber topic or group, the worker's
group) is refused by the broker, and the allowed paths work, over kafka-python,
aiokafka and librdkafka (confluent-kafka).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.errors import GroupAuthorizationFailedError as AioGroupDenied
from aiokafka.errors import TopicAuthorizationFailedError as AioTopicDenied
from confluent_kafka import Consumer as RdConsumer
from confluent_kafka import KafkaError as RdError
from confluent_kafka import Producer as RdProducer
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import GroupAuthorizationFailedError, TopicAuthorizationFailedError

from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    ensure_topics,
    kafka_python_producer,
)
from lienthong.connectors.topics import TopicLayout
from lienthong.provision import AxisNames
from lienthong.schemas.access import AccessFile, Agency, kafka_principal
from tests.conftest import SecureIdentities

EVENT = "dossier.lifecycle"


@dataclass(frozen=True)
class Scene:
    names: AxisNames
    a: Agency
    b: Agency
    clients: dict[str, KafkaSettings]

    def of(self, agency: Agency) -> KafkaSettings:
        return self.clients[kafka_principal(agency.code)]

    def ingress(self, agency: Agency) -> str:
        return self.names.layout.ingress(agency.code, EVENT)

    def sub(self, agency: Agency) -> str:
        return self.names.layout.subscriber(agency.subscribe[0])


@pytest.fixture(scope="module")
def scene(secure_identities: SecureIdentities, secure_admin_settings: KafkaSettings) -> Scene:
    run = uuid.uuid4().hex[:8]
    names = AxisNames(layout=TopicLayout(f"acl{run}"), worker_app_id=f"acl{run}-worker")
    a = Agency(code=f"TEST.A{run}", publish=[EVENT], subscribe=[f"suba{run}"])
    b = Agency(code=f"TEST.B{run}", publish=[EVENT], subscribe=[f"subb{run}"])
    access = AccessFile(agencies=[a, b])
    clients = secure_identities(access, names)
    scene = Scene(names, a, b, clients)
    topics = [scene.ingress(a), scene.ingress(b), scene.sub(a), scene.sub(b)]
    ensure_topics(secure_admin_settings, [TopicSpec(t, partitions=1) for t in topics])
    producer = KafkaProducer(**kafka_python_producer(secure_admin_settings))
    for topic in (scene.sub(a), scene.sub(b)):
        producer.send(topic, b"for the subscriber").get(timeout=30)
    producer.close()
    return scene


# -- kafka-python ---------------------------------------------------------------------
def _kp_send(settings: KafkaSettings, topic: str) -> None:
    producer = KafkaProducer(**kafka_python_producer(settings, max_block_ms=15_000))
    try:
        producer.send(topic, b"x").get(timeout=30)
    finally:
        producer.close()


def _kp_read(
    settings: KafkaSettings, topic: str, group: str | None, wait_s: float = 30
) -> list[bytes]:
    """Read ``topic`` in ``group``, or without a group by assigning partition 0."""
    consumer = KafkaConsumer(
        **settings.as_kafka_python(), group_id=group, auto_offset_reset="earliest"
    )
    if group is None:
        consumer.assign([TopicPartition(topic, 0)])
    else:
        consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500)
            if batch:
                return [r.value for records in batch.values() for r in records]
        return []
    finally:
        consumer.close()


def _kp_end_offset(settings: KafkaSettings, topic: str) -> int:
    """ListOffsets, which every reader needs first; a refusal raises here."""
    consumer = KafkaConsumer(**settings.as_kafka_python(), group_id=None)
    try:
        partition = TopicPartition(topic, 0)
        return int(consumer.end_offsets([partition])[partition])
    finally:
        consumer.close()


def test_kafka_python_agency_writes_only_its_own_ingress(scene: Scene) -> None:
    _kp_send(scene.of(scene.a), scene.ingress(scene.a))
    with pytest.raises(TopicAuthorizationFailedError):
        _kp_send(scene.of(scene.a), scene.ingress(scene.b))


def test_kafka_python_agency_reads_only_its_own_subscriber_topic_and_group(
    scene: Scene,
) -> None:
    a, b = scene.a, scene.b
    assert _kp_read(scene.of(a), scene.sub(a), a.subscribe[0]) == [b"for the subscriber"]
    assert _kp_read(scene.of(a), scene.sub(a), None) == [b"for the subscriber"]
    with pytest.raises(TopicAuthorizationFailedError):
        _kp_end_offset(scene.of(a), scene.sub(b))
    # kafka-python's fetcher logs the refusal and reads nothing (the topic has a record).
    assert _kp_read(scene.of(a), scene.sub(b), a.subscribe[0], wait_s=5) == []
    with pytest.raises(GroupAuthorizationFailedError):
        _kp_read(scene.of(a), scene.sub(a), b.subscribe[0])
    with pytest.raises(GroupAuthorizationFailedError):
        _kp_read(scene.of(a), scene.sub(a), scene.names.worker_app_id)


def test_kafka_python_over_tls(secure_identities: SecureIdentities, scene: Scene) -> None:
    tls = secure_identities(AccessFile(agencies=[scene.a]), scene.names, tls=True)
    settings = tls[kafka_principal(scene.a.code)]
    assert settings.security_protocol == "SASL_SSL"
    _kp_send(settings, scene.ingress(scene.a))
    with pytest.raises(TopicAuthorizationFailedError):
        _kp_send(settings, scene.ingress(scene.b))


# -- aiokafka ---------------------------------------------------------------------------
def _aio(settings: KafkaSettings) -> dict[str, object]:
    assert settings.sasl_password is not None
    return {
        "bootstrap_servers": settings.bootstrap_list,
        "security_protocol": settings.security_protocol,
        "sasl_mechanism": settings.sasl_mechanism,
        "sasl_plain_username": settings.sasl_username,
        "sasl_plain_password": settings.sasl_password.get_secret_value(),
    }


async def _aio_send(settings: KafkaSettings, topic: str) -> None:
    producer = AIOKafkaProducer(**_aio(settings), request_timeout_ms=15_000)
    try:
        await producer.start()
        await producer.send_and_wait(topic, b"x")
    finally:
        await producer.stop()


async def _aio_read(settings: KafkaSettings, topic: str, group: str) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic, **_aio(settings), group_id=group, auto_offset_reset="earliest"
    )
    try:
        await consumer.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            if batch:
                return [r.value for records in batch.values() for r in records if r.value]
        return []
    finally:
        await consumer.stop()


def test_aiokafka_refusals_and_allowed_paths(scene: Scene) -> None:
    a, b = scene.a, scene.b

    async def scenario() -> None:
        await _aio_send(scene.of(a), scene.ingress(a))
        with pytest.raises(AioTopicDenied):
            await _aio_send(scene.of(a), scene.ingress(b))
        own_group = f"{a.subscribe[0]}.aiokafka"  # any group under its subscriber name
        assert await _aio_read(scene.of(a), scene.sub(a), own_group) == [b"for the subscriber"]
        with pytest.raises(AioTopicDenied):
            await _aio_read(scene.of(a), scene.sub(b), own_group)
        with pytest.raises(AioGroupDenied):
            await _aio_read(scene.of(a), scene.sub(a), scene.names.worker_app_id)

    asyncio.run(scenario())


# -- librdkafka (confluent-kafka) --------------------------------------------------------
def _rd(settings: KafkaSettings) -> dict[str, object]:
    assert settings.sasl_password is not None
    return {
        "bootstrap.servers": settings.bootstrap_servers,
        "security.protocol": settings.security_protocol,
        "sasl.mechanism": settings.sasl_mechanism,
        "sasl.username": settings.sasl_username,
        "sasl.password": settings.sasl_password.get_secret_value(),
    }


def _rd_send(settings: KafkaSettings, topic: str) -> int | None:
    """The delivery error code (None when delivered)."""
    outcome: list[RdError | None] = []
    producer = RdProducer({**_rd(settings), "message.timeout.ms": 15_000})
    producer.produce(topic, b"x", on_delivery=lambda err, _msg: outcome.append(err))
    producer.flush(30)
    assert outcome, "no delivery report within 30 s"
    return None if outcome[0] is None else outcome[0].code()


def _rd_read(settings: KafkaSettings, topic: str, group: str) -> bytes | int:
    """The first value read, or the first error code the consumer reported."""
    consumer = RdConsumer({**_rd(settings), "group.id": group, "auto.offset.reset": "earliest"})
    consumer.subscribe([topic])
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None:
                continue
            error = message.error()
            if error is not None:
                return int(error.code())
            return message.value() or b""
        return b""
    finally:
        consumer.close()


def test_librdkafka_refusals_and_allowed_paths(scene: Scene) -> None:
    a, b = scene.a, scene.b
    assert _rd_send(scene.of(a), scene.ingress(a)) is None
    assert _rd_send(scene.of(a), scene.ingress(b)) == RdError.TOPIC_AUTHORIZATION_FAILED
    own_group = f"{a.subscribe[0]}.librdkafka"
    assert _rd_read(scene.of(a), scene.sub(a), own_group) == b"for the subscriber"
    assert _rd_read(scene.of(a), scene.sub(b), own_group) == (RdError.TOPIC_AUTHORIZATION_FAILED)
    assert _rd_read(scene.of(a), scene.sub(a), scene.names.worker_app_id) == (
        RdError.GROUP_AUTHORIZATION_FAILED
    )
