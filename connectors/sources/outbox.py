"""Transactional-outbox source: an agency's outbox table (PostgreSQL or SQLite) → Kafka.

The agency's system writes its business change and an outbox row in one local
transaction (Debezium's column convention, see :mod:`.outbox_sql`); this connector
polls the table in position order and publishes each row as a catalogue event on the
agency's ingress topic, keyed by ``aggregateid`` so each entity keeps its order.

Guarantees:

- each batch and the new position are written in one Kafka transaction
  (:mod:`.positions`): after a crash or ``kill -9`` the restart resumes exactly after
  the last committed batch — nothing lost, nothing repeated for read-committed readers.
  Delivery is still documented as at-least-once (``event_id`` = the outbox ``id`` is the
  idempotency key downstream) because read-uncommitted readers may see an aborted batch;
- a row that cannot be an event (payload not JSON, unknown type, contract broken,
  ``aggregateid`` not the entity's id) goes to the dead-letter topic, in the same
  transaction, with the reason in ``lt.dlq.*`` headers; the position moves past it;
- PostgreSQL rows that commit out of sequence order are waited for (the gap guard).

Why not the agency SDK's ``Publisher``: connectors sit below producers in the
dependency order, and the SDK's spool acknowledges an event once it is on local disk —
for an outbox, the table itself is the durable queue, and the position may only move
once Kafka has the batch, atomically with it. The codec and kafka-python's
transactional producer say exactly that.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
import time
from abc import ABC, abstractmethod
from typing import Any, ClassVar

import psycopg
from pydantic import Field, SecretStr, field_validator

from lienthong.connectors.errors import KafkaUnavailable, SourceUnavailable
from lienthong.connectors.events import Encoder, OutRecord
from lienthong.connectors.positions import TransactionalWriter
from lienthong.connectors.runtime import Connector, ConnectorSpec
from lienthong.connectors.sources import outbox_sql
from lienthong.connectors.sql import check_identifier
from lienthong.connectors.topics import topic_segment
from lienthong.schemas.catalogue import UnknownEventType, event_type
from lienthong.schemas.deadletter import (
    BAD_PAYLOAD,
    KEY_MISMATCH,
    UNKNOWN_EVENT_TYPE,
    DeadRecord,
    Refusal,
    Source,
)
from lienthong.schemas.errors import CodecError, RegistryError
from lienthong.schemas.registry_client import RegistryClient
from lienthong.schemas.rows import RowRejected, as_event_id, complete, validate

log = logging.getLogger("lienthong.connectors")

_SQLITE = "sqlite:///"
_POSTGRES = ("postgresql://", "postgres://")


class OutboxSpec(ConnectorSpec):
    """An agency's outbox table and how to publish it."""

    dsn: SecretStr = Field(
        description="postgresql://user:password@host/db, or sqlite:////absolute/path.db"
    )
    agency: str = Field(description="Code of the agency the outbox belongs to (source_agency).")
    table: str = Field(default="outbox", description="Outbox table (optionally schema.table).")
    position_column: str = Field(
        default="seq",
        description="Increasing integer giving the write order (bigserial; 'rowid' in SQLite).",
    )
    id_column: str = Field(default="id", description="Event id (a UUID; integers are mapped).")
    aggregatetype_column: str = "aggregatetype"
    aggregateid_column: str = Field(default="aggregateid", description="Entity id: the Kafka key.")
    type_column: str = Field(default="type", description="Event type of the row.")
    payload_column: str = Field(default="payload", description="JSON payload of the event.")
    occurred_at_column: str | None = Field(
        default=None, description="Timestamp column used when the payload has no occurred_at."
    )
    type_map: dict[str, str] = Field(
        default_factory=dict,
        description="Outbox type → catalogue event type, e.g. {DossierChanged: dossier.lifecycle}.",
    )
    batch_size: int = Field(default=500, ge=1, le=50_000, description="Rows per transaction.")
    poll_interval_s: float = Field(default=0.5, gt=0, description="Pause when nothing is new.")
    gap_wait_s: float = Field(
        default=5.0, ge=0, description="How long a hole in the sequence is waited for (PostgreSQL)."
    )
    delete_published: bool = Field(
        default=False, description="Delete rows once published (the table stays small)."
    )
    deadletter_topic: str | None = None  # default: the topic layout's <prefix>.deadletter
    create_topics: bool = Field(default=True, description="Create missing ingress topics.")

    @field_validator(
        "table", "position_column", "id_column", "aggregatetype_column", "aggregateid_column",
        "type_column", "payload_column", "occurred_at_column",
    )  # fmt: skip
    @classmethod
    def _plain_names(cls, value: str | None) -> str | None:
        return None if value is None else check_identifier(value)

    @field_validator("dsn")
    @classmethod
    def _known_scheme(cls, value: SecretStr) -> SecretStr:
        dsn = value.get_secret_value()
        if not dsn.startswith((_SQLITE, *_POSTGRES)):
            raise ValueError("use postgresql://… or sqlite:////absolute/path.db")
        return value

    @field_validator("agency")
    @classmethod
    def _topic_safe(cls, value: str) -> str:
        topic_segment(value)
        return value

    def columns(self) -> outbox_sql.Columns:
        return outbox_sql.Columns(
            table=self.table,
            position=self.position_column,
            id=self.id_column,
            aggregatetype=self.aggregatetype_column,
            aggregateid=self.aggregateid_column,
            type=self.type_column,
            payload=self.payload_column,
            occurred_at=self.occurred_at_column,
        )


