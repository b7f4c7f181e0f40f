"""Shared fixtures: one real Kafka broker per test session, and unique topic names.

Tests that use ``kafka_settings`` (or ``kafka_broker``) are marked ``kafka``
automatically; ``pytest -m "not kafka"`` runs the pure tests without Java. Set
LIENTHONG_TEST_BOOTSTRAP_SERVERS to run the suite against an existing cluster instead.

Two more brokers start only when a test asks for them (both session-scoped):
``kafka_cluster`` (3 KRaft nodes, RF 3, min.insync.replicas 2; tests using it are
marked ``cluster`` and ``kafka``) and ``secure_broker`` (SCRAM-SHA-512, SASL_SSL, ACLs
enforced; ``secure_admin_settings`` reach it as the super user).
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
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from lienthong.audit import AuditTrail, MemoryAuditSink
from lienthong.broker import LocalBroker, LocalCluster
from lienthong.connectors.kafka import KafkaSettings
from lienthong.provision import AxisNames, credential_path, provision, read_credential
from lienthong.registry import RegistryServer, RegistrySettings
from lienthong.schemas.access import AccessFile, kafka_principal
from lienthong.settings import LocalBrokerSettings
from tests.identities import Identities, with_credentials

# Property-based tests: a bounded sample in CI (bench/fuzz.py runs the long one); no
# deadline (the machine is shared, timings vary) and no example database in the tree.
settings.register_profile(
    "lienthong",
    max_examples=int(os.environ.get("LIENTHONG_FUZZ_EXAMPLES", "60")),
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
settings.load_profile("lienthong")
# Fixture modules shared across test folders (a conftest.py serves only its own folder).
pytest_plugins = ["tests.consumers.axis", "tests.connectors.support"]

_startup: dict[str, float] = {}
_KAFKA_FIXTURES = {
    "session_broker",
    "kafka_broker",
    "kafka_settings",
    "schema_registry_url",
    "kafka_cluster",
    "cluster_settings",
    "secure_broker",
    "secure_admin_settings",
    "secure_identities",
}
_CLUSTER_FIXTURES = {"kafka_cluster", "cluster_settings"}


def free_port() -> int:
    """A TCP port that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if _KAFKA_FIXTURES & fixtures:
            item.add_marker(pytest.mark.kafka)
        if _CLUSTER_FIXTURES & fixtures:
            item.add_marker(pytest.mark.cluster)


SECURE_BY_DEFAULT = os.environ.get("LIENTHONG_TEST_SECURE", "0").lower() not in ("0", "", "false")
"""LIENTHONG_TEST_SECURE=1: the session's broker is the secured one, reached as its admin."""


@pytest.fixture(scope="session")
def session_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker | None]:
    """The session's own broker (None with LIENTHONG_TEST_BOOTSTRAP_SERVERS)."""
    if os.environ.get("LIENTHONG_TEST_BOOTSTRAP_SERVERS"):
        yield None
        return
    home = tmp_path_factory.mktemp("kafka")
    broker = LocalBroker(
        _node_settings(home / "node", secure=SECURE_BY_DEFAULT),
        credentials_dir=home / "credentials",
    )
    try:
        _startup["seconds"] = broker.start()
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def kafka_broker(session_broker: LocalBroker | None) -> str:
    """Bootstrap address of a real broker, started once and stopped even on failure."""
    if session_broker is None:
        return os.environ["LIENTHONG_TEST_BOOTSTRAP_SERVERS"]
    return session_broker.bootstrap


@pytest.fixture(scope="session")
def kafka_settings(session_broker: LocalBroker | None, kafka_broker: str) -> KafkaSettings:
    """Client settings that reach the session's broker (as its admin when secured).

    Child processes get them with ``kafka_env(kafka_settings)``.
    """
    if session_broker is not None:
        return session_broker.client_settings()
    return KafkaSettings(bootstrap_servers=kafka_broker)


def _node_settings(home: Path, *, secure: bool = False, heap_mb: int = 512) -> LocalBrokerSettings:
    return LocalBrokerSettings(
        home=home,
        port=free_port(),
        controller_port=free_port(),
        tls_port=free_port(),
        heap_mb=heap_mb,
        # A loaded 2-core runner can take a minute to start a JVM; a failure is slower.
        start_timeout_s=180,
        secure=secure,
    )


