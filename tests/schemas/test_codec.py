from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest

from lienthong.schemas.codec import (
    AvroDeserializer,
    AvroSerializer,
    SerializationContext,
    record_name_strategy,
)
from lienthong.schemas.errors import (
    BadMagicByte,
    CorruptPayload,
    SchemaMismatch,
    TruncatedPayload,
    UnknownSchemaId,
)
from lienthong.schemas.framing import header, read_header
from lienthong.schemas.registry_client import InMemoryRegistry

V1: dict[str, Any] = {
    "type": "record",
    "name": "Dossier",
    "namespace": "test.codec",
    "fields": [
        {"name": "id", "type": {"type": "string", "logicalType": "uuid"}},
        {"name": "MaHoSo", "type": "string"},
        {"name": "TrangThaiHoSo", "type": "int"},
        {"name": "at", "type": {"type": "long", "logicalType": "timestamp-millis"}},
    ],
}
V2 = {
    **V1,
    "fields": [*V1["fields"], {"name": "note", "type": ["null", "string"], "default": None}],
}
CTX = SerializationContext("dossiers")


def _value() -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "MaHoSo": "31318-251201-0001",
        "TrangThaiHoSo": 2,
        "at": datetime(2025, 12, 1, 8, 30, tzinfo=UTC),
    }


@pytest.fixture
def registry() -> InMemoryRegistry:
    return InMemoryRegistry()


def test_round_trip_writes_the_registered_id(registry: InMemoryRegistry) -> None:
    serialize = AvroSerializer(registry, V1)
    data = serialize(_value(), CTX)
    assert data[0] == 0
    assert read_header(data) == registry.register("dossiers-value", json.dumps(V1))
    decoded = AvroDeserializer(registry).decode(data)
    assert decoded.value["MaHoSo"] == "31318-251201-0001"
    assert decoded.value["at"] == datetime(2025, 12, 1, 8, 30, tzinfo=UTC)


def test_same_schema_same_id_across_subjects(registry: InMemoryRegistry) -> None:
    a = AvroSerializer(registry, V1).schema_id(SerializationContext("a"))
    b = AvroSerializer(registry, json.dumps(V1, indent=2)).schema_id(SerializationContext("b"))
    c = AvroSerializer(registry, V1, subject_name_strategy=record_name_strategy).schema_id(CTX)
    assert a == b == c
    assert set(registry.subjects) == {"a-value", "b-value", "test.codec.Dossier"}


def test_old_writer_resolves_into_new_reader(registry: InMemoryRegistry) -> None:
    data = AvroSerializer(registry, V1)(_value(), CTX)
    value = AvroDeserializer(registry, reader_schema=V2)(data, CTX)
    assert value["note"] is None
    assert value["TrangThaiHoSo"] == 2


def test_unresolvable_reader_is_a_schema_mismatch(registry: InMemoryRegistry) -> None:
    data = AvroSerializer(registry, V1)(_value(), CTX)
    reader = {**V1, "fields": [*V1["fields"], {"name": "must", "type": "string"}]}
    with pytest.raises(SchemaMismatch, match="cannot read"):
        AvroDeserializer(registry, reader_schema=reader)(data, CTX)


def test_encoding_a_bad_value_names_the_field(registry: InMemoryRegistry) -> None:
    with pytest.raises(SchemaMismatch, match="TrangThaiHoSo"):
        AvroSerializer(registry, V1)(_value() | {"TrangThaiHoSo": "two"}, CTX)


def test_bad_magic_byte(registry: InMemoryRegistry) -> None:
    data = AvroSerializer(registry, V1)(_value(), CTX)
    with pytest.raises(BadMagicByte, match="0x7b"):
        AvroDeserializer(registry)(b"{" + data[1:], CTX)


@pytest.mark.parametrize("cut", [0, 1, 4])
def test_shorter_than_header_is_truncated(cut: int, registry: InMemoryRegistry) -> None:
    with pytest.raises(TruncatedPayload, match="header"):
        AvroDeserializer(registry)(header(1)[:cut], CTX)


def test_every_truncation_of_the_body_is_caught(registry: InMemoryRegistry) -> None:
    data = AvroSerializer(registry, V1)(_value(), CTX)
    deserialize = AvroDeserializer(registry)
    for cut in range(5, len(data)):
        with pytest.raises((TruncatedPayload, CorruptPayload)):
            deserialize(data[:cut], CTX)


def test_unknown_schema_id(registry: InMemoryRegistry) -> None:
    with pytest.raises(UnknownSchemaId, match="999") as info:
        AvroDeserializer(registry)(header(999) + b"\x00", CTX)
    assert info.value.reason == "unknown_schema_id"
    assert info.value.schema_id == 999


def test_trailing_bytes_are_corrupt(registry: InMemoryRegistry) -> None:
    data = AvroSerializer(registry, V1)(_value(), CTX)
    with pytest.raises(CorruptPayload, match="left over"):
        AvroDeserializer(registry)(data + b"\x00\x01", CTX)


def test_garbage_body_is_corrupt_not_a_crash(registry: InMemoryRegistry) -> None:
    schema_id = registry.register("s", json.dumps(V1))
    with pytest.raises((CorruptPayload, TruncatedPayload)):
        AvroDeserializer(registry)(header(schema_id) + b"\xff" * 40, CTX)


def test_pinned_schema_id_skips_registration(registry: InMemoryRegistry) -> None:
    data = AvroSerializer(registry, V1, schema_id=42)(_value(), CTX)
    assert read_header(data) == 42
    assert registry.subjects == {}
