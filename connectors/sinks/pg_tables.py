"""Tables from the contracts, and the SQL of the PostgreSQL sink (pure: no connection).

Each event type gets one table whose columns are the contract's: the envelope's fields
flattened (``event_id``, ``occurred_at``, ``source_agency`` …) and then the payload's,
under the contract's own names (``"MaHoSo"``, quoted: the portal's spelling is kept).
Avro types map as: string → text, uuid → uuid, int → integer, long → bigint,
timestamp-millis → timestamptz, boolean, float → real, double → double precision,
bytes → bytea, enum → text, and records, arrays, maps and mixed unions → jsonb.
``["null", X]`` is a nullable X. Tables only grow: a field added by a compatible schema
change becomes a new nullable column (``ADD COLUMN IF NOT EXISTS``).

Two shapes:

- **state** (the default): the current state of each entity, one row per key
  (``MaHoSo`` for dossiers). An upsert only replaces a row with an event at least as
  recent (``occurred_at``), so replaying a topic, or a late duplicate, never moves a
  row backwards;
- **log**: one row per event (``event_id`` is the key), for histories such as dossier
  progress steps; a replayed event is ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from psycopg.types.json import Jsonb

from lienthong.connectors.sql import quote
from lienthong.schemas.catalogue import EventType

Mode = Literal["state", "log"]
OFFSETS_TABLE = "lienthong_connect_offsets"

_PRIMITIVE = {
    "string": "text",
    "int": "integer",
    "long": "bigint",
    "boolean": "boolean",
    "float": "real",
    "double": "double precision",
    "bytes": "bytea",
}
_NAMED = {"enum": "text"}
_LOGICAL = {
    "timestamp-millis": "timestamptz",
    "timestamp-micros": "timestamptz",
    "uuid": "uuid",
    "date": "date",
}


@dataclass(frozen=True)
class Column:
    """A column: its name, SQL type, nullability and where its value sits in a record."""

    name: str
    sql_type: str
    nullable: bool
    path: tuple[str, ...]

    @property
    def is_json(self) -> bool:
        return self.sql_type == "jsonb"


def sql_type(avro: Any) -> tuple[str, bool]:
    """(SQL type, nullable) of an Avro type as the catalogue writes them."""
    if isinstance(avro, list):
        branches = [b for b in avro if b != "null"]
        if len(branches) == 1:
            return sql_type(branches[0])[0], "null" in avro
        return "jsonb", "null" in avro
    if isinstance(avro, str):
        return _PRIMITIVE.get(avro, "jsonb"), False
    kind = avro.get("type") if isinstance(avro.get("type"), str) else ""
    # A logical type wins over its base type; an enum is its symbol; the rest is JSON.
    found = _LOGICAL.get(avro.get("logicalType")) or _PRIMITIVE.get(kind) or _NAMED.get(kind)
    return found or "jsonb", False


@dataclass(frozen=True)
class TableModel:
    """An event type's table: name, columns, key and shape."""

    event_type: str
    table: str  # schema-qualified, unquoted
    columns: tuple[Column, ...]
    mode: Mode
    key: str  # the conflict column

    @property
    def quoted(self) -> str:
        return quote(self.table)

    @property
    def stage(self) -> str:
        """A session-local staging table for COPY (one per table and connection)."""
        return quote("stage_" + self.table.replace(".", "_"))

    def column_list(self) -> str:
        return ", ".join(quote(c.name) for c in self.columns)


def table_model(
    entry: EventType, mode: Mode, *, schema: str, name: str | None = None
) -> TableModel:
    """The table of ``entry`` (named after the event type unless ``name`` is given)."""
    columns: list[Column] = []
    for avro_field in entry.schema["fields"]:
        if avro_field["name"] == "envelope":
            for inner in avro_field["type"]["fields"]:
                kind, nullable = sql_type(inner["type"])
                columns.append(Column(inner["name"], kind, nullable, ("envelope", inner["name"])))
            continue
        kind, nullable = sql_type(avro_field["type"])
        columns.append(Column(avro_field["name"], kind, nullable, (avro_field["name"],)))
    table = name or entry.event_type.replace(".", "_")
    key = entry.key_field if mode == "state" else "event_id"
    return TableModel(entry.event_type, f"{schema}.{table}", tuple(columns), mode, key)


