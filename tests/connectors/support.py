"""Fixtures of the connector tests: a real PostgreSQL per session, events, Kafka reading.

PostgreSQL is Debian's package (``.ci/run`` installs it when missing), started once per
session in a fresh temporary directory on a free port and stopped at the end even when
tests fail. The fixture never skips: if PostgreSQL cannot start, the tests that need it
fail with the reason.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from kafka import KafkaConsumer, TopicPartition

from lienthong.connectors.kafka import KafkaSettings
from lienthong.local_postgres import LocalPostgres, LocalPostgresError
from tests.conftest import free_port

_started: dict[str, float] = {}


@pytest.fixture(scope="session")
def postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server for the whole session (Debian's binaries, temp dir, free port)."""
    try:
        server = LocalPostgres(port=free_port())
    except LocalPostgresError as exc:
        pytest.fail(f"PostgreSQL is needed by the connector tests: {exc}", pytrace=False)
    try:
        _started["seconds"] = server.start()
    except LocalPostgresError as exc:
        server.stop()
        pytest.fail(f"PostgreSQL did not start: {exc}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def pg_dsn(postgres: LocalPostgres) -> str:
    """Connection string of this test run's own database."""
    return postgres.create_database(f"lienthong_test_{secrets.token_hex(4)}")


def pg_url(postgres: LocalPostgres, dsn: str) -> str:
    """The ``postgresql://`` URL form of a conninfo string of ``postgres``."""
    dbname = dict(part.split("=", 1) for part in dsn.split())["dbname"]
    return f"postgresql://postgres@127.0.0.1:{postgres.port}/{dbname}"


def new_agency() -> str:
    """A valid agency code no other test uses (so ingress topics are the test's own)."""
    return (
        f"{secrets.randbelow(1000):03d}.{secrets.randbelow(100):02d}."
        f"{secrets.randbelow(100):02d}.H30"
    )


@dataclass(frozen=True)
class Read:
    """A record read back from Kafka."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]

    def header(self, name: str) -> str:
        return self.headers[name].decode()


def read_topic(
    kafka: KafkaSettings,
    topic: str,
    *,
    committed: bool = True,
    expected: int | None = None,
    timeout_s: float = 30.0,
) -> list[Read]:
    """Every record of ``topic`` (read to its end; or until ``expected`` arrived)."""
    isolation = "read_committed" if committed else "read_uncommitted"
    consumer = KafkaConsumer(
        **kafka.as_kafka_python(), enable_auto_commit=False, isolation_level=isolation
    )
    try:
        partitions = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        if not partitions:
            return []  # no such topic (yet)
        consumer.assign(partitions)
        consumer.seek_to_beginning()
        records: list[Read] = []
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            for batch in consumer.poll(timeout_ms=200).values():
                records.extend(
                    Read(m.topic, m.partition, m.offset, m.key, m.value, dict(m.headers or []))
                    for m in batch
                )
            if expected is not None:
                if len(records) >= expected:
                    break
            elif all(consumer.position(tp) >= consumer.end_offsets([tp])[tp] for tp in partitions):
                break
        return records
    finally:
        consumer.close()


def event_uuid() -> str:
    return str(uuid.uuid4())


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if "seconds" in _started:
        terminalreporter.write_line(
            f"PostgreSQL cold start (initdb + start): {_started['seconds']:.2f}s"
        )
