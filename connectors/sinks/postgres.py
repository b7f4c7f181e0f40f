"""PostgreSQL sink: the axis's events as tables (current state per entity, or history).

Tables are created from the contracts (:mod:`.pg_tables`). Each batch is written in one
PostgreSQL transaction: rows are COPYed into a session staging table, merged with one
``INSERT … SELECT … ON CONFLICT`` per event type, and the Kafka offsets that follow the
batch are upserted into ``lienthong_connect_offsets`` **in the same transaction**. So
the database always holds exactly the events up to its stored offsets: a crash
rolls back both, a restart resumes from the stored offsets, and a replay of the topic
(offsets reset, or duplicates re-published) leaves every row as it was — upserts never
move a row backwards (``occurred_at``), history rows are keyed by ``event_id``.

A batch PostgreSQL refuses for its data (a NUL byte in a text, say) is retried row by
row, each in a savepoint; the rows still refused go to the dead-letter topic
(``sink_rejected``) and the batch commits without them. Records that cannot be decoded
are dead-lettered too (the codec's reason). Dead letters are acknowledged by Kafka
before the offsets move, so none is lost; a crash in between may write one twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import psycopg
from kafka import TopicPartition
from pydantic import Field, SecretStr, field_validator

from lienthong.connectors.errors import SinkUnavailable
from lienthong.connectors.positions import DeadLetterWriter
from lienthong.connectors.runtime import Connector, ConnectorSpec
from lienthong.connectors.sinks import pg_tables
from lienthong.connectors.sql import check_identifier
from lienthong.connectors.stream import Batch, EventStream, InEvent
from lienthong.schemas.catalogue import EventType, event_type
from lienthong.schemas.deadletter import SINK_REJECTED, DeadRecord
from lienthong.schemas.registry_client import RegistryClient

log = logging.getLogger("lienthong.connectors")


class PostgresSinkSpec(ConnectorSpec):
    """Materialize topics into PostgreSQL tables made from the contracts."""

    dsn: SecretStr = Field(description="postgresql://user:password@host:port/database")
    topics: list[str] = Field(min_length=1, description="Topics to read (canonical topics).")
    db_schema: str = Field(default="public", description="PostgreSQL schema of the tables.")
    tables: dict[str, str] = Field(
        default_factory=dict,
        description="Event type → table name (default: the type with '_' for '.').",
    )
    history: list[str] = Field(
        default_factory=lambda: ["dossier.progress"],
        description="Event types kept as one row per event (others: current state per key).",
    )
    batch_size: int = Field(default=2000, ge=1, le=100_000, description="Records per transaction.")
    poll_timeout_ms: int = Field(default=500, ge=10)
    deadletter_topic: str | None = None  # default: the topic layout's <prefix>.deadletter

    @field_validator("dsn")
    @classmethod
    def _postgres_url(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value().startswith(("postgresql://", "postgres://")):
            raise ValueError("use postgresql://user:password@host:port/database")
        return value

    @field_validator("db_schema")
    @classmethod
    def _plain(cls, value: str) -> str:
        return check_identifier(value)

    @field_validator("tables")
    @classmethod
    def _plain_tables(cls, value: dict[str, str]) -> dict[str, str]:
        for name, table in value.items():
            event_type(name)
            check_identifier(table)
        return value

    def model_for(self, entry: EventType) -> pg_tables.TableModel:
        mode: pg_tables.Mode = "log" if entry.event_type in self.history else "state"
        name = self.tables.get(entry.event_type)
        return pg_tables.table_model(entry, mode, schema=self.db_schema, name=name)


class PostgresWriter:
    """One connection; creates tables on first use and writes batches atomically."""

    def __init__(self, spec: PostgresSinkSpec, connector: str) -> None:
        self.spec = spec
        self.connector = connector
        self._models: dict[str, pg_tables.TableModel] = {}
        try:
            self.conn = psycopg.connect(spec.dsn.get_secret_value(), connect_timeout=10)
            with self.conn.transaction():
                self.conn.execute(pg_tables.OFFSETS_DDL)
        except psycopg.Error as exc:
            raise SinkUnavailable(f"cannot open the PostgreSQL sink: {exc}") from exc

    def stored_offsets(self, assigned: Sequence[TopicPartition]) -> dict[TopicPartition, int]:
        """Stored offsets of ``assigned`` partitions.

        Called from kafka-python's network thread (its rebalance listener): a short
        connection of its own keeps it apart from the batch connection.
        """
        try:
            with psycopg.connect(self.spec.dsn.get_secret_value(), connect_timeout=10) as conn:
                rows = conn.execute(pg_tables.OFFSETS_SELECT, (self.connector,)).fetchall()
        except psycopg.Error as exc:
            raise SinkUnavailable(f"cannot read stored offsets: {exc}") from exc
        stored = {TopicPartition(t, p): int(o) for t, p, o in rows}
        return {tp: stored[tp] for tp in assigned if tp in stored}

    def model(self, entry: EventType) -> pg_tables.TableModel:
        model = self._models.get(entry.event_type)
        if model is None:
            model = self.spec.model_for(entry)
            with self.conn.transaction():
                for statement in pg_tables.create_sql(model):
                    self.conn.execute(statement)
                self.conn.execute(pg_tables.stage_sql(model))
            self._models[entry.event_type] = model
        return model

    def write(self, batch: Batch, on_refused: Callable[[list[DeadRecord]], None]) -> int:
        """Write ``batch`` and its offsets in one transaction; return how many were refused.

        Refused rows are handed to ``on_refused`` *before* the commit, so their dead
        letters are safe before the offsets move past them.
        """
        try:
            groups = self._groups(batch.events)
            try:
                with self.conn.transaction():
                    for model, records in groups:
                        self._copy_merge(model, records)
                    self._offsets(batch)
            except (psycopg.DataError, psycopg.IntegrityError) as exc:
                log.warning("sink %s: batch refused (%s); retrying row by row", self.connector, exc)
                with self.conn.transaction():
                    refused = self._row_by_row(batch.events)
                    on_refused(refused)
                    self._offsets(batch)
                return len(refused)
        except psycopg.Error as exc:
            raise SinkUnavailable(f"PostgreSQL did not take the batch: {exc}") from exc
        return 0

    def _groups(
        self, events: Sequence[InEvent]
    ) -> list[tuple[pg_tables.TableModel, list[dict[str, object]]]]:
        grouped: dict[str, tuple[pg_tables.TableModel, list[dict[str, object]]]] = {}
        for event in events:
            slot = grouped.get(event.entry.event_type)
            if slot is None:
                slot = grouped[event.entry.event_type] = (self.model(event.entry), [])
            slot[1].append(event.record)
        return list(grouped.values())

    def _copy_merge(self, model: pg_tables.TableModel, records: list[dict[str, object]]) -> None:
        with self.conn.cursor() as cursor:
            with cursor.copy(pg_tables.copy_sql(model)) as copy:
                for record in pg_tables.latest_per_key(model, records):
                    copy.write_row(pg_tables.row_values(model, record))
            cursor.execute(pg_tables.merge_sql(model))

    def _row_by_row(self, events: Sequence[InEvent]) -> list[DeadRecord]:
        refused: list[DeadRecord] = []
        for event in events:
            model = self.model(event.entry)
            try:
                with self.conn.transaction():  # a savepoint inside the outer transaction
                    self.conn.execute(
                        pg_tables.insert_sql(model),
                        pg_tables.row_values(model, event.record),
                    )
            except (psycopg.DataError, psycopg.IntegrityError) as exc:
                refused.append(self._refused(event, str(exc)))
        return refused

    def _refused(self, event: InEvent, why: str) -> DeadRecord:
        return event.letter(
            SINK_REJECTED,
            f"PostgreSQL refused the row: {why}",
            f"connect.postgres-sink.{self.connector}",
        )

    def _offsets(self, batch: Batch) -> None:
        with self.conn.cursor() as cursor:
            cursor.executemany(
                pg_tables.OFFSETS_UPSERT,
                [
                    (self.connector, tp.topic, tp.partition, o)
                    for tp, o in batch.next_offsets.items()
                ],
            )

    def close(self) -> None:
        self.conn.close()


class PostgresSink(Connector[PostgresSinkSpec]):
    """Writes events into PostgreSQL tables made from the contracts (see the module docstring)."""

    KIND = "postgres-sink"

    def run(self) -> None:
        spec = self.spec
        ctx = self.context
        metrics = ctx.metrics
        registry = RegistryClient(ctx.registry_url)
        writer = PostgresWriter(spec, ctx.name)
        letters = DeadLetterWriter(
            ctx.kafka, spec.deadletter_topic or ctx.layout.deadletter, ctx.layout
        )
        stream: EventStream | None = None
        try:
            stream = EventStream.of(self, spec.topics, registry, writer.stored_offsets)
            while not ctx.stop.is_set():
                batch = stream.poll(spec.batch_size, spec.poll_timeout_ms)
                if not batch.next_offsets:
                    continue
                began = time.perf_counter()
                # Undecodable records first: they must be safe in Kafka before the
                # offsets that pass them are committed with the batch.
                for letter in batch.letters:
                    letters.send(letter)
                letters.flush()
                refused = writer.write(batch, letters.send_all)
                stream.commit(batch.next_offsets)
                metrics.count("written", len(batch.events) - refused)
                metrics.count("deadlettered", len(batch.letters) + refused)
                metrics.batches.inc()
                metrics.batch_seconds.observe(time.perf_counter() - began)
        finally:
            if stream is not None:
                stream.close()
            letters.close()
            writer.close()
            registry.close()
