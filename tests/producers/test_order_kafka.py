"""Kafka away longer than the delivery timeout while an agency publishes: order per key holds.

The failure this guards against: with the broker down past the delivery timeout, a
newer event of a key was spooled (the publisher had gone offline) while an older one,
still in the Kafka client, expired later and was spooled behind it; or an older one
expired while a newer one still got through once the broker was back. Either way the
gate later refused legal transitions. This test stops and restarts a broker of its own.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from lienthong.broker import LocalBroker
from lienthong.connectors.kafka import KafkaSettings
from lienthong.producers import H_EVENT_ID, Delivery, Publisher, PublisherSettings
from lienthong.settings import LocalBrokerSettings
from tests.conftest import REFUSED_CONNECTIONS, free_port
from tests.producers.conftest import consume, end_offsets, make_topic
from tests.producers.events import dossier

KEYS = 200
DELIVERY_TIMEOUT_S = 3.0


class Stream:
    """Publishes events of random keys, a few hundred a second, until stopped."""

    def __init__(self, publisher: Publisher, agency: str) -> None:
        self.publisher = publisher
        self.agency = agency
        self.sent: dict[str, list[str]] = {}
        self.outcomes: list[Delivery] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _collect(self, delivery: Delivery) -> None:
        with self._lock:
            self.outcomes.append(delivery)

    def _run(self) -> None:
        rng = random.Random(14)
        step = 0
        while not self._stop.is_set():
            chunk = []
            for _ in range(20):
                key = f"H30-O-{rng.randrange(KEYS)}"
                event = dossier(key, agency=self.agency, step=step)
                step += 1
                self.sent.setdefault(key, []).append(str(event.envelope.event_id))
                chunk.append(event)
            self.publisher.publish_many(chunk, self._collect)
            time.sleep(0.05)

    def __enter__(self) -> Stream:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@REFUSED_CONNECTIONS
@pytest.mark.usefixtures("refused_sockets_collected")
@pytest.mark.parametrize("transport", ["kafka-python", "librdkafka"])
def test_order_per_key_holds_when_kafka_is_away_longer_than_the_delivery_timeout(
    tmp_path: Path, schema_registry_url: str, agency: str, transport: str
) -> None:
    broker = LocalBroker(
        LocalBrokerSettings(
            home=tmp_path / "kafka", port=free_port(), controller_port=free_port(), heap_mb=256
        )
    )
    broker.start()
    try:
        kafka = KafkaSettings(bootstrap_servers=broker.bootstrap)
        topic = make_topic(kafka, agency)
        settings = PublisherSettings(
            registry_url=schema_registry_url,
            spool_path=tmp_path / "spool.sqlite3",
            delivery_timeout_s=DELIVERY_TIMEOUT_S,
            retry_interval_s=0.5,
            transport=transport,
        )
        with Publisher(kafka, settings) as publisher, Stream(publisher, agency) as stream:
            time.sleep(1.0)
            broker.stop()
            # Away past the delivery timeout, but not past twice it (counting the
            # restart): records sent just before the stop would have expired while
            # newer ones, sent later, still got through.
            time.sleep(DELIVERY_TIMEOUT_S + 0.5)
            assert not publisher.online
            broker.start()
            time.sleep(2.0)
        with Publisher(kafka, settings) as publisher:
            assert publisher.wait_drained(60)
            assert publisher.spool_rejected() == []
        sent = stream.sent
        total = sum(len(ids) for ids in sent.values())
        records = consume(kafka, topic, end_offsets(kafka, topic), timeout_s=60)  # copies too
    finally:
        broker.stop()

    assert not [d for d in stream.outcomes if d.error is not None]
    assert {d.event_id for d in stream.outcomes} == {i for ids in sent.values() for i in ids}
    seen: dict[str, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event_id = dict(record.headers)[H_EVENT_ID].decode()
        ids = seen.setdefault(record.key.decode(), [])
        if event_id not in ids:  # a copy sent twice is deduplicated on event_id downstream
            ids.append(event_id)
    assert sum(len(ids) for ids in seen.values()) == total  # none lost
    out_of_order = [key for key, ids in sent.items() if seen.get(key) != ids]
    assert out_of_order == []