class OutboxDatabase(ABC):
    """Reads (and optionally deletes) outbox rows; errors become SourceUnavailable."""

    ordered_commits: ClassVar[bool]

    @abstractmethod
    def fetch(self, after: int, limit: int) -> list[outbox_sql.OutboxRow]: ...

    @abstractmethod
    def delete_upto(self, position: int) -> None: ...

    @abstractmethod
    def close(self) -> None: ...


class SqliteOutbox(OutboxDatabase):
    """An outbox in a SQLite file (writers are serialised: rows commit in order)."""

    ordered_commits = True

    def __init__(self, path: str, columns: outbox_sql.Columns) -> None:
        try:
            # Autocommit reads; wait for a writer's lock rather than fail at once.
            self._db = sqlite3.connect(path, timeout=30, isolation_level=None)
        except sqlite3.Error as exc:
            raise SourceUnavailable(f"cannot open the SQLite outbox {path}: {exc}") from exc
        self._select = outbox_sql.select_sql(columns, "?")
        self._delete = outbox_sql.delete_sql(columns, "?")

    def fetch(self, after: int, limit: int) -> list[outbox_sql.OutboxRow]:
        try:
            rows = self._db.execute(self._select, (after, limit)).fetchall()
        except sqlite3.Error as exc:
            raise SourceUnavailable(f"cannot read the SQLite outbox: {exc}") from exc
        return [outbox_sql.OutboxRow.from_tuple(r) for r in rows]

    def delete_upto(self, position: int) -> None:
        try:
            self._db.execute(self._delete, (position,))
        except sqlite3.Error as exc:
            raise SourceUnavailable(f"cannot delete published outbox rows: {exc}") from exc

    def close(self) -> None:
        self._db.close()


