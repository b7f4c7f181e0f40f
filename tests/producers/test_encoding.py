"""Typed events to Kafka records, against the in-memory registry double."""

from __future__ import annotations

import pytest

from lienthong.connectors.topics import ingress_topic
from lienthong.producers import (
    H_EVENT_ID,
    H_EVENT_TYPE,
    H_SOURCE_AGENCY,
    H_TRACE_ID,
    EventEncoder,
    InvalidEvent,
)
from lienthong.producers._encoding import avro_record
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.codec import AvroDeserializer, AvroSerializer, SerializationContext
from lienthong.schemas.models import DossierLifecycle
from lienthong.schemas.registry_client import InMemoryRegistry
from tests.producers.events import AGENCY, dossier


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
