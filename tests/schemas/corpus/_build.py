"""Building blocks of the corpus: examples, envelopes, and edits of a valid record."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

VN = timezone(timedelta(hours=7))
Kind = Literal["valid", "avro", "rule"]


@dataclass(frozen=True)
class Example:
    """A record of ``event_type`` and what the schema and the model must say about it.

    For rejected examples, ``field`` and ``rule`` name one violation the model reports.
    """

    event_type: str
    name: str
    record: dict[str, Any]
    kind: Kind
    field: str | None = None
    rule: str | None = None

    @property
    def id(self) -> str:
        return f"{self.event_type}:{self.kind}:{self.name}"


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A time in Vietnam (UTC+7), as agency systems record them."""
    return datetime(year, month, day, hour, minute, tzinfo=VN)


def envelope(event_type: str, full_name: str, source_agency: str) -> dict[str, Any]:
    """A valid envelope as an Avro dict."""
    return {
        "event_id": "0f8b5c8e-3a49-4c1e-9a43-2b7d0b5e9c11",
        "event_type": event_type,
        "occurred_at": datetime(2025, 3, 4, 2, 30, 1, 123000, tzinfo=UTC),
        "source_agency": source_agency,
        "schema_ref": full_name,
        "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736",
        "correlation_id": None,
    }


def _walk(record: dict[str, Any], path: str) -> tuple[Any, str | int]:
    *parents, last = path.split(".")
    node: Any = record
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    return node, int(last) if isinstance(node, list) else last


def changed(record: dict[str, Any], **paths: Any) -> dict[str, Any]:
    """A deep copy of ``record`` with values replaced; ``__`` in a name means ``.``."""
    result = copy.deepcopy(record)
    for path, value in paths.items():
        node, key = _walk(result, path.replace("__", "."))
        node[key] = value
    return result


def removed(record: dict[str, Any], path: str) -> dict[str, Any]:
    """A deep copy of ``record`` without the field at dotted ``path``."""
    result = copy.deepcopy(record)
    node, key = _walk(result, path)
    del node[key]
    return result


class Corpus:
    """Collects the examples of one event type around a valid base record."""

    def __init__(self, event_type: str, base: dict[str, Any]) -> None:
        self.event_type = event_type
        self.base = base
        self.examples: list[Example] = [Example(event_type, "base", base, "valid")]

    def valid(self, name: str, record: dict[str, Any]) -> None:
        self.examples.append(Example(self.event_type, name, record, "valid"))

    def avro(self, name: str, record: dict[str, Any], field: str, rule: str) -> None:
        """Wrong in a way the Avro schema can say: both must reject it."""
        self.examples.append(Example(self.event_type, name, record, "avro", field, rule))

    def rule(self, name: str, record: dict[str, Any], field: str, rule: str) -> None:
        """Wrong only by a business rule: the schema accepts it, the model must not."""
        self.examples.append(Example(self.event_type, name, record, "rule", field, rule))

    def envelope_cases(self) -> None:
        """The envelope's cases, the same for every event type."""
        b = self.base
        self.avro("no envelope", removed(b, "envelope"), "envelope", "missing")
        self.avro(
            "event_id not text",
            changed(b, envelope__event_id=42),
            "envelope.event_id",
            "is_instance_of",
        )
        self.avro(
            "occurred_at as text",
            changed(b, envelope__occurred_at="2025-03-04T09:30:00+07:00"),
            "envelope.occurred_at",
            "datetime_type",
        )
        self.avro(
            "trace_id missing", removed(b, "envelope.trace_id"), "envelope.trace_id", "missing"
        )
        self.avro(
            "correlation_id a number",
            changed(b, envelope__correlation_id=7),
            "envelope.correlation_id",
            "string_type",
        )
        self.valid("occurred_at as epoch ms", changed(b, envelope__occurred_at=1741055401123))
        self.valid(
            "event_id as UUID object",
            changed(b, envelope__event_id=uuid.UUID(b["envelope"]["event_id"])),
        )
        self.valid("correlation_id omitted", removed(b, "envelope.correlation_id"))
        versioned = b["envelope"]["schema_ref"] + "@3"
        self.valid("schema_ref with a version", changed(b, envelope__schema_ref=versioned))
        self.valid("agency electronic id", changed(b, envelope__source_agency="000.00.00.H30"))
        self.rule(
            "event_id not canonical",
            changed(b, envelope__event_id="0f8b5c8e3a494c1e9a432b7d0b5e9c11"),
            "envelope.event_id",
            "uuid_format",
        )
        self.rule(
            "naive occurred_at",
            changed(b, envelope__occurred_at=datetime(2025, 3, 4, 9, 30)),
            "envelope.occurred_at",
            "timezone_aware",
        )
        self.rule(
            "wrong event_type",
            changed(b, envelope__event_type="dossier.unknown"),
            "envelope.event_type",
            "event_type",
        )
        self.rule(
            "schema_ref of another record",
            changed(b, envelope__schema_ref="vn.haugiang.lienthong.common.Envelope"),
            "envelope.schema_ref",
            "schema_ref",
        )
        self.rule(
            "invented agency code",
            changed(b, envelope__source_agency="SYTE"),
            "envelope.source_agency",
            "agency_code",
        )
        self.rule(
            "trace_id upper case",
            changed(b, envelope__trace_id="4BF92F3577B34DA6A3CE929D0E0E4736"),
            "envelope.trace_id",
            "trace_id",
        )
        self.rule(
            "trace_id all zero",
            changed(b, envelope__trace_id="0" * 32),
            "envelope.trace_id",
            "trace_id",
        )
        self.rule(
            "unknown field", changed(b, envelope__tenant="x"), "envelope.tenant", "extra_forbidden"
        )
        self.rule(
            "blank correlation_id",
            changed(b, envelope__correlation_id="  "),
            "envelope.correlation_id",
            "not_blank",
        )
