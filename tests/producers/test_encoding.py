"""Typed events to Kafka records, against the in-memory registry double."""

from __future__ import annotations

import io
import random

import pytest
from fastavro import schemaless_writer

from lienthong.connectors.topics import ingress_topic
from lienthong.producers import (
    H_EVENT_ID,
    H_EVENT_TYPE,
    H_SOURCE_AGENCY,
    H_TRACE_ID,
    EventEncoder,
    InvalidEvent,
)
from lienthong.producers._avro_writer import Unfit, _varint, body_writer
from lienthong.producers._encoding import avro_record
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.codec import AvroDeserializer, AvroSerializer, SerializationContext
from lienthong.schemas.models import DossierLifecycle
from lienthong.schemas.registry_client import InMemoryRegistry
from tests.producers.events import AGENCY, dossier
from tests.schemas.corpus import EXAMPLES, Example


def test_an_event_becomes_a_keyed_framed_record_with_headers() -> None:
    registry = InMemoryRegistry()
    event = dossier("H30-1")
    record = EventEncoder(registry).encode(event)
    assert record.topic == ingress_topic(AGENCY, "dossier.lifecycle")
    assert record.key == b"H30-1"
    assert dict(record.headers) == {
        H_EVENT_ID: str(event.envelope.event_id).encode(),
        H_EVENT_TYPE: b"dossier.lifecycle",
        H_SOURCE_AGENCY: AGENCY.encode(),
        H_TRACE_ID: event.envelope.trace_id.encode(),
    }
    assert registry.subjects == {f"{record.topic}-value": [1]}
    decoded = AvroDeserializer(registry).decode(record.value)
    assert decoded.schema_id == 1
    assert DossierLifecycle.from_avro(decoded.value) == event


def test_a_bad_event_raises_before_sending_and_names_the_field() -> None:
    good = dossier()
    fields = {name: getattr(good, name) for name in DossierLifecycle.model_fields}
    broken = DossierLifecycle.model_construct(**{**fields, "LoaiDoiTuong": "one"})
    with pytest.raises(InvalidEvent, match="LoaiDoiTuong") as caught:
        EventEncoder(InMemoryRegistry()).encode(broken)
    assert caught.value.errors[0].rule == "avro_schema"


def test_the_fast_avro_dict_writes_the_same_bytes_as_to_avro() -> None:
    registry = InMemoryRegistry()
    entry = event_type("dossier.lifecycle")
    serializer = AvroSerializer(registry, entry.schema_str)
    context = SerializationContext("t")
    for event in (dossier(step=n) for n in range(3)):
        assert serializer(avro_record(event), context) == serializer(event.to_avro(), context)


_VALID = [e for e in EXAMPLES if e.kind == "valid"]


@pytest.mark.parametrize("example", _VALID, ids=lambda e: e.id)
def test_the_compiled_writer_writes_fastavros_bytes_for_every_event_type(example: Example) -> None:
    entry = event_type(example.event_type)
    event = entry.model.from_avro(example.record)
    write = body_writer(entry.schema)
    assert write is not None  # every catalogue schema compiles today
    frame = b"\x00\x00\x00\x00\x07"
    expected = io.BytesIO(frame)
    expected.seek(len(frame))
    schemaless_writer(expected, entry.parsed_schema, event.to_avro())
    assert write(event, frame) == expected.getvalue()
    # ...and the encoder, which uses it, gives what the codec's serializer gives.
    registry = InMemoryRegistry()
    record = EventEncoder(registry).encode(event)
    serializer = AvroSerializer(registry, entry.schema_str)
    assert record.value == serializer(event.to_avro(), SerializationContext(record.topic))


def test_values_the_writer_cannot_vouch_for_go_through_fastavro() -> None:
    good = dossier()
    fields = {name: getattr(good, name) for name in DossierLifecycle.model_fields}
    write = body_writer(event_type("dossier.lifecycle").schema)
    assert write is not None
    for odd in ({"LoaiDoiTuong": 2**40}, {"LoaiDoiTuong": True}, {"TrangThaiTruoc": 1.0}):
        event = DossierLifecycle.model_construct(**{**fields, **odd})
        with pytest.raises(Unfit):
            write(event, b"")
    # An int beyond 32 bits is fastavro's to judge, as before the writer existed.
    big = DossierLifecycle.model_construct(**{**fields, "LoaiDoiTuong": 2**40})
    registry = InMemoryRegistry()
    serializer = AvroSerializer(registry, event_type("dossier.lifecycle").schema_str)
    record = EventEncoder(registry).encode(big)
    assert record.value == serializer(avro_record(big), SerializationContext(record.topic))


def test_schemas_outside_the_writers_reach_are_left_to_fastavro() -> None:
    record = {
        "type": "record",
        "name": "R",
        "fields": [{"name": "m", "type": "map", "values": "string"}],
    }
    assert body_writer(record) is None
    union = {"type": "record", "name": "U", "fields": [{"name": "u", "type": ["int", "string"]}]}
    assert body_writer(union) is None


def _fastavro_long(n: int) -> bytes:
    out = io.BytesIO()
    schemaless_writer(out, "long", n)
    return out.getvalue()


def test_the_unrolled_varint_equals_fastavros_long_of_every_length() -> None:
    rng = random.Random(7)
    for bits in range(64):
        for _ in range(50):
            value = rng.getrandbits(bits)
            for n in (value, -value, -value - 1):
                if -(2**63) <= n < 2**63:
                    assert _varint(n) == _fastavro_long(n), n
