"""Kafka goes away while an agency publishes: nothing is lost, order per key holds.

This test stops and restarts a broker of its own, never the session's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.broker import LocalBroker
from lienthong.connectors.kafka import KafkaSettings
from lienthong.producers import H_EVENT_ID, Publisher, PublisherSettings
from lienthong.schemas.models import DossierLifecycle
from lienthong.settings import LocalBrokerSettings
from tests.conftest import REFUSED_CONNECTIONS, free_port
from tests.producers.conftest import consume, make_topic
from tests.producers.events import dossier

KEYS = 4


def _events(agency: str, start: int, count: int) -> list[DossierLifecycle]:
    return [
        dossier(f"H30-S-{n % KEYS}", agency=agency, step=n) for n in range(start, start + count)
    ]


@REFUSED_CONNECTIONS
@pytest.mark.usefixtures("refused_sockets_collected")
@pytest.mark.parametrize("transport", ["kafka-python", "librdkafka"])
def test_events_spooled_while_kafka_is_down_are_all_delivered_in_order(
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
            delivery_timeout_s=3.0,
            retry_interval_s=0.5,
            transport=transport,
        )
        before, during, after = (
            _events(agency, 0, 20),
            _events(agency, 20, 40),
            _events(agency, 60, 20),
        )

        publisher = Publisher(kafka, settings)
        for event in before:
            assert publisher.publish(event).delivered
        broker.stop()
        for event in during:
            publisher.publish_async(event)
        publisher.flush()
        assert not publisher.online
        assert publisher.spooled == len(during)
        # The publishing process ends with events still spooled ...
        publisher.close()

        broker.start()
        # ... and a new one, on the same spool file, delivers them before newer events
        # of the same keys.
        with Publisher(kafka, settings) as restarted:
            for event in after:
                restarted.publish_async(event)
            assert restarted.wait_drained(60)
            restarted.flush()
            assert restarted.spool_rejected() == []

        records = consume(kafka, topic, 80, timeout_s=30)
    finally:
        broker.stop()

    published = before + during + after
    seen: dict[bytes, list[str]] = {}
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        event_id = dict(record.headers)[H_EVENT_ID].decode()
        ids = seen.setdefault(record.key, [])
        if event_id not in ids:  # a retry may duplicate; event_id deduplicates
            ids.append(event_id)
    assert sum(len(ids) for ids in seen.values()) == len(published)  # none lost
    for n in range(KEYS):
        key = f"H30-S-{n}"
        assert seen[key.encode()] == [
            str(e.envelope.event_id) for e in published if e.MaHoSo == key
        ]