def create_sql(model: TableModel) -> list[str]:
    """Statements that create the table, or add the columns it lacks (idempotent)."""
    defined = ", ".join(
        f"{quote(c.name)} {c.sql_type}{'' if c.nullable else ' NOT NULL'}" for c in model.columns
    )
    statements = [
        f"CREATE SCHEMA IF NOT EXISTS {quote(model.table.split('.')[0])}",
        f"CREATE TABLE IF NOT EXISTS {model.quoted} ({defined}, PRIMARY KEY ({quote(model.key)}))",
    ]
    statements += [
        f"ALTER TABLE {model.quoted} ADD COLUMN IF NOT EXISTS {quote(c.name)} {c.sql_type}"
        for c in model.columns
    ]
    return statements


def stage_sql(model: TableModel) -> str:
    """The session's staging table: same columns, emptied at every commit."""
    return (
        f"CREATE TEMP TABLE IF NOT EXISTS {model.stage} "
        f"(LIKE {model.quoted} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
    )


def copy_sql(model: TableModel) -> str:
    return f"COPY {model.stage} ({model.column_list()}) FROM STDIN"


def _conflict(model: TableModel) -> str:
    if model.mode == "log":
        return f"ON CONFLICT ({quote(model.key)}) DO NOTHING"
    updates = ", ".join(
        f"{quote(c.name)} = EXCLUDED.{quote(c.name)}" for c in model.columns if c.name != model.key
    )
    # Never backwards: a replayed or late event older than the row leaves it alone.
    return (
        f"ON CONFLICT ({quote(model.key)}) DO UPDATE SET {updates} "
        f'WHERE {model.quoted}."occurred_at" <= EXCLUDED."occurred_at"'
    )


def merge_sql(model: TableModel) -> str:
    """Move the staged rows into the table (upsert or insert-if-new)."""
    columns = model.column_list()
    return (
        f"INSERT INTO {model.quoted} ({columns}) "  # noqa: S608 - checked, quoted names
        f"SELECT {columns} FROM {model.stage} {_conflict(model)}"
    )


def insert_sql(model: TableModel) -> str:
    """One row at a time (the fallback that isolates a row PostgreSQL refuses)."""
    marks = ", ".join(["%s"] * len(model.columns))
    return (
        f"INSERT INTO {model.quoted} ({model.column_list()}) "  # noqa: S608 - checked names
        f"VALUES ({marks}) {_conflict(model)}"
    )


OFFSETS_DDL = (
    f"CREATE TABLE IF NOT EXISTS {OFFSETS_TABLE} (connector text NOT NULL, topic text NOT NULL, "
    "partition integer NOT NULL, next_offset bigint NOT NULL, "
    "updated_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (connector, topic, partition))"
)
OFFSETS_SELECT = f"SELECT topic, partition, next_offset FROM {OFFSETS_TABLE} WHERE connector = %s"  # noqa: S608
OFFSETS_UPSERT = (
    f"INSERT INTO {OFFSETS_TABLE} (connector, topic, partition, next_offset) "  # noqa: S608
    "VALUES (%s, %s, %s, %s) "
    "ON CONFLICT (connector, topic, partition) DO UPDATE "
    "SET next_offset = EXCLUDED.next_offset, updated_at = now()"
)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def row_values(model: TableModel, record: Mapping[str, Any]) -> tuple[Any, ...]:
    """The column values of a decoded record, in column order."""
    values: list[Any] = []
    for column in model.columns:
        value: Any = record
        for part in column.path:
            value = value.get(part) if isinstance(value, Mapping) else None
        if column.is_json and value is not None:
            value = Jsonb(value, dumps=_json_text)
        values.append(value)
    return tuple(values)


def latest_per_key(
    model: TableModel, records: Sequence[Mapping[str, Any]]
) -> list[Mapping[str, Any]]:
    """One record per conflict key (a statement may not touch a row twice).

    State: the newest by ``occurred_at`` (ties: the later in topic order), as the
    upsert itself would decide. Log: the first of each event id.
    """
    chosen: dict[Any, Mapping[str, Any]] = {}
    for record in records:
        key = _key(model, record)
        held = chosen.get(key)
        if held is None or (model.mode == "state" and _occurred(record) >= _occurred(held)):
            chosen[key] = record
    return list(chosen.values())


def _key(model: TableModel, record: Mapping[str, Any]) -> Any:
    if model.mode == "log":
        return str(record["envelope"]["event_id"])
    return record[model.key]


def _occurred(record: Mapping[str, Any]) -> Any:
    return record["envelope"]["occurred_at"]


def by_type(events: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, list[Mapping[str, Any]]]:
    """Records grouped by event type, each group in arrival order."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for name, record in events:
        grouped.setdefault(name, []).append(record)
    return grouped
