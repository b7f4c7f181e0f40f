"""The SDK with Kafka unreachable from the start: events go to the spool, bounded."""

from __future__ import annotations

from pathlib import Path

import pytest

from lienthong.connectors.kafka import KafkaSettings
from lienthong.producers import EventEncoder, Publisher, PublisherSettings, SpoolFull
from lienthong.schemas.registry_client import InMemoryRegistry
from tests.conftest import REFUSED_CONNECTIONS, free_port
from tests.producers.events import dossier


@REFUSED_CONNECTIONS
@pytest.mark.usefixtures("refused_sockets_collected")
def test_events_are_spooled_while_kafka_is_away_until_the_spool_is_full(tmp_path: Path) -> None:
    size = EventEncoder(InMemoryRegistry()).encode(dossier()).size
    settings = PublisherSettings(
        spool_path=tmp_path / "spool.db",
        spool_max_bytes=max(1024, 2 * size + size // 2),  # room for two events
        delivery_timeout_s=1.0,
        retry_interval_s=0.2,
        create_topics=False,
    )
    nobody = KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}")
    with Publisher(nobody, settings, registry=InMemoryRegistry()) as publisher:
        first = publisher.publish(dossier(step=0))
        assert first.spooled
        assert first.offset is None
        assert not publisher.online
        assert publisher.publish(dossier(step=1)).spooled
        with pytest.raises(SpoolFull, match="LIENTHONG_PUBLISHER_SPOOL_MAX_BYTES"):
            publisher.publish_async(dossier(step=2))
        assert publisher.spooled == 2
    # Closing keeps them on disk for the next publisher of this spool file.
    with Publisher(nobody, settings, registry=InMemoryRegistry()) as again:
        assert again.spooled == 2
