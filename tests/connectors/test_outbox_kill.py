"""Done-when: 10,000 outbox rows, the connector SIGKILLed and restarted twice while they
are inserted → exactly 10,000 distinct events on the topic, in order per aggregate.

The connector runs as ``lienthong connect run cfg.yaml`` in a subprocess, so the kill is
a real ``kill -9``. Two inserters write concurrently (their transactions commit out of
sequence order, which the gap guard must wait for), each owning its aggregates.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

import psycopg
import yaml

from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.positions import read_position
from lienthong.connectors.topics import ingress_topic
from lienthong.demo.simulation import dossier_payload
from lienthong.local_postgres import LocalPostgres
from tests.connectors.events import kafka_section
from tests.connectors.support import Read, new_agency, pg_url, read_topic

TOTAL = 10_000
AGGREGATES = 40
CLI = "from lienthong.cli import main; main()"


def _start(config: Path, log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-P", "-c", CLI, "connect", "run", str(config)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )


def _insert(
    dsn: str, table: str, aggregates: list[str], count: int, ids: list[tuple[str, str, int]]
) -> None:
    rng = random.Random(hash(aggregates[0]))
    steps: dict[str, int] = defaultdict(int)
    with psycopg.connect(dsn) as conn:
        done = 0
        while done < count:
            size = min(rng.randint(1, 60), count - done)
            with conn.transaction():
                for _ in range(size):
                    number = rng.choice(aggregates)
                    steps[number] += 1
                    event_id = str(uuid.uuid4())
                    payload = dossier_payload(number, steps[number])
                    conn.execute(
                        f"INSERT INTO {table} (id, aggregatetype, aggregateid, type, payload) "
                        "VALUES (%s, 'dossier', %s, 'dossier.lifecycle', %s)",
                        (event_id, number, json.dumps(payload)),
                    )
                    ids.append((event_id, number, steps[number]))
            done += size
            time.sleep(rng.random() * 0.08)  # ~7 s of inserting: the kills land mid-stream


def _started(log: Path, count: int) -> int:
    """The position the ``count``-th run started from, once it logged it.

    Only then is the killed run's open transaction aborted (``init_transactions``),
    so reading the position does not wait for it to time out.
    """
    deadline = time.monotonic() + 60
    while True:
        lines = [line for line in log.read_text().splitlines() if "starts after position" in line]
        if len(lines) >= count:
            return int(lines[count - 1].rsplit(" ", 1)[1])
        assert time.monotonic() < deadline, log.read_text()[-3000:]
        time.sleep(0.05)


def _wait_for_progress(kafka: KafkaSettings, name: str, *, beyond: int) -> None:
    """Until this process committed a batch of its own (its position moved)."""
    deadline = time.monotonic() + 60
    while (read_position(kafka, name) or 0) <= beyond:
        assert time.monotonic() < deadline, "the connector made no progress"
        time.sleep(0.1)


def test_outbox_survives_two_sigkills(
    tmp_path: Path,
    postgres: LocalPostgres,
    pg_dsn: str,
    kafka_settings: KafkaSettings,
    schema_registry_url: str,
) -> None:
    agency = new_agency()
    table = f"outbox_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} (seq bigserial PRIMARY KEY, id uuid NOT NULL, "
            "aggregatetype text NOT NULL, aggregateid text NOT NULL, type text NOT NULL, "
            "payload jsonb NOT NULL)"
        )
    name = f"outbox-{table.replace('_', '-')}"
    config = tmp_path / "cfg.yaml"
    config.write_text(
        yaml.safe_dump(
            {
                "kafka": kafka_section(kafka_settings),
                "registry_url": schema_registry_url,
                "connectors": [
                    {
                        "name": name,
                        "kind": "outbox",
                        "dsn": pg_url(postgres, pg_dsn),
                        "agency": agency,
                        "table": table,
                        "batch_size": 300,
                        "poll_interval_s": 0.05,
                        "gap_wait_s": 2.0,
                    }
                ],
            }
        )
    )
    log = tmp_path / "connect.log"
    inserted: list[tuple[str, str, int]] = []
    numbers = [f"H30-250304-{i:04d}" for i in range(AGGREGATES)]
    inserters = [
        threading.Thread(target=_insert, args=(pg_dsn, table, numbers[i::2], TOTAL // 2, inserted))
        for i in range(2)
    ]
    process = _start(config, log)
    for thread in inserters:
        thread.start()
    try:
        for run in range(2):  # kill while rows are still being inserted, twice
            began_at = _started(log, run + 1)
            _wait_for_progress(kafka_settings, name, beyond=began_at)
            time.sleep(random.uniform(0.05, 0.4))  # somewhere inside a later batch
            process.send_signal(signal.SIGKILL)
            process.wait(10)
            process = _start(config, log)
        for thread in inserters:
            thread.join(120)
        assert len(inserted) == TOTAL
        topic = ingress_topic(agency, "dossier.lifecycle")
        records = read_topic(kafka_settings, topic, expected=TOTAL, timeout_s=120)
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(30)
    assert code == 0, log.read_text()[-3000:]

    # Read-committed readers see every row once: no loss, no repeat.
    records = read_topic(kafka_settings, topic)
    ids = [r.header("lt.event_id") for r in records]
    assert len(ids) == TOTAL
    assert set(ids) == {event_id for event_id, _, _ in inserted}
    # In order per aggregate: each dossier's steps arrive as they were inserted.
    step_of = {event_id: step for event_id, _, step in inserted}
    by_aggregate: dict[bytes | None, list[int]] = defaultdict(list)
    for record in sorted(records, key=lambda r: (r.partition, r.offset)):
        by_aggregate[record.key].append(step_of[record.header("lt.event_id")])
    assert len(by_aggregate) == AGGREGATES
    for steps in by_aggregate.values():
        assert steps == list(range(1, len(steps) + 1))
    # A read-uncommitted reader may see aborted attempts; deduplicated by event_id the
    # stream is the same.
    raw = read_topic(kafka_settings, topic, committed=False)
    first_seen: dict[str, Read] = {}
    for record in sorted(raw, key=lambda r: (r.partition, r.offset)):
        first_seen.setdefault(record.header("lt.event_id"), record)
    assert len(first_seen) == TOTAL
    deduplicated: dict[bytes | None, list[int]] = defaultdict(list)
    for event_id, record in first_seen.items():
        deduplicated[record.key].append(step_of[event_id])
    assert all(steps == sorted(steps) for steps in deduplicated.values())
    restarts = log.read_text().count("starts after position")
    assert restarts == 3, log.read_text()[-3000:]
