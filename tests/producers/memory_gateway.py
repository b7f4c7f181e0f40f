"""The gateway without Kafka: an in-memory registry and a sink that keeps what it gets.

For tests of the HTTP surface (errors, fuzzing) that do not need a broker.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from fastapi import FastAPI

from lienthong.audit import AuditTrail, MemoryAuditSink
from lienthong.connectors.kafka import KafkaSettings
from lienthong.producers import Delivery, Record
from lienthong.producers.gateway import GatewaySettings, create_app
from lienthong.schemas.registry_client import InMemoryRegistry
from tests.identities import Identities
from tests.producers.events import AGENCY


@dataclass
class MemorySink:
    """A sink that takes every record, at offsets counted per topic."""

    records: list[Record] = field(default_factory=list)

    async def send(self, records: Sequence[Record]) -> list[Delivery]:
        out = []
        for record in records:
            self.records.append(record)
            out.append(Delivery(record.event_id, record.topic, 0, len(self.records) - 1))
        return out

    async def ready(self) -> bool:
        return True

    async def close(self) -> None:
        return None


@dataclass
class MemoryGateway:
    app: FastAPI
    sink: MemorySink
    key: str
    agency: str = AGENCY


@contextmanager
def memory_gateway(folder: Path, **settings: object) -> Iterator[MemoryGateway]:
    """A gateway app on ``folder``'s agencies and idempotency files, with a key for AGENCY."""
    config = GatewaySettings(
        idempotency_path=folder / "idem.db",
        **settings,  # type: ignore[arg-type]
    )
    identities = Identities(folder / "agencies.yaml")
    key = identities.agency(AGENCY)
    sink = MemorySink()
    app = create_app(
        KafkaSettings(),
        config,
        registry=InMemoryRegistry(),
        sink=sink,
        access=identities.watcher(),
        trail=AuditTrail("gateway", MemoryAuditSink()),
    )
    yield MemoryGateway(app, sink, key)
