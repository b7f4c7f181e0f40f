"""Avro schema text as the registry sees it: validated, normalised and fingerprinted.

Two texts are the same schema when their JSON is equal after sorting object keys and
writing ``{"type": "int"}`` as ``"int"``: whitespace and key order do not matter, but
every attribute does. Avro's *parsing canonical form* is deliberately not the identity:
it drops ``default``, ``doc``, ``aliases`` and logical types, so two schemas that
resolve differently (one with a field default, one without) would share an id and the
second would never be stored. Confluent's registry keys on the full schema as well.
"""

from __future__ import annotations

import hashlib
import json
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import avro.errors
import avro.schema

from lienthong.registry._errors import InvalidSchema
from lienthong.schemas.identity import collapse, identity_form

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_INT_RANGE = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}
# warnings.catch_warnings swaps process-wide state; one parse at a time keeps it sane.
_warnings_lock = threading.Lock()


@dataclass(frozen=True, eq=False)
class AvroSchema:
    """A valid Avro schema: the text to serve, its identity, and Apache Avro's parse."""

    text: str
    """Compact JSON in the author's key order: what the registry stores and serves."""
    fingerprint: str
    """SHA-256 of the identity form: equal for the same schema, whatever its layout."""
    parsed: avro.schema.Schema


@lru_cache(maxsize=2048)
def parse_schema(text: str) -> AvroSchema:
    """Validate ``text`` as an Avro schema (names, types, defaults) or raise InvalidSchema."""
    try:
        document = json.loads(text)
    except (TypeError, ValueError) as exc:
        raise InvalidSchema(f"Invalid schema: not JSON ({exc})") from exc
    try:
        with _warnings_lock, warnings.catch_warnings():
            # Avro ignores a malformed logical type and reads the underlying type, as
            # Confluent (Java Avro) does; it is not an error, and not worth a warning here.
            warnings.simplefilter("ignore", avro.errors.IgnoredLogicalType)
            parsed = avro.schema.parse(text)
    except (avro.errors.AvroException, TypeError, ValueError, KeyError) as exc:
        raise InvalidSchema(f"Invalid schema {text}: {exc}") from exc
    problem = _first_bad_default(parsed, set())
    if problem is not None:
        raise InvalidSchema(f"Invalid schema {text}: {problem}")
    collapsed = collapse(document)
    identity = identity_form(document)
    return AvroSchema(
        text=json.dumps(collapsed, separators=(",", ":"), ensure_ascii=False),
        fingerprint=hashlib.sha256(identity.encode()).hexdigest(),
        parsed=parsed,
    )


def _first_bad_default(schema: avro.schema.Schema, seen: set[int]) -> str | None:
    """Say which field default does not fit its type, if any (Avro Java checks this too)."""
    children: list[avro.schema.Schema] = []
    if isinstance(schema, avro.schema.RecordSchema) and id(schema) not in seen:
        seen.add(id(schema))  # recursive types: each record once
        for field in schema.fields:
            if field.has_default and not _fits(field.type, field.default):
                return (
                    f"default {json.dumps(field.default)} of field '{field.name}' in "
                    f"'{schema.fullname}' is not a valid {field.type.type}"
                )
            children.append(field.type)
    elif isinstance(schema, avro.schema.ArraySchema):
        children.append(schema.items)
    elif isinstance(schema, avro.schema.MapSchema):
        children.append(schema.values)
    elif isinstance(schema, avro.schema.UnionSchema):
        children.extend(schema.schemas)
    for child in children:
        problem = _first_bad_default(child, seen)
        if problem is not None:
            return problem
    return None


def _fits(schema: avro.schema.Schema, value: Any) -> bool:  # noqa: PLR0911, PLR0912
    """Whether a JSON default ``value`` encodes a datum of ``schema`` (the Avro spec's table)."""
    kind = schema.type
    if isinstance(schema, avro.schema.UnionSchema):
        # Avro 1.12: a union default may match any branch (earlier: only the first).
        return any(_fits(branch, value) for branch in schema.schemas)
    if kind == "null":
        return value is None
    if kind == "boolean":
        return isinstance(value, bool)
    if kind in _INT_RANGE:
        low, high = _INT_RANGE[kind]
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if kind in ("float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind in ("string", "bytes"):
        return isinstance(value, str)
    if isinstance(schema, avro.schema.FixedSchema):
        return isinstance(value, str) and len(value) == schema.size
    if isinstance(schema, avro.schema.EnumSchema):
        return value in schema.symbols
    if isinstance(schema, avro.schema.ArraySchema):
        return isinstance(value, list) and all(_fits(schema.items, item) for item in value)
    if isinstance(schema, avro.schema.MapSchema):
        return isinstance(value, dict) and all(_fits(schema.values, v) for v in value.values())
    if isinstance(schema, avro.schema.RecordSchema):
        if not isinstance(value, dict):
            return False
        for field in schema.fields:
            if field.name in value:
                if not _fits(field.type, value[field.name]):
                    return False
            elif not field.has_default:
                return False
        return True
    return False


def avro_schema(text: object, schema_type: object = None, references: object = None) -> AvroSchema:
    """Validate a request's schema fields; only AVRO without references is served."""
    if schema_type not in (None, "AVRO"):
        raise InvalidSchema(f"Invalid schema type {schema_type}: this registry serves AVRO only")
    if references:
        raise InvalidSchema("Schema references are not supported by this registry")
    if not isinstance(text, str) or not text.strip():
        raise InvalidSchema("Empty schema")
    return parse_schema(text)
