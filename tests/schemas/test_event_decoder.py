"""Schema id → event type: the writer's schema names the catalogue event type."""

from __future__ import annotations

import random

import pytest

from lienthong.producers import EventEncoder
from lienthong.schemas.catalogue import UnknownEventType
from lienthong.schemas.codec import AvroDeserializer, AvroSerializer, SerializationContext
from lienthong.schemas.event_decoder import EventDecoder
from lienthong.schemas.registry_client import InMemoryRegistry

from ..consumers.day import dossier_events

OTHER = '{"type": "record", "name": "Other", "namespace": "x", "fields": []}'


def test_an_event_decodes_with_its_type_and_model() -> None:
    registry = InMemoryRegistry()
    event = next(iter(dossier_events(random.Random(1), 1)))
    value = EventEncoder(registry).encode(event).value
    decoder = EventDecoder(AvroDeserializer(registry))
    decoded = decoder.decode(value)
    assert decoded.entry is not None
    assert decoded.entry.event_type == event.EVENT_TYPE
    assert decoder.event(value) == event


def test_a_schema_outside_the_catalogue_has_no_event_type() -> None:
    registry = InMemoryRegistry()
    value = AvroSerializer(registry, OTHER)({}, SerializationContext("t"))
    decoder = EventDecoder(AvroDeserializer(registry))
    decoded = decoder.decode(value)
    assert decoded.entry is None
    with pytest.raises(UnknownEventType, match=f"schema {decoded.schema_id} is not an event"):
        decoder.event(value)
