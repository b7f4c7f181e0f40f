"""Registry instances on the session's real broker, each test on a topic of its own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from lienthong.audit import AuditTrail, MemoryAuditSink
from lienthong.connectors.kafka import KafkaSettings
from lienthong.registry import RegistryServer, RegistrySettings
from tests.identities import REGISTRY_ADMIN, Identities

StartRegistry = Callable[..., RegistryServer]
V1_JSON = "application/vnd.schemaregistry.v1+json"


def record(name: str, *fields: dict[str, Any], namespace: str = "test.registry") -> str:
    """An Avro record schema as registry request text."""
    return json.dumps(
        {"type": "record", "name": name, "namespace": namespace, "fields": list(fields)}
    )


def body(schema: str) -> dict[str, Any]:
    return {"schema": schema}


@pytest.fixture
def registry_topic(unique_topic: Callable[[str], str]) -> str:
    return unique_topic("schemas")


@pytest.fixture
def start_registry(
    kafka_settings: KafkaSettings, registry_topic: str, identities: Identities
) -> Iterator[StartRegistry]:
    """Start registry servers (HTTP on a free port, in a thread); all stop at teardown.

    They read the test's agencies file, in which REGISTRY_ADMIN is an admin, and keep
    their audit feed in memory (``audit=`` to look at it).
    """
    servers: list[RegistryServer] = []
    identities.registry_admin()

    def start(
        topic: str | None = None, audit: MemoryAuditSink | None = None, **settings: Any
    ) -> RegistryServer:
        config = RegistrySettings(port=0, topic=topic or registry_topic, **settings)
        trail = AuditTrail("registry", audit or MemoryAuditSink())
        server = RegistryServer(
            kafka_settings, config, access=identities.watcher(), trail=trail
        ).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def registry(start_registry: StartRegistry) -> Iterator[httpx.Client]:
    """An HTTP client of a fresh registry instance on a topic of its own."""
    server = start_registry()
    with httpx.Client(
        base_url=server.url, timeout=30, headers={"Accept": V1_JSON}, auth=REGISTRY_ADMIN
    ) as client:
        yield client
