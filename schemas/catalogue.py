"""The event catalogue: every event type, its self-contained Avro schema, model and key.

The ``.avsc`` files under ``avro/`` are the language-neutral source of truth, one named
type per file, the file named after the type's full name (the convention of fastavro's
``load_schema`` and of avro-maven-plugin imports). Shared types (the envelope, the
geographic point) are written once and referenced by full name; a registry, however,
needs each event schema *self-contained*, so this module inlines every referenced type
at its first use (later uses stay references, as Avro requires: fastavro's own
``expand_schema`` inlines every use, which is invalid Avro when a type occurs twice).

``schema_str`` is the expanded schema as compact JSON in the ``.avsc`` files' key order:
stable from run to run, so registering it twice gives the same id. It is *not* Avro's
Parsing Canonical Form, which strips ``doc``, ``default`` and logical types and so would
lose what schema evolution and readers depend on.

Usage::

    from lienthong.schemas.catalogue import event_type
    dossier = event_type("dossier.lifecycle")
    dossier.schema_str            # register this
    dossier.model.from_avro(rec)  # validate a decoded record
    dossier.key(event)            # the Kafka key
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, cached_property
from importlib import resources
from types import MappingProxyType
from typing import Any

from fastavro import parse_schema
from fastavro.validation import validate

from lienthong.schemas.models import (
    AuditEvent,
    DossierLifecycle,
    DossierProgress,
    EpidemicCaseReport,
    EventModel,
    FeedbackCase,
    OfficialDocument,
    QuarantineZone,
)

MODELS: tuple[type[EventModel], ...] = (
    DossierLifecycle,
    DossierProgress,
    EpidemicCaseReport,
    QuarantineZone,
    FeedbackCase,
    OfficialDocument,
)
"""The event models of the catalogue, in a stable order."""

AXIS_MODELS: tuple[type[EventModel], ...] = (AuditEvent,)
"""Events the axis' own services write (the security feed); agencies never publish them."""

_PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
_NAMED = frozenset({"record", "error", "enum", "fixed"})


class UnknownEventType(LookupError):
    """No event type of the catalogue has that name."""


def avsc_text(full_name: str) -> str:
    """The text of ``avro/<full_name>.avsc`` as shipped in the package."""
    path = resources.files("lienthong.schemas").joinpath("avro", f"{full_name}.avsc")
    try:
        return path.read_text("utf-8")
    except FileNotFoundError:
        raise LookupError(f"no schema file avro/{full_name}.avsc for type {full_name}") from None


def _full_name(node: Mapping[str, Any], namespace: str) -> tuple[str, str]:
    """(full name, namespace for its children) of a named type definition."""
    name: str = node["name"]
    if "." in name:
        space, _, short = name.rpartition(".")
    else:
        space, short = node.get("namespace", namespace), name
    return f"{space}.{short}" if space else short, space


def _expand_reference(name: str, namespace: str, defined: set[str]) -> Any:
    if name in _PRIMITIVES:
        return name
    full = name if "." in name else f"{namespace}.{name}"
    if full in defined:
        return full
    return _expand(json.loads(avsc_text(full)), namespace, defined)


def _expand_named(node: Mapping[str, Any], namespace: str, defined: set[str]) -> Any:
    full, space = _full_name(node, namespace)
    defined.add(full)
    if "fields" not in node:  # enum or fixed: nothing to inline
        return dict(node)
    fields = [{**f, "type": _expand(f["type"], space, defined)} for f in node["fields"]]
    return {**node, "fields": fields}


def _expand(node: Any, namespace: str, defined: set[str]) -> Any:
    if isinstance(node, list):  # a union
        return [_expand(branch, namespace, defined) for branch in node]
    if isinstance(node, str):
        return _expand_reference(node, namespace, defined)
    kind = node["type"]
    if kind in _NAMED:
        return _expand_named(node, namespace, defined)
    # array and map hold a type under their own key; anything else (a primitive with a
    # logical type, or a wrapped reference) under "type".
    key = {"array": "items", "map": "values"}.get(kind, "type")
    return {**node, key: _expand(node[key], namespace, defined)}


def expand(full_name: str) -> dict[str, Any]:
    """The schema of ``full_name`` with every referenced named type inlined once."""
    expanded: dict[str, Any] = _expand(full_name, "", set())
    return expanded


@dataclass(frozen=True)
class EventType:
    """One event type of the catalogue, everything a codec, producer or worker needs."""

    event_type: str
    """The envelope's ``event_type``, e.g. ``"dossier.lifecycle"``."""
    full_name: str
    """The Avro full name of the record, e.g. ``vn.haugiang.lienthong.dossier.DossierLifecycle``."""
    model: type[EventModel]
    """The pydantic model carrying the business rules."""
    key_field: str
    """The field whose value is the Kafka key (the entity's id)."""
    schema_str: str
    """The self-contained schema as JSON text (register this)."""

    @property
    def schema(self) -> dict[str, Any]:
        """The self-contained schema as a dict (a fresh copy: safe to modify)."""
        parsed: dict[str, Any] = json.loads(self.schema_str)
        return parsed

    @cached_property
    def parsed_schema(self) -> Any:
        """The schema parsed by fastavro, for its writer, reader and ``validate``."""
        return parse_schema(self.schema)

    def key(self, event: EventModel) -> str:
        """The Kafka key of a validated event."""
        return event.key()

    def record_key(self, record: Mapping[str, Any]) -> str:
        """The Kafka key of an Avro record (a dict), without building the model."""
        return str(record[self.key_field])

    def avro_accepts(self, record: Mapping[str, Any]) -> bool:
        """Whether fastavro finds ``record`` valid for this schema (types only, no rules)."""
        return bool(validate(record, self.parsed_schema, raise_errors=False))


def _entry(model: type[EventModel]) -> EventType:
    schema = expand(model.AVRO_NAME)
    # Fails here, at import of the catalogue, if the expansion is not self-contained.
    parse_schema(schema)
    return EventType(
        event_type=model.EVENT_TYPE,
        full_name=model.AVRO_NAME,
        model=model,
        key_field=model.KEY_FIELD,
        schema_str=json.dumps(schema, ensure_ascii=False, separators=(",", ":")),
    )


@cache
def catalogue() -> Mapping[str, EventType]:
    """Every event type, keyed by its ``event_type`` string."""
    return MappingProxyType({m.EVENT_TYPE: _entry(m) for m in MODELS})


@cache
def axis_catalogue() -> Mapping[str, EventType]:
    """The axis' own event types (:data:`AXIS_MODELS`), keyed by ``event_type``."""
    return MappingProxyType({m.EVENT_TYPE: _entry(m) for m in AXIS_MODELS})


def event_type(name: str) -> EventType:
    """The event type called ``name`` (e.g. ``"case.feedback"``)."""
    try:
        return catalogue()[name]
    except KeyError:
        known = ", ".join(catalogue())
        raise UnknownEventType(f"no event type {name!r} in the catalogue ({known})") from None


def by_full_name(full_name: str) -> EventType:
    """The event type whose record has Avro full name ``full_name``."""
    for entry in catalogue().values():
        if entry.full_name == full_name:
            return entry
    raise UnknownEventType(f"no event type with Avro record {full_name!r} in the catalogue")


def for_model(model: type[EventModel]) -> EventType:
    """The event type of a model class."""
    return event_type(model.EVENT_TYPE)
