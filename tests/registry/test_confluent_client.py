"""confluent-kafka's own SchemaRegistryClient, unchanged, against our registry."""

from __future__ import annotations

import json
import uuid

import pytest
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError

DOSSIER = {
    "type": "record",
    "name": "DossierReceived",
    "namespace": "vn.haugiang.test",
    "fields": [
        {"name": "MaHoSo", "type": "string", "doc": "Mã hồ sơ"},
        {"name": "NgayTiepNhan", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}


def test_confluent_client_registers_and_looks_up(schema_registry_url: str) -> None:
    subject = f"dossier-{uuid.uuid4().hex[:8]}-value"  # the registry is shared
    with SchemaRegistryClient({"url": schema_registry_url}) as client:
        schema_id = _register_and_look_up(client, subject)
    # A second client without cache: real GETs for the schema by id.
    with SchemaRegistryClient({"url": schema_registry_url}) as fresh:
        _read_and_check(fresh, subject, schema_id)


def _register_and_look_up(client: SchemaRegistryClient, subject: str) -> int:
    schema = Schema(json.dumps(DOSSIER), "AVRO")

    schema_id = client.register_schema(subject, schema)
    assert client.register_schema(subject, schema) == schema_id

    found = client.lookup_schema(subject, schema)
    assert (found.schema_id, found.subject, found.version) == (schema_id, subject, 1)

    latest = client.get_latest_version(subject)
    assert (latest.schema_id, latest.version) == (schema_id, 1)
    assert latest.schema.schema_type == "AVRO"
    assert json.loads(latest.schema.schema_str or "") == DOSSIER
    return schema_id


def _read_and_check(fresh: SchemaRegistryClient, subject: str, schema_id: int) -> None:
    by_id = fresh.get_schema(schema_id)
    assert json.loads(by_id.schema_str or "") == DOSSIER
    assert subject in fresh.get_subjects()
    assert fresh.get_versions(subject) == [1]
    fresh.set_compatibility(subject, "FULL")
    assert fresh.get_compatibility(subject) == "FULL"

    breaking = Schema(json.dumps({**DOSSIER, "fields": [{"name": "x", "type": "int"}]}), "AVRO")
    assert not fresh.test_compatibility(subject, breaking)
    with pytest.raises(SchemaRegistryError) as refused:
        fresh.register_schema(subject, breaking)
    assert (refused.value.http_status_code, refused.value.error_code) == (409, 409)
    with pytest.raises(SchemaRegistryError) as missing:
        fresh.get_latest_version(f"absent-{subject}")
    assert missing.value.error_code == 40401
