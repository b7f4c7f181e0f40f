"""The Avro codec in Confluent wire format, over fastavro.

A serializer is a callable ``(value, ctx) -> bytes`` and a deserializer a callable
``(data, ctx) -> dict``, as in confluent-kafka-python, so either side can be swapped
for the other library's. Bytes written here decode with Confluent's deserializer and
the reverse.

Guarantees:
- a schema is fetched from the registry and parsed once per id for the codec's life;
- a serializer asks the registry for its id once per subject;
- decoding never returns a partial record: any failure raises a :class:`CodecError`
  whose ``reason`` names the check (bad magic byte, truncated, corrupt, unknown schema
  id, schema mismatch) and whose message says where.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.validation import ValidationError, validate

from lienthong.schemas.errors import (
    CodecError,
    CorruptPayload,
    SchemaMismatch,
    TruncatedPayload,
)
from lienthong.schemas.framing import HEADER_SIZE, header, read_header
from lienthong.schemas.registry_client import SchemaRegistry

Schema = str | Mapping[str, Any]


@dataclass(frozen=True)
class SerializationContext:
    """Where a value is going or came from: its topic, and key or value."""

    topic: str
    field: Literal["key", "value"] = "value"


SubjectNameStrategy = Callable[[SerializationContext, str], str]


def topic_name_strategy(ctx: SerializationContext, record_name: str) -> str:
    """``<topic>-value``: one subject per topic (Confluent's default)."""
    return f"{ctx.topic}-{ctx.field}"


def record_name_strategy(ctx: SerializationContext, record_name: str) -> str:
    """``<namespace.Record>``: one subject per record type, across topics."""
    return record_name


def topic_record_name_strategy(ctx: SerializationContext, record_name: str) -> str:
    """``<topic>-<namespace.Record>``: several record types on one topic."""
    return f"{ctx.topic}-{record_name}"


def _schema_text(schema: Schema) -> str:
    return schema if isinstance(schema, str) else json.dumps(schema, ensure_ascii=False)


def _parse(schema: Schema) -> Any:
    try:
        return parse_schema(json.loads(schema) if isinstance(schema, str) else dict(schema))
    except Exception as exc:  # fastavro raises several unrelated types here
        raise SchemaMismatch(f"not a valid Avro schema: {exc}") from exc


class AvroSerializer:
    """Encode records of one schema; a callable ``(value, ctx) -> bytes``."""

    def __init__(
        self,
        registry: SchemaRegistry,
        schema: Schema,
        *,
        subject_name_strategy: SubjectNameStrategy = topic_name_strategy,
        schema_id: int | None = None,
    ) -> None:
        """``schema_id`` pins the id and skips registration (for pre-registered schemas)."""
        self._registry = registry
        self._text = _schema_text(schema)
        self._parsed = _parse(schema)
        self.record_name: str = self._parsed["name"]
        self._strategy = subject_name_strategy
        self._fixed_header = header(schema_id) if schema_id is not None else None
        self._headers: dict[str, bytes] = {}
        # Per (topic, field): the hot path is one dict hit, no subject naming per call.
        self._by_destination: dict[tuple[str, str], bytes] = {}

    def schema_id(self, ctx: SerializationContext) -> int:
        """The registry id this serializer writes for ``ctx`` (registers on first use)."""
        return read_header(self._header(ctx))

    def _header(self, ctx: SerializationContext) -> bytes:
        if self._fixed_header is not None:
            return self._fixed_header
        subject = self._strategy(ctx, self.record_name)
        cached = self._headers.get(subject)
        if cached is None:
            cached = header(self._registry.register(subject, self._text))
            self._headers[subject] = cached
        return cached

    def __call__(self, value: Mapping[str, Any], ctx: SerializationContext) -> bytes:
        destination = (ctx.topic, ctx.field)
        head = self._by_destination.get(destination)
        if head is None:
            head = self._by_destination[destination] = self._header(ctx)
        buffer = io.BytesIO()
        buffer.write(head)
        try:
            schemaless_writer(buffer, self._parsed, value)
        except (TypeError, ValueError, AttributeError, KeyError, OverflowError) as exc:
            raise SchemaMismatch(self._explain(value, exc)) from exc
        return buffer.getvalue()

    def _explain(self, value: Mapping[str, Any], exc: Exception) -> str:
        # Only on failure: fastavro's validator names the offending field path.
        try:
            validate(value, self._parsed, raise_errors=True)
        except ValidationError as detail:  # carries the field path
            return f"value does not fit {self.record_name}: {detail}"
        return f"value does not fit {self.record_name}: {exc}"


@dataclass(frozen=True)
class Decoded:
    """A decoded record with the id of the schema it was written with."""

    schema_id: int
    value: dict[str, Any]


class AvroDeserializer:
    """Decode framed Avro; a callable ``(data, ctx) -> dict``.

    With ``reader_schema``, records written with any registered version are resolved
    into the reader's shape (Avro schema resolution: defaults filled, fields dropped).
    """

    def __init__(self, registry: SchemaRegistry, reader_schema: Schema | None = None) -> None:
        self._registry = registry
        self._reader = _parse(reader_schema) if reader_schema is not None else None
        self._writers: dict[int, Any] = {}
        self._lock = threading.Lock()

    def writer_schema(self, schema_id: int) -> Any:
        """The parsed schema for ``schema_id`` (fetched and parsed once)."""
        parsed = self._writers.get(schema_id)
        if parsed is None:
            text = self._registry.get_schema(schema_id)
            parsed = _parse(text)
            with self._lock:
                self._writers[schema_id] = parsed
        return parsed

    def __call__(self, data: bytes, ctx: SerializationContext | None = None) -> dict[str, Any]:
        return self.decode(data).value

    def decode(self, data: bytes) -> Decoded:
        """Decode ``data``, keeping the writer's schema id."""
        schema_id = read_header(data)
        writer = self.writer_schema(schema_id)
        buffer = io.BytesIO(data)
        buffer.seek(HEADER_SIZE)
        try:
            value = schemaless_reader(buffer, writer, self._reader)
        except EOFError as exc:
            raise TruncatedPayload(
                f"record of schema {schema_id} ends early: {len(data)} bytes are not enough",
                schema_id=schema_id,
            ) from exc
        except CodecError:
            raise
        except Exception as exc:  # fastavro signals corrupt input with many types
            raise self._classify(exc, schema_id) from exc
        left = len(data) - buffer.tell()
        if left:
            raise CorruptPayload(
                f"{left} bytes left over after a complete record of schema {schema_id}",
                schema_id=schema_id,
            )
        if not isinstance(value, dict):
            raise SchemaMismatch(f"schema {schema_id} is not a record", schema_id=schema_id)
        return Decoded(schema_id, value)

    @staticmethod
    def _classify(exc: Exception, schema_id: int) -> CodecError:
        if type(exc).__name__ == "SchemaResolutionError":
            return SchemaMismatch(
                f"reader schema cannot read data written with schema {schema_id}: {exc}",
                schema_id=schema_id,
            )
        return CorruptPayload(
            f"bytes are not a valid record of schema {schema_id} ({type(exc).__name__}: {exc})",
            schema_id=schema_id,
        )
