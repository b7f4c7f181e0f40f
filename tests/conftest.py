"""Shared fixtures: one real Kafka broker per test session, and unique topic names.

Tests that use ``kafka_settings`` (or ``kafka_broker``) are marked ``kafka``
automatically; ``pytest -m "not kafka"`` runs the pure tests without Java. Set
LIENTHONG_TEST_BOOTSTRAP_SERVERS to run the suite against an existing cluster instead.
"""

from __future__ import annotations

import gc
import logging
import os
import re
import socket
import uuid
import warnings
from collections.abc import Callable, Iterator

import pytest

from lienthong.broker import LocalBroker
from lienthong.registry import RegistryServer, RegistrySettings
from lienthong.settings import KafkaSettings, LocalBrokerSettings

_startup: dict[str, float] = {}
_KAFKA_FIXTURES = {"kafka_broker", "kafka_settings", "schema_registry_url"}


def free_port() -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _KAFKA_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.kafka)


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Bootstrap address of a real broker, started once and stopped even on failure."""
    external = os.environ.get("LIENTHONG_TEST_BOOTSTRAP_SERVERS")
    if external:
        yield external
        return
    broker = LocalBroker(
        LocalBrokerSettings(
            home=tmp_path_factory.mktemp("kafka"),
            port=free_port(),
            controller_port=free_port(),
            heap_mb=512,
        )
    )
    try:
        _startup["seconds"] = broker.start()
        yield broker.bootstrap
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_settings(kafka_broker: str) -> KafkaSettings:
    """Client settings that reach the session's broker."""
    return KafkaSettings(bootstrap_servers=kafka_broker)


@pytest.fixture(scope="session")
def schema_registry_url(kafka_settings: KafkaSettings) -> Iterator[str]:
    """Base URL of a real schema registry (ours, Confluent API) shared by the session.

    It runs in a thread on a free port, backed by the session's broker on a topic of
    its own; tests sharing it should use subject names of their own.
    """
    settings = RegistrySettings(port=0, topic=f"test._schemas.{uuid.uuid4().hex[:8]}")
    with RegistryServer(kafka_settings, settings) as registry:
        yield registry.url


@pytest.fixture
def unique_topic(request: pytest.FixtureRequest) -> Callable[[str], str]:
    """Make topic names no other test (or earlier run on the same cluster) uses."""
    test = re.sub(r"[^A-Za-z0-9]+", "-", request.node.name)[:60].strip("-")

    def make(purpose: str = "t") -> str:
        return f"test.{test}.{purpose}.{uuid.uuid4().hex[:8]}"

    return make


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if "seconds" in _startup:
        terminalreporter.write_line(
            f"Kafka broker cold start (format + start, jars cached): {_startup['seconds']:.2f}s"
        )


# kafka-python 3.0.12 does not close a socket whose connect() was refused
# (kafka/net/inet.py): while a broker is down its threads leave some behind. Tests that
# publish with the broker away ignore exactly that warning (it is not ours) ...
REFUSED_CONNECTIONS = pytest.mark.filterwarnings(
    "ignore:unclosed <socket.socket:ResourceWarning",
    "ignore:Exception ignored in. <socket.socket",
)


@pytest.fixture
def refused_sockets_collected(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """... and use this, so the leaked sockets are collected while it is ignored.

    kafka-python's ERROR log records hold the exceptions (hence the sockets) alive as
    long as pytest keeps the records, so its records are not made during such a test.
    """
    caplog.set_level(logging.CRITICAL, logger="kafka")
    yield
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()