class PostgresOutbox(OutboxDatabase):
    """An outbox in PostgreSQL (rows may commit out of order: the gap guard waits)."""

    ordered_commits = False

    def __init__(self, dsn: str, columns: outbox_sql.Columns) -> None:
        try:
            self._db = psycopg.connect(dsn, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise SourceUnavailable(f"cannot connect to the PostgreSQL outbox: {exc}") from exc
        self._select = outbox_sql.select_sql(columns, "%s")
        self._delete = outbox_sql.delete_sql(columns, "%s")

    def fetch(self, after: int, limit: int) -> list[outbox_sql.OutboxRow]:
        try:
            rows = self._db.execute(self._select, (after, limit)).fetchall()
        except psycopg.Error as exc:
            raise SourceUnavailable(f"cannot read the PostgreSQL outbox: {exc}") from exc
        return [outbox_sql.OutboxRow.from_tuple(r) for r in rows]

    def delete_upto(self, position: int) -> None:
        try:
            self._db.execute(self._delete, (position,))
        except psycopg.Error as exc:
            raise SourceUnavailable(f"cannot delete published outbox rows: {exc}") from exc

    def close(self) -> None:
        self._db.close()


def open_database(spec: OutboxSpec) -> OutboxDatabase:
    dsn = spec.dsn.get_secret_value()
    if dsn.startswith(_SQLITE):
        return SqliteOutbox(dsn.removeprefix("sqlite://"), spec.columns())
    return PostgresOutbox(dsn, spec.columns())


def _payload_object(payload: Any) -> dict[str, Any]:
    if isinstance(payload, bytes | bytearray | memoryview):
        payload = bytes(payload).decode("utf-8")
    if isinstance(payload, str):
        payload = json.loads(payload)
    if not isinstance(payload, dict):
        raise TypeError(f"the payload is a JSON {type(payload).__name__}, not an object")
    return payload


class RowConverter:
    """Outbox rows → ingress records or dead letters (no I/O but the registry, once)."""

    def __init__(self, spec: OutboxSpec, encoder: Encoder, connector: str) -> None:
        self.spec = spec
        self.encoder = encoder
        self.stage = f"connect.outbox.{connector}"
        self.source_topic = f"outbox:{spec.table}"

    def convert(self, row: outbox_sql.OutboxRow) -> OutRecord | DeadRecord:
        spec = self.spec
        name = spec.type_map.get(row.type, row.type)
        event_id = as_event_id(row.id, f"outbox|{spec.agency}|{spec.table}")
        about = {"agency": spec.agency, "event_id": event_id}
        try:
            entry = event_type(name)
        except UnknownEventType as exc:
            return self._letter(row, Refusal(UNKNOWN_EVENT_TYPE, str(exc), **about))
        about["event_type"] = name
        try:
            data = _payload_object(row.payload)
        except (ValueError, TypeError) as exc:
            return self._letter(row, Refusal(BAD_PAYLOAD, f"payload: {exc}", **about))
        try:
            completed = complete(
                entry, data, agency=spec.agency, event_id=event_id, occurred_at=row.occurred_at
            )
            event = validate(entry, completed)
        except RowRejected as exc:
            refusal = Refusal.broken_contract(exc.violations, reason=exc.reason, **about)
            return self._letter(row, refusal)
        if event.key() != row.aggregateid:
            message = (
                f"aggregateid {row.aggregateid!r} is not the event's {entry.key_field} "
                f"{event.key()!r}: the entity's events would lose their order"
            )
            return self._letter(row, Refusal(KEY_MISMATCH, message, entry.key_field, **about))
        try:
            return self.encoder.encode(entry, event)
        except CodecError as exc:
            return self._letter(row, Refusal(exc.reason, str(exc), **about))

    def _letter(self, row: outbox_sql.OutboxRow, refusal: Refusal) -> DeadRecord:
        payload = row.payload
        if isinstance(payload, dict):
            payload = json.dumps(payload, ensure_ascii=False, default=str)
        value = payload.encode() if isinstance(payload, str) else bytes(payload or b"")
        if not refusal.rule:  # the outbox's letters always name a rule: the reason at least
            refusal = dataclasses.replace(refusal, rule=refusal.reason)
        source = Source(self.source_topic, -1, row.position)
        return DeadRecord.refused(refusal, source, self.stage, row.aggregateid.encode(), value, [])


class OutboxSource(Connector[OutboxSpec]):
    """Publishes an outbox table to Kafka (see the module docstring)."""

    KIND = "outbox"

    def run(self) -> None:
        spec = self.spec
        ctx = self.context
        writer = TransactionalWriter(
            ctx.kafka, ctx.name, create_topics=spec.create_topics, layout=ctx.layout
        )
        registry = RegistryClient(ctx.registry_url)
        database: OutboxDatabase | None = None
        try:
            stored = writer.open()
            position = int(stored) if stored is not None else 0
            database = open_database(spec)
            if spec.delete_published and position:
                database.delete_upto(position)  # finishes a delete a crash interrupted
            converter = RowConverter(spec, Encoder(registry, ctx.layout), ctx.name)
            guard = outbox_sql.GapGuard(
                0.0 if database.ordered_commits else spec.gap_wait_s, time.monotonic
            )
            log.info("outbox %s starts after position %s", ctx.name, position)
            while not ctx.stop.is_set():
                moved = self._one_batch(database, converter, guard, writer, position)
                if moved is None:
                    ctx.stop.wait(spec.poll_interval_s)
                else:
                    position = moved
        finally:
            if database is not None:
                database.close()
            writer.close()
            registry.close()

    def _one_batch(
        self,
        database: OutboxDatabase,
        converter: RowConverter,
        guard: outbox_sql.GapGuard,
        writer: TransactionalWriter,
        position: int,
    ) -> int | None:
        """Publish the next batch; return the new position, or None if nothing moved."""
        spec = self.spec
        metrics = self.context.metrics
        rows = database.fetch(position, spec.batch_size)
        rows = rows[: guard.admit(position, [r.position for r in rows])]
        if not rows:
            return None
        began = time.perf_counter()
        records: list[OutRecord] = []
        letters = 0
        try:
            for row in rows:
                outcome = converter.convert(row)
                if isinstance(outcome, DeadRecord):
                    letters += 1
                    records.append(
                        OutRecord(
                            spec.deadletter_topic or self.context.layout.deadletter,
                            outcome.key,
                            outcome.value,
                            outcome.headers(),
                        )
                    )
                else:
                    records.append(outcome)
        except RegistryError as exc:
            raise KafkaUnavailable(f"the schema registry cannot encode events: {exc}") from exc
        new_position = rows[-1].position
        writer.commit(records, new_position)
        if spec.delete_published:
            database.delete_upto(new_position)
        metrics.count("published", len(rows) - letters)
        metrics.count("deadlettered", letters)
        metrics.batches.inc()
        metrics.batch_seconds.observe(time.perf_counter() - began)
        return new_position
