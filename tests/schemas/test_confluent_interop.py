"""Confluent's own Python client against our registry and our codec, both directions."""

from __future__ import annotations

from collections.abc import Callable

from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer as ConfluentDeserializer
from confluent_kafka.schema_registry.avro import AvroSerializer as ConfluentSerializer
from confluent_kafka.serialization import MessageField
from confluent_kafka.serialization import SerializationContext as ConfluentContext

from lienthong.schemas.catalogue import event_type
from lienthong.schemas.codec import AvroDeserializer, AvroSerializer, SerializationContext
from lienthong.schemas.framing import read_header
from lienthong.schemas.registry_client import RegistryClient
from tests.schemas.corpus.dossier import RECEIVED

DOSSIER = event_type("dossier.lifecycle")


def test_confluent_writes_we_read(
    schema_registry_url: str, unique_topic: Callable[[str], str]
) -> None:
    topic = unique_topic("interop")
    event = DOSSIER.model.from_avro(RECEIVED)
    with SchemaRegistryClient({"url": schema_registry_url}) as confluent:
        data = ConfluentSerializer(confluent, DOSSIER.schema_str)(
            event.to_avro(), ConfluentContext(topic, MessageField.VALUE)
        )
        registered = confluent.get_latest_version(f"{topic}-value")
    assert data is not None
    with RegistryClient(schema_registry_url) as ours:
        decoded = AvroDeserializer(ours).decode(data)
        assert DOSSIER.model.from_avro(decoded.value) == event
        # Same schema, same global id, whichever client registered it.
        assert decoded.schema_id == AvroSerializer(ours, DOSSIER.schema_str).schema_id(
            SerializationContext(topic)
        )
    assert registered.schema_id == decoded.schema_id


def test_we_write_confluent_reads(
    schema_registry_url: str, unique_topic: Callable[[str], str]
) -> None:
    topic = unique_topic("interop")
    event = DOSSIER.model.from_avro(RECEIVED)
    with RegistryClient(schema_registry_url) as ours:
        data = AvroSerializer(ours, DOSSIER.schema_str)(
            event.to_avro(), SerializationContext(topic)
        )
    with SchemaRegistryClient({"url": schema_registry_url}) as confluent:
        value = ConfluentDeserializer(confluent)(data, ConfluentContext(topic, MessageField.VALUE))
        assert confluent.get_schema(read_header(data)).schema_str == DOSSIER.schema_str
    assert isinstance(value, dict)
    assert DOSSIER.model.from_avro(value) == event
