"""Done-when: after the same topic is replayed twice, the PostgreSQL rows equal the
materialized state (idempotent). Real broker, real registry, real PostgreSQL."""

from __future__ import annotations

from typing import Any

import psycopg
from kafka import KafkaProducer
from psycopg import sql

from lienthong.connectors.kafka import KafkaSettings, kafka_python_producer
from lienthong.local_postgres import LocalPostgres
from lienthong.schemas.models import DossierLifecycle, DossierProgress, EventModel
from tests.connectors.events import dossier_story, new_id, plan_of, publish, run_until
from tests.connectors.support import new_agency, pg_url, read_topic

DOSSIERS = 150


def _expected_state(events: list[EventModel]) -> dict[str, tuple[Any, ...]]:
    latest: dict[str, DossierLifecycle] = {}
    for event in events:
        if isinstance(event, DossierLifecycle):
            held = latest.get(event.MaHoSo)
            if held is None or event.envelope.occurred_at >= held.envelope.occurred_at:
                latest[event.MaHoSo] = event
    return {
        number: (str(e.envelope.event_id), e.TrangThaiHoSo, e.NgayTra, e.TrichYeuHoSo)
        for number, e in latest.items()
    }


def _rows(dsn: str, schema: str) -> dict[str, tuple[Any, ...]]:
    query = sql.SQL(
        'SELECT "MaHoSo", event_id::text, "TrangThaiHoSo", "NgayTra", "TrichYeuHoSo" '
        "FROM {}.dossier_lifecycle"
    ).format(sql.Identifier(schema))
    with psycopg.connect(dsn) as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(query).fetchall()}


def _count(dsn: str, query: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute(query).fetchone()
        assert row is not None
        return int(row[0])


def _offsets_reach(dsn: str, connector: str, total: int) -> bool:
    if not _count(dsn, "SELECT count(to_regclass('lienthong_connect_offsets'))"):
        return False  # the sink has not created it yet
    return (
        _count(
            dsn,
            "SELECT coalesce(sum(next_offset), 0) FROM lienthong_connect_offsets "
            f"WHERE connector = '{connector}'",
        )
        >= total
    )


def test_replaying_the_topic_twice_leaves_the_state_unchanged(
    postgres: LocalPostgres, pg_dsn: str, kafka_settings: KafkaSettings, schema_registry_url: str
) -> None:
    agency = new_agency()
    topic = f"test.sink.{new_id()}"
    schema = f"sink_{new_id()}"
    name = f"pg-{new_id()}"
    events = dossier_story(agency, DOSSIERS)
    publish(kafka_settings, schema_registry_url, topic, events)
    plan = plan_of(
        kafka_settings,
        schema_registry_url,
        {
            "name": name,
            "kind": "postgres-sink",
            "dsn": pg_url(postgres, pg_dsn),
            "topics": [topic],
            "db_schema": schema,
            "batch_size": 250,
            "poll_timeout_ms": 100,
        },
    )
    total = len(events)
    run_until(plan, lambda: _offsets_reach(pg_dsn, name, total))
    expected = _expected_state(events)
    assert _rows(pg_dsn, schema) == expected
    steps = sum(isinstance(e, DossierProgress) for e in events)
    history = f"SELECT count(*) FROM {schema}.dossier_progress"
    assert _count(pg_dsn, history) == steps

    # Replay 1: forget the stored offsets, read the whole topic again.
    with psycopg.connect(pg_dsn) as conn:
        conn.execute("DELETE FROM lienthong_connect_offsets WHERE connector = %s", (name,))
    run_until(plan, lambda: _offsets_reach(pg_dsn, name, total))
    assert _rows(pg_dsn, schema) == expected
    # Replay 2: the same events published again (a producer's retries), oldest first —
    # their copies arrive after newer states and must not move any row backwards.
    publish(kafka_settings, schema_registry_url, topic, events)
    run_until(plan, lambda: _offsets_reach(pg_dsn, name, 2 * total))
    assert _rows(pg_dsn, schema) == expected
    assert _count(pg_dsn, history) == steps
    assert read_topic(kafka_settings, topic, expected=2 * total) != []


def test_undecodable_records_are_dead_lettered_and_passed(
    postgres: LocalPostgres, pg_dsn: str, kafka_settings: KafkaSettings, schema_registry_url: str
) -> None:
    agency = new_agency()
    topic = f"test.sink.{new_id()}"
    dead = f"test.sink.dlq.{new_id()}"
    schema = f"sink_{new_id()}"
    name = f"pg-{new_id()}"
    events = dossier_story(agency, 3, with_progress=False)
    publish(kafka_settings, schema_registry_url, topic, events[:2])
    producer = KafkaProducer(**kafka_python_producer(kafka_settings))
    producer.send(topic, key=b"H30-250304-0000", value=b"not avro at all")
    producer.flush(10)
    producer.close()
    publish(kafka_settings, schema_registry_url, topic, events[2:])
    plan = plan_of(
        kafka_settings,
        schema_registry_url,
        {
            "name": name,
            "kind": "postgres-sink",
            "dsn": pg_url(postgres, pg_dsn),
            "topics": [topic],
            "db_schema": schema,
            "deadletter_topic": dead,
            "poll_timeout_ms": 100,
        },
    )
    run_until(plan, lambda: _offsets_reach(pg_dsn, name, len(events) + 1))
    letters = read_topic(kafka_settings, dead, expected=1)
    assert [r.header("lt.dlq.reason") for r in letters] == ["bad_magic_byte"]
    assert letters[0].header("lt.dlq.source_topic") == topic
    assert len(_rows(pg_dsn, schema)) == 3
