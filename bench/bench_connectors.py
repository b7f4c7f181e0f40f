"""Connector throughput: outbox rows/s into Kafka, sink rows/s into PostgreSQL, and the
raw batched inserts (executemany with ON CONFLICT, and COPY) beside them, in one run.

Run: .venv/bin/python bench/bench_connectors.py [--rows 20000]

Starts its own Kafka broker, schema registry and PostgreSQL (durability off: fsync=off,
as in the tests) and stops them at the end. Rates are steady-state: from the first
committed batch to the last, so process start and Kafka's transaction set-up (about a
second) are left out and printed apart. The machine (2 cores) runs broker, PostgreSQL
and connector at once, so these are end-to-end figures, not per-core ones.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg
from kafka import KafkaProducer

sys.path.append(str(Path(__file__).resolve().parents[1]))  # bench._common; after the install

from bench._common import bench_registry, free_port, interpreter, local_kafka
from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicSpec,
    ensure_topics,
    kafka_python_producer,
)
from lienthong.connectors.positions import read_position
from lienthong.connectors.runtime import Runner, parse_config
from lienthong.connectors.sinks import pg_tables
from lienthong.connectors.stream import EventStream
from lienthong.connectors.topics import ingress_topic
from lienthong.demo.simulation import dossier_payload
from lienthong.local_postgres import LocalPostgres
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.registry_client import RegistryClient

AGENCY = "000.00.00.H30"
STEPS = 4  # events per dossier


def _run(plan_data: dict[str, Any], progress: Any, total: int) -> tuple[float, float]:
    """Run a plan until ``progress() >= total``; (start-up seconds, steady rows/s)."""
    runner = Runner(parse_config(plan_data))
    began = time.perf_counter()
    runner.start()
    first: tuple[float, int] | None = None
    try:
        while True:
            done = progress()
            now = time.perf_counter()
            if first is None and done > 0:
                first = (now, done)
            if done >= total:
                break
            if runner.failed:
                raise SystemExit(f"connector failed: {runner.failed}")
            time.sleep(0.02)
    finally:
        runner.stop()
        runner.join(30)
    assert first is not None
    return first[0] - began, (total - first[1]) / max(now - first[0], 1e-9)


def _fill_outbox(dsn: str, rows: int) -> None:
    with psycopg.connect(dsn) as conn:
        conn.execute(
            "CREATE TABLE outbox (seq bigserial PRIMARY KEY, id uuid NOT NULL, "
            "aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL, "
            "payload jsonb NOT NULL)"
        )
        dossiers = rows // STEPS
        with conn.cursor().copy(
            "COPY outbox (id, aggregatetype, aggregateid, type, payload) FROM STDIN"
        ) as copy:
            for i in range(rows):
                number = f"H30-250304-{i % dossiers:05d}"
                payload = json.dumps(dossier_payload(number, i // dossiers + 1))
                copy.write_row((uuid.uuid4(), "dossier", number, "dossier.lifecycle", payload))


def _decoded(kafka: KafkaSettings, registry_url: str, topic: str, rows: int) -> list[Any]:
    """The topic's records decoded, as the sink would see them (for the raw baselines)."""
    with RegistryClient(registry_url) as registry:
        stream = EventStream(kafka, f"bench-{uuid.uuid4().hex[:6]}", [topic], registry, stage="b")
        events: list[Any] = []
        while len(events) < rows:
            events.extend(stream.poll(5000).events)
        stream.close()
    return [e.record for e in events]