@pytest.fixture(scope="session")
def kafka_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCluster]:
    """A local 3-node KRaft cluster (plaintext), started on first use, stopped at the end.

    Every node is broker and controller; topics default to RF 3, min.insync.replicas 2.
    ``kafka_cluster.kill(n)`` SIGKILLs node n (1..3), ``kafka_cluster.restart(n)``
    brings it back with its data; a test that kills a node restarts it before it ends.
    """
    home = tmp_path_factory.mktemp("cluster")
    cluster = LocalCluster(
        [_node_settings(home, heap_mb=384) for _ in range(3)],
        home=home,
        credentials_dir=home / "credentials",
    )
    try:
        _startup["cluster"] = cluster.start()
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def cluster_settings(kafka_cluster: LocalCluster) -> KafkaSettings:
    """Client settings that reach all three nodes of ``kafka_cluster``."""
    return kafka_cluster.client_settings()


@pytest.fixture(scope="session")
def secure_broker(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[LocalBroker]:
    """A secured broker: SCRAM-SHA-512 on ``.bootstrap``, SASL_SSL on ``.tls_bootstrap``.

    StandardAuthorizer with no ``allow.everyone.if.no.acl.found``: only the admin
    (``svc.admin``, ``secure_broker.client_settings()``) may do anything until ACLs say
    otherwise. Its CA is ``secure_broker.security().truststore``.
    """
    if SECURE_BY_DEFAULT and not os.environ.get("LIENTHONG_TEST_BOOTSTRAP_SERVERS"):
        shared: LocalBroker = request.getfixturevalue("session_broker")
        yield shared
        return
    home = tmp_path_factory.mktemp("kafka-secure")
    broker = LocalBroker(
        _node_settings(home / "node", secure=True), credentials_dir=home / "credentials"
    )
    try:
        _startup["secure"] = broker.start()
        yield broker
    finally:
        broker.stop()


@pytest.fixture(scope="session")
def secure_admin_settings(secure_broker: LocalBroker) -> KafkaSettings:
    """The secured broker's super user over SCRAM (SASL_PLAINTEXT)."""
    return secure_broker.client_settings()


SecureIdentities = Callable[..., dict[str, KafkaSettings]]


@pytest.fixture(scope="session")
def secure_identities(
    secure_broker: LocalBroker, secure_admin_settings: KafkaSettings
) -> SecureIdentities:
    """Provision identities on ``secure_broker``; returns their client settings.

    ``secure_identities(access, names, tls=False)`` gives each agency and service of
    ``access`` (an ``AccessFile``) its SCRAM credential and ACLs for the topic names of
    ``names`` (an ``AxisNames``; give each test its own prefix) and returns
    ``{principal: KafkaSettings}``. Identities of other tests are left alone.
    """
    folder = secure_broker.shared_home / "test-credentials"

    def make(
        access: AccessFile, names: AxisNames, *, tls: bool = False
    ) -> dict[str, KafkaSettings]:
        provision(access, secure_admin_settings, folder, names, prune=False)
        codes = [a.code for a in access.agencies] + [s.value for s in access.services]
        found: dict[str, KafkaSettings] = {}
        for code in codes:
            principal = kafka_principal(code)
            settings = read_credential(credential_path(folder, principal))
            if tls:
                settings = settings.model_copy(
                    update={
                        "bootstrap_servers": secure_broker.tls_bootstrap,
                        "security_protocol": "SASL_SSL",
                    }
                )
            found[principal] = settings
        return found

    return make


@pytest.fixture(scope="session")
def schema_registry_url(
    kafka_settings: KafkaSettings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of a real schema registry (ours, Confluent API) shared by the session.

    It runs in a thread on a free port, backed by the session's broker on a topic of
    its own; tests sharing it should use subject names of their own. Writes need an
    admin, as always: the URL carries the admin's Basic credentials (httpx and
    Confluent's clients read them from it), so registering new schemas works.
    """
    identities = Identities(tmp_path_factory.mktemp("registry") / "agencies.yaml")
    credentials = identities.registry_admin()
    settings = RegistrySettings(port=0, topic=f"test._schemas.{uuid.uuid4().hex[:8]}")
    trail = AuditTrail("registry", MemoryAuditSink())  # tests of the feed use their own
    server = RegistryServer(kafka_settings, settings, access=identities.watcher(), trail=trail)
    with server as registry:
        yield with_credentials(registry.url, credentials)


@pytest.fixture
def identities(tmp_path: Path) -> Identities:
    """An agencies file of this test's own (``.agency(code)`` gives a key)."""
    return Identities(tmp_path / "agencies.yaml")


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
    if "cluster" in _startup:
        terminalreporter.write_line(f"3-node Kafka cluster cold start: {_startup['cluster']:.2f}s")
    if "secure" in _startup:
        terminalreporter.write_line(f"Secured Kafka broker cold start: {_startup['secure']:.2f}s")


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
