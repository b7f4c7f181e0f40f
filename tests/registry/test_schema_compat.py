"""Schema validation, identity and the compatibility check, without Kafka."""

from __future__ import annotations

import json
from typing import Any

import pytest

from lienthong.registry import CompatibilityLevel
from lienthong.registry._compat import check
from lienthong.registry._errors import InvalidSchema
from lienthong.registry._schema import AvroSchema, parse_schema


def schema(*fields: dict[str, Any], name: str = "R") -> AvroSchema:
    return parse_schema(json.dumps({"type": "record", "name": name, "fields": list(fields)}))


def test_identity_ignores_layout_but_not_attributes() -> None:
    compact = '{"type":"record","name":"R","fields":[{"name":"a","type":"int"}]}'
    spread = (
        '{ "fields": [ {"type": {"type": "int"}, "name": "a"} ], "name": "R", "type": "record" }'
    )
    assert parse_schema(compact).fingerprint == parse_schema(spread).fingerprint
    assert parse_schema('{"type": "string"}').fingerprint == parse_schema('"string"').fingerprint
    with_doc = schema({"name": "a", "type": "int", "doc": "tuổi"})
    timestamp = schema({"name": "a", "type": {"type": "long", "logicalType": "timestamp-millis"}})
    plain_long = schema({"name": "a", "type": "long"})
    assert with_doc.fingerprint != parse_schema(compact).fingerprint
    assert timestamp.fingerprint != plain_long.fingerprint
    assert "tuổi" in with_doc.text  # served as written, not \\u-escaped


@pytest.mark.parametrize(
    ("field", "why"),
    [
        ({"name": "a", "type": "int", "default": "0"}, "default"),
        ({"name": "a", "type": "int", "default": 2**31}, "default"),
        ({"name": "a", "type": ["null", "int"], "default": "x"}, "default"),
        (
            {"name": "a", "type": {"type": "fixed", "name": "F", "size": 2}, "default": "abc"},
            "default",
        ),
        ({"name": "a", "type": {"type": "array", "items": "int"}, "default": [1, "2"]}, "default"),
        ({"name": "a", "type": "unknown.Type"}, "not a valid Avro schema"),
    ],
)
def test_invalid_schemas_say_why(field: dict[str, Any], why: str) -> None:
    with pytest.raises(InvalidSchema, match=why):
        schema(field)


def test_valid_defaults_of_every_kind() -> None:
    schema(
        {"name": "n", "type": "null", "default": None},
        {"name": "b", "type": "boolean", "default": True},
        {"name": "l", "type": "long", "default": 2**40},
        {"name": "d", "type": "double", "default": 1},
        {"name": "y", "type": "bytes", "default": "\u00ff"},
        {"name": "u", "type": ["null", "string"], "default": None},
        {"name": "v", "type": ["string", "null"], "default": None},  # Avro 1.12: any branch
        {"name": "m", "type": {"type": "map", "values": "int"}, "default": {"a": 1}},
        {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A", "B"]}, "default": "B"},
        {
            "name": "r",
            "type": {
                "type": "record",
                "name": "In",
                "fields": [{"name": "x", "type": "int", "default": 0}],
            },
            "default": {},
        },
    )


OLD = schema({"name": "id", "type": "string"})
ADDED_OPTIONAL = schema(
    {"name": "id", "type": "string"}, {"name": "n", "type": "int", "default": 0}
)
ADDED_REQUIRED = schema({"name": "id", "type": "string"}, {"name": "n", "type": "int"})


@pytest.mark.parametrize(
    ("level", "new", "compatible"),
    [
        (CompatibilityLevel.BACKWARD, ADDED_OPTIONAL, True),
        (CompatibilityLevel.BACKWARD, ADDED_REQUIRED, False),
        (CompatibilityLevel.FORWARD, ADDED_REQUIRED, True),  # old readers ignore the field
        (CompatibilityLevel.FULL, ADDED_OPTIONAL, True),
        (CompatibilityLevel.FULL, ADDED_REQUIRED, False),
        (CompatibilityLevel.NONE, schema({"name": "id", "type": "int"}), True),
    ],
)
def test_levels(level: CompatibilityLevel, new: AvroSchema, compatible: bool) -> None:
    assert (check(level, new, [(1, OLD)]) == []) is compatible


def test_promotions_follow_avro_resolution() -> None:
    ints = schema({"name": "x", "type": "int"})
    longs = schema({"name": "x", "type": "long"})
    assert check(CompatibilityLevel.BACKWARD, longs, [(1, ints)]) == []  # int widens to long
    reasons = check(CompatibilityLevel.BACKWARD, ints, [(1, longs)])
    assert "TYPE_MISMATCH" in reasons[0]
    assert reasons[-3:] == [
        "{oldSchemaVersion: 1}",
        f"{{oldSchema: '{longs.text}'}}",
        "{compatibility: 'BACKWARD'}",
    ]


def test_enum_and_union_growth() -> None:
    def enum(*symbols: str, default: str | None = None) -> AvroSchema:
        spec: dict[str, Any] = {"type": "enum", "name": "S", "symbols": list(symbols)}
        if default:
            spec["default"] = default
        return schema({"name": "s", "type": spec})

    # A reader without the writer's new symbol cannot read it, unless it has a default.
    assert check(CompatibilityLevel.FORWARD, enum("A", "B"), [(1, enum("A"))])
    assert not check(CompatibilityLevel.FORWARD, enum("A", "B"), [(1, enum("A", default="A"))])
    narrow = schema({"name": "u", "type": ["null", "string"]})
    wide = schema({"name": "u", "type": ["null", "string", "int"]})
    assert not check(CompatibilityLevel.BACKWARD, wide, [(1, narrow)])
    assert "MISSING_UNION_BRANCH" in check(CompatibilityLevel.FORWARD, wide, [(1, narrow)])[0]


def test_transitive_checks_every_earlier_version_and_reports_the_failing_one() -> None:
    v1 = schema({"name": "f", "type": "int", "default": 0})
    v2 = schema()
    v3 = schema({"name": "f", "type": "string", "default": "x"})
    assert check(CompatibilityLevel.BACKWARD, v3, [(1, v1), (2, v2)]) == []
    reasons = check(CompatibilityLevel.BACKWARD_TRANSITIVE, v3, [(1, v1), (2, v2)])
    assert "{oldSchemaVersion: 1}" in reasons
