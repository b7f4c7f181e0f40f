"""The catalogue: self-contained schemas that follow the contract conventions."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from enum import Enum
from typing import Any, get_args

import pytest
from fastavro import parse_schema, schemaless_reader, schemaless_writer
from pydantic import BaseModel

from lienthong.schemas.catalogue import (
    MODELS,
    UnknownEventType,
    _expand,
    avsc_text,
    by_full_name,
    catalogue,
    event_type,
    for_model,
)
from lienthong.schemas.models import AvroModel, DossierLifecycle, EventModel
from tests.schemas.corpus import EXAMPLES

EXPECTED = {
    "dossier.lifecycle": ("vn.haugiang.lienthong.dossier.DossierLifecycle", "MaHoSo"),
    "dossier.progress": ("vn.haugiang.lienthong.dossier.DossierProgress", "MaHoSo"),
    "case.epidemic": ("vn.haugiang.lienthong.cases.EpidemicCaseReport", "case_id"),
    "case.quarantine_zone": ("vn.haugiang.lienthong.cases.QuarantineZone", "zone_id"),
    "case.feedback": ("vn.haugiang.lienthong.cases.FeedbackCase", "case_id"),
    "document.official": ("vn.haugiang.lienthong.document.OfficialDocument", "document_id"),
}
VALID = [e for e in EXAMPLES if e.kind == "valid"]


def _named_types(node: Any) -> Iterator[dict[str, Any]]:
    """Every record and enum defined anywhere in a schema."""
    if isinstance(node, list):
        for branch in node:
            yield from _named_types(branch)
    elif isinstance(node, dict):
        if node.get("type") in ("record", "enum"):
            yield node
        for field in node.get("fields", []):
            yield from _named_types(field["type"])
        for key in ("items", "values", "type"):
            if isinstance(node.get(key), (dict, list)):
                yield from _named_types(node[key])


def _non_null(avro_type: Any) -> Any:
    if isinstance(avro_type, list):
        return next(t for t in avro_type if t != "null")
    return avro_type


def test_the_catalogue_lists_the_six_event_types() -> None:
    found = {name: (e.full_name, e.key_field) for name, e in catalogue().items()}
    assert found == EXPECTED
    assert [m.EVENT_TYPE for m in MODELS] == list(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_schemas_are_self_contained(name: str) -> None:
    entry = event_type(name)
    parsed = parse_schema(json.loads(entry.schema_str))  # no named types handed in
    assert isinstance(parsed, dict)
    assert parsed["name"] == entry.full_name
    assert entry.schema == json.loads(entry.schema_str)
    assert entry.schema is not entry.schema  # a fresh copy each time


@pytest.mark.parametrize("name", list(EXPECTED))
def test_every_type_and_field_has_a_doc_and_a_namespace(name: str) -> None:
    named_schemas: dict[str, Any] = {}
    parse_schema(event_type(name).schema, named_schemas)
    assert all(n.startswith("vn.haugiang.lienthong.") for n in named_schemas), named_schemas
    for named in _named_types(event_type(name).schema):
        assert named.get("doc", "").strip(), named["name"]
        for field in named.get("fields", []):
            assert field.get("doc", "").strip(), f"{named['name']}.{field['name']}"


@pytest.mark.parametrize("name", list(EXPECTED))
def test_enums_have_a_default_among_their_symbols(name: str) -> None:
    enums = [t for t in _named_types(event_type(name).schema) if t["type"] == "enum"]
    for enum in enums:
        assert enum["default"] in enum["symbols"], enum["name"]


@pytest.mark.parametrize("name", list(EXPECTED))
def test_times_are_timestamp_millis_and_event_ids_uuids(name: str) -> None:
    for named in _named_types(event_type(name).schema):
        for field in named.get("fields", []):
            is_time = field["name"].endswith("_at") or field["name"].startswith(
                ("Ngay", "ThoiDiem")
            )
            if is_time:
                assert _non_null(field["type"]) == {
                    "type": "long",
                    "logicalType": "timestamp-millis",
                }
    envelope = event_type(name).schema["fields"][0]
    assert envelope["name"] == "envelope"
    assert envelope["type"] == json.loads(avsc_text("vn.haugiang.lienthong.common.Envelope"))
    assert envelope["type"]["fields"][0]["type"] == {"type": "string", "logicalType": "uuid"}


def _assert_model_mirrors(model: type[BaseModel], record: dict[str, Any]) -> None:
    fields = record["fields"]
    assert [f["name"] for f in fields] == list(model.model_fields), record["name"]
    for field in fields:
        info = model.model_fields[field["name"]]
        optional = isinstance(field["type"], list) and "null" in field["type"]
        assert optional == (type(None) in get_args(info.annotation)), field["name"]
        assert ("default" in field) == (not info.is_required()), field["name"]
        _assert_nested_mirrors(info.annotation, _non_null(field["type"]))


def _assert_nested_mirrors(annotation: Any, avro_type: Any) -> None:
    args = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
    for arg in args:
        inner = get_args(arg)[0] if get_args(arg) else arg
        if isinstance(avro_type, dict) and avro_type.get("type") == "array":
            _assert_nested_mirrors(inner, avro_type["items"])
        elif (
            isinstance(inner, type) and issubclass(inner, AvroModel) and isinstance(avro_type, dict)
        ):
            _assert_model_mirrors(inner, avro_type)
        elif isinstance(inner, type) and issubclass(inner, Enum):
            assert [s.value for s in inner] == avro_type["symbols"], avro_type["name"]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.EVENT_TYPE)
def test_each_model_mirrors_its_schema(model: type[EventModel]) -> None:
    """Same fields in the same order, same optionality, same enum symbols, nested too."""
    _assert_model_mirrors(model, for_model(model).schema)


@pytest.mark.parametrize("example", VALID, ids=lambda e: e.id)
def test_avro_round_trips_are_exact(example: Any) -> None:
    entry = event_type(example.event_type)
    event = entry.model.from_avro(example.record)
    buffer = io.BytesIO()
    schemaless_writer(buffer, entry.parsed_schema, event.to_avro())
    buffer.seek(0)
    decoded = schemaless_reader(buffer, entry.parsed_schema, None)
    assert isinstance(decoded, dict)
    assert entry.model.from_avro(decoded) == event
    assert entry.model.model_validate_json(event.model_dump_json()) == event


@pytest.mark.parametrize("example", VALID, ids=lambda e: e.id)
def test_keys_are_the_entity_ids(example: Any) -> None:
    entry = event_type(example.event_type)
    event = entry.model.from_avro(example.record)
    assert entry.key(event) == entry.record_key(example.record) == example.record[entry.key_field]
    assert entry.avro_accepts(event.to_avro())


def test_look_ups_by_name_model_and_full_name() -> None:
    entry = by_full_name("vn.haugiang.lienthong.dossier.DossierLifecycle")
    assert entry is event_type("dossier.lifecycle") is for_model(DossierLifecycle)
    assert entry.model is DossierLifecycle
    with pytest.raises(UnknownEventType, match=r"dossier\.lifecycle"):
        event_type("dossier.status_changed")
    with pytest.raises(UnknownEventType):
        by_full_name("vn.haugiang.lienthong.common.Envelope")


def test_a_shared_type_used_twice_is_defined_once() -> None:
    geo = "vn.haugiang.lienthong.common.GeoPoint"
    schema = {
        "type": "record",
        "name": "Route",
        "namespace": "t",
        "fields": [{"name": "start", "type": geo}, {"name": "end", "type": ["null", geo]}],
    }
    expanded = _expand(schema, "", set())
    assert expanded["fields"][0]["type"]["name"] == "GeoPoint"
    assert expanded["fields"][1]["type"] == ["null", geo]
    parse_schema(expanded)


def test_a_missing_schema_file_is_named() -> None:
    with pytest.raises(LookupError, match=r"avro/vn\.haugiang\.lienthong\.common\.Nope\.avsc"):
        avsc_text("vn.haugiang.lienthong.common.Nope")