def _raw_inserts(dsn: str, records: list[Any]) -> tuple[float, float]:
    """(executemany upsert rows/s, COPY rows/s) of the same rows into fresh tables.

    executemany: the sink's own upsert statement, one row per execution (psycopg 3
    pipelines them). COPY: into a one-row-per-event table, no conflict handling — the
    floor of what PostgreSQL can take here.
    """
    entry = event_type("dossier.lifecycle")
    results = []
    for mode in ("executemany", "copy"):
        shape: pg_tables.Mode = "state" if mode == "executemany" else "log"
        model = pg_tables.table_model(entry, shape, schema=f"raw_{mode}")
        copy_sql = f"COPY {model.quoted} ({model.column_list()}) FROM STDIN"
        with psycopg.connect(dsn) as conn:
            for statement in pg_tables.create_sql(model):
                conn.execute(statement)
            conn.commit()
            began = time.perf_counter()
            for start in range(0, len(records), 2000):
                chunk = records[start : start + 2000]
                with conn.transaction(), conn.cursor() as cursor:
                    if mode == "executemany":
                        cursor.executemany(
                            pg_tables.insert_sql(model),
                            [pg_tables.row_values(model, r) for r in chunk],
                        )
                    else:
                        with cursor.copy(copy_sql) as copy:
                            for r in chunk:
                                copy.write_row(pg_tables.row_values(model, r))
            results.append(len(records) / (time.perf_counter() - began))
    return results[0], results[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=20_000)
    rows = parser.parse_args().rows
    home = Path(tempfile.mkdtemp(prefix="bench-connectors-"))
    postgres = LocalPostgres(port=free_port())
    with local_kafka(home) as kafka:
        try:
            postgres.start()
            dsn = postgres.create_database("bench")
            url = f"postgresql://postgres@127.0.0.1:{postgres.port}/bench"
            with bench_registry(kafka, home) as registry_url:
                _fill_outbox(dsn, rows)
                topic = ingress_topic(AGENCY, "dossier.lifecycle")
                ensure_topics(kafka, [TopicSpec(topic, 3)])
                common: dict[str, Any] = {
                    "kafka": {"bootstrap_servers": kafka.bootstrap_servers},
                    "registry_url": registry_url,
                }
                outbox = {"name": "bench-outbox", "kind": "outbox", "dsn": url, "agency": AGENCY}
                outbox_start, outbox_rate = _run(
                    {**common, "connectors": [{**outbox, "batch_size": 1000}]},
                    lambda: read_position(kafka, "bench-outbox") or 0,
                    rows,
                )
                sink = {
                    "name": "bench-sink",
                    "kind": "postgres-sink",
                    "dsn": url,
                    "topics": [topic],
                }

                def sunk() -> int:
                    with psycopg.connect(dsn) as conn:
                        exists = conn.execute("SELECT to_regclass('lienthong_connect_offsets')")
                        if (exists.fetchone() or [None])[0] is None:
                            return 0  # the sink has not started yet
                        total = conn.execute(
                            "SELECT coalesce(sum(next_offset), 0) FROM lienthong_connect_offsets"
                        ).fetchone()
                        return int(total[0]) if total else 0

                sink_start, sink_rate = _run({**common, "connectors": [sink]}, sunk, rows)
                records = _decoded(kafka, registry_url, topic, rows)
                many_rate, copy_rate = _raw_inserts(dsn, records)
                ensure_topics(kafka, [TopicSpec(topic + ".raw", 3)])
                producer = KafkaProducer(**kafka_python_producer(kafka))
                began = time.perf_counter()
                for i in range(rows):
                    producer.send(topic + ".raw", key=str(i % 1000).encode(), value=b"x" * 700)
                producer.flush()
                raw_produce = rows / (time.perf_counter() - began)
                producer.close()
        finally:
            postgres.stop()
    print(f"interpreter: {interpreter()}")
    print(f"rows: {rows} dossier.lifecycle events ({rows // STEPS} dossiers x {STEPS})")
    print(
        f"outbox -> Kafka (PostgreSQL outbox, transactions of 1000): {outbox_rate:,.0f} rows/s"
        f"  (start-up {outbox_start:.2f}s)"
    )
    print(
        f"  beside: raw kafka-python produce of 700-byte records:        {raw_produce:,.0f} rows/s"
    )
    print(
        f"Kafka -> PostgreSQL sink (COPY + upsert, batches of 2000):    {sink_rate:,.0f} rows/s"
        f"  (start-up {sink_start:.2f}s)"
    )
    print(
        f"  beside: raw executemany INSERT ... ON CONFLICT, batches 2000: {many_rate:,.0f} rows/s"
    )
    print(
        f"  beside: raw COPY into a plain table, batches 2000:            {copy_rate:,.0f} rows/s"
    )


if __name__ == "__main__":
    main()
