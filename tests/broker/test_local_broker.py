"""The broker manager against a real Java process (its own broker, not the session's)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from lienthong.broker import LocalBroker, PortTaken
from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    ensure_topics,
    kafka_python_producer,
)
from lienthong.settings import LocalBrokerSettings
from tests.conftest import free_port

pytestmark = pytest.mark.kafka


@pytest.fixture
def own_broker(tmp_path: Path) -> Iterator[LocalBroker]:
    broker = LocalBroker(
        LocalBrokerSettings(home=tmp_path / "b", port=free_port(), controller_port=free_port())
    )
    yield broker
    broker.stop()


def _java_pids(broker: LocalBroker) -> list[str]:
    out = subprocess.run(
        ["pgrep", "-f", str(broker.layout.config_file)], capture_output=True, text=True, check=False
    )
    return out.stdout.split()


def test_start_status_stop_leaves_no_java_process(own_broker: LocalBroker) -> None:
    assert not own_broker.status().running
    seconds = own_broker.start()
    assert seconds > 0
    state = own_broker.status()
    assert state.running
    assert state.bootstrap == own_broker.bootstrap
    assert state.data_dir == own_broker.layout.data_dir
    assert own_broker.start() == 0.0  # already running: nothing to do
    assert own_broker.stop()
    assert not own_broker.status().running
    assert _java_pids(own_broker) == []
    assert not own_broker.stop()


def test_sigkilled_broker_comes_back_with_its_data(own_broker: LocalBroker) -> None:
    own_broker.start()
    settings = KafkaSettings(bootstrap_servers=own_broker.bootstrap)
    ensure_topics(settings, [TopicSpec("survivor", partitions=1)])
    producer = KafkaProducer(**kafka_python_producer(settings))
    for n in range(50):
        producer.send("survivor", key=b"k", value=str(n).encode())
    producer.flush()
    producer.close()

    pid = own_broker.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while own_broker.status().running and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not own_broker.status().running

    own_broker.start()
    consumer = KafkaConsumer(**settings.as_kafka_python(), enable_auto_commit=False)
    partition = TopicPartition("survivor", 0)
    consumer.assign([partition])
    consumer.seek_to_beginning(partition)
    values: list[bytes] = []
    deadline = time.monotonic() + 30
    while len(values) < 50 and time.monotonic() < deadline:
        for records in consumer.poll(timeout_ms=500).values():
            values.extend(r.value for r in records)
    consumer.close()
    assert [int(v) for v in values] == list(range(50))


def test_port_taken_is_reported_with_what_to_do(own_broker: LocalBroker) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", own_broker.settings.port))
        squatter.listen()
        with pytest.raises(PortTaken, match="LIENTHONG_BROKER_PORT"):
            own_broker.start()
    assert _java_pids(own_broker) == []
