"""The SDK on the real broker and registry: what goes in comes back out."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from lienthong.connectors.kafka import KafkaSettings
from lienthong.producers import (
    H_EVENT_ID,
    H_EVENT_TYPE,
    Delivery,
    InvalidEvent,
    Publisher,
    PublisherSettings,
)
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.models import DossierLifecycle
from lienthong.schemas.registry_client import RegistryClient
from tests.producers.conftest import consume, end_offsets, make_topic
from tests.producers.events import dossier

# The default transport and the opt-in librdkafka one keep the same promises.
TRANSPORTS = pytest.mark.parametrize("transport", ["kafka-python", "librdkafka"])


@TRANSPORTS
def test_published_event_comes_back_the_same(
    kafka_settings: KafkaSettings,
    publisher_settings: PublisherSettings,
    registry: RegistryClient,
    agency: str,
    transport: str,
) -> None:
    publisher_settings = publisher_settings.model_copy(update={"transport": transport})
    topic = make_topic(kafka_settings, agency)
    event = dossier("H30-SDK-1", agency=agency)
    with Publisher(kafka_settings, publisher_settings) as publisher:
        delivery = publisher.publish(event)
    assert delivery.topic == topic
    assert delivery.offset == 0
    assert not delivery.spooled
    (record,) = consume(kafka_settings, topic, 1)
    assert (record.partition, record.offset) == (delivery.partition, delivery.offset)
    assert record.key == b"H30-SDK-1"
    headers = dict(record.headers)
    assert headers[H_EVENT_ID] == str(event.envelope.event_id).encode()
    assert headers[H_EVENT_TYPE] == b"dossier.lifecycle"
    decoded = AvroDeserializer(registry).decode(record.value)
    assert decoded.schema_id == registry.lookup(f"{topic}-value", _schema())
    assert DossierLifecycle.from_avro(decoded.value) == event


def _schema() -> str:
    return event_type("dossier.lifecycle").schema_str


Publish = Callable[[Publisher, list[DossierLifecycle], Callable[[Delivery], None]], None]


def _one_by_one(publisher: Publisher, events: list[DossierLifecycle], collect: Any) -> None:
    for event in events:
        publisher.publish_async(event, collect)


def _in_chunks(publisher: Publisher, events: list[DossierLifecycle], collect: Any) -> None:
    publisher.publish_many(events[:10], collect)
    publisher.publish_many(iter(events[10:]), collect)


@TRANSPORTS
@pytest.mark.parametrize("publish", [_one_by_one, _in_chunks], ids=["async", "many"])
def test_async_publishing_calls_back_once_per_event_in_order_per_key(
    kafka_settings: KafkaSettings,
    publisher_settings: PublisherSettings,
    agency: str,
    transport: str,
    publish: Publish,
) -> None:
    publisher_settings = publisher_settings.model_copy(update={"transport": transport})
    topic = make_topic(kafka_settings, agency)
    deliveries: list[Delivery] = []
    lock = threading.Lock()

    def collect(delivery: Delivery) -> None:
        with lock:
            deliveries.append(delivery)

    events = [dossier(f"H30-A-{n % 3}", agency=agency, step=n) for n in range(30)]
    with Publisher(kafka_settings, publisher_settings) as publisher:
        publish(publisher, events, collect)
        publisher.flush()
    assert sorted(d.event_id for d in deliveries) == sorted(
        str(e.envelope.event_id) for e in events
    )
    assert all(d.delivered and d.error is None for d in deliveries)
    records = consume(kafka_settings, topic, 30)
    by_key: dict[bytes, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_key.setdefault(record.key, []).append(dict(record.headers)[H_EVENT_ID].decode())
    for n in range(3):
        expected = [str(e.envelope.event_id) for e in events if e.MaHoSo == f"H30-A-{n}"]
        assert by_key[f"H30-A-{n}".encode()] == expected


def test_publish_many_sends_nothing_when_one_event_is_bad(
    kafka_settings: KafkaSettings, publisher_settings: PublisherSettings, agency: str
) -> None:
    topic = make_topic(kafka_settings, agency)
    good = dossier("H30-M-OK", agency=agency)
    fields = {name: getattr(good, name) for name in DossierLifecycle.model_fields}
    broken = DossierLifecycle.model_construct(**{**fields, "LoaiDoiTuong": "one"})
    with Publisher(kafka_settings, publisher_settings) as publisher:
        with pytest.raises(InvalidEvent, match=r"(?s)^item 1: .*LoaiDoiTuong") as caught:
            publisher.publish_many([good, broken, dossier("H30-M-OK", agency=agency)])
        publisher.flush()
    assert caught.value.index == 1
    assert end_offsets(kafka_settings, topic) == 0


def test_both_transports_put_a_key_on_the_same_partition(
    kafka_settings: KafkaSettings, publisher_settings: PublisherSettings, agency: str
) -> None:
    # The worker keeps each entity's state in its ingress partition: switching an
    # agency's transport must not move its dossiers (librdkafka's default is CRC32).
    make_topic(kafka_settings, agency)
    numbers = [f"H30-PART-{i}" for i in range(12)]
    placed: dict[str, list[int | None]] = {}
    for transport in ("kafka-python", "librdkafka"):
        settings = publisher_settings.model_copy(update={"transport": transport})
        with Publisher(kafka_settings, settings) as publisher:
            placed[transport] = [
                publisher.publish(dossier(n, agency=agency)).partition for n in numbers
            ]
    assert placed["kafka-python"] == placed["librdkafka"]
    assert len(set(placed["kafka-python"])) > 1  # the keys really spread
