"""The security feed on the real broker: written by a trail, read back in order."""

from __future__ import annotations

import uuid

import pytest
from typer.testing import CliRunner

from lienthong.audit import (
    AuditAction,
    AuditOutcome,
    AuditTrail,
    KafkaAuditSink,
    MemoryAuditSink,
    audit_spec,
    read_audit,
)
from lienthong.cli import app
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import TopicLayout
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.provision import kafka_env
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.registry_client import RegistryClient


def test_refusals_and_admin_actions_reach_the_audit_topic(
    kafka_settings: KafkaSettings, schema_registry_url: str
) -> None:
    layout = TopicLayout(f"test-audit-{uuid.uuid4().hex[:8]}")
    metrics = AxisMetrics.create()
    sink = KafkaAuditSink(
        kafka_settings, lambda: RegistryClient(schema_registry_url), layout=layout
    )
    trail = AuditTrail("registry", sink, metrics)
    trail.record(
        AuditAction.AUTH_FAILED,
        "operator:admin (claimed)",
        "wrong password",
        target="DELETE /subjects/x",
        reason="bad_credentials",
        client="127.0.0.1",
    )
    trail.record(AuditAction.SCHEMA_DELETED, "operator:admin", "deleted x", target="x")
    trail.close()
    assert sink.delivered == 2

    with RegistryClient(schema_registry_url) as registry:
        records = list(read_audit(kafka_settings, AvroDeserializer(registry), layout=layout))
    events = [r.event for r in records]
    assert [e.action if e else None for e in events] == [
        AuditAction.AUTH_FAILED,
        AuditAction.SCHEMA_DELETED,
    ]
    first, second = events
    assert first is not None
    assert second is not None
    assert first.outcome is AuditOutcome.REFUSED
    assert second.outcome is AuditOutcome.ALLOWED
    assert records[0].as_json()["reason"] == "bad_credentials"
    text = metrics.exposition()[0].decode()
    assert 'action="SCHEMA_DELETED"' in text

    spec = audit_spec(layout)
    assert spec.config["cleanup.policy"] == "delete"
    assert int(spec.config["retention.ms"]) >= 365 * 86_400_000


def test_a_memory_sink_keeps_events_for_processes_without_kafka() -> None:
    sink = MemoryAuditSink(size=2)
    trail = AuditTrail("cli", sink)
    for n in range(3):
        trail.record(AuditAction.KEY_ADDED, "cli:local", f"key {n}")
    assert [e.detail for e in sink.events] == ["key 1", "key 2"]


def test_audit_tail_prints_the_feed(
    kafka_settings: KafkaSettings, schema_registry_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = f"test-tail-{uuid.uuid4().hex[:8]}"
    sink = KafkaAuditSink(
        kafka_settings, lambda: RegistryClient(schema_registry_url), layout=TopicLayout(prefix)
    )
    AuditTrail("gateway", sink).record(
        AuditAction.REQUEST_REFUSED, "agency:STP", "not yours", reason="missing_role"
    )
    sink.close()
    for name, value in kafka_env(kafka_settings).items():
        monkeypatch.setenv(name, value)
    args = ["audit", "tail", "--prefix", prefix, "--registry", schema_registry_url]
    shown = CliRunner().invoke(app, args)
    assert shown.exit_code == 0, shown.output
    assert "REQUEST_REFUSED agency:STP via gateway" in shown.output
    assert "(missing_role)" in shown.output
    as_json = CliRunner().invoke(app, [*args, "--json"])
    assert '"actor": "agency:STP"' in as_json.output
    empty = CliRunner().invoke(app, ["audit", "tail", "--prefix", prefix + "-none"])
    assert "Nothing audited yet" in empty.output
