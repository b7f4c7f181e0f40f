"""Fixtures of the consumer tests: a per-test axis (own prefix), the worker, Kafka I/O."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer, TopicPartition

from lienthong.connectors.kafka import KafkaSettings, admin, aiokafka_producer, ensure_topics
from lienthong.connectors.topics import TopicLayout, axis_topics
from lienthong.producers import EventEncoder
from lienthong.provision import kafka_env
from lienthong.schemas.catalogue import catalogue
from lienthong.schemas.models import EventModel
from lienthong.schemas.registry_client import RegistryClient
from tests.identities import Identities

PARTITIONS = 3


@dataclass(frozen=True)
class Out:
    """A record read back from a topic."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: dict[str, bytes]


@dataclass(frozen=True)
class Raw:
    """A record to publish as is (valid or deliberately broken)."""

    topic: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...] = ()
    partition: int | None = None
    timestamp_ms: int | None = None  # the record's time (None: the producer's clock)


@dataclass
class Axis:
    """One test's own axis on the session broker: prefix, registry, encoder."""

    kafka: KafkaSettings
    layout: TopicLayout
    registry_url: str
    registry: RegistryClient
    encoder: EventEncoder
    app_id: str

    def record(self, event: EventModel) -> Raw:
        """The ingress record the agency SDK would write, on this axis's topic."""
        rec = self.encoder.encode(event)
        topic = self.layout.ingress(event.envelope.source_agency, event.envelope.event_type)
        return Raw(topic, rec.key, rec.value, tuple(rec.headers))

    def create_topics(self, agencies: Sequence[str], subscribers: Sequence[str] = ()) -> None:
        ensure_topics(
            self.kafka,
            axis_topics(
                list(catalogue()),
                agencies,
                layout=self.layout,
                subscribers=subscribers,
            ),
        )


@pytest.fixture
def axis(
    kafka_settings: KafkaSettings, schema_registry_url: str, unique_topic: Callable[[str], str]
) -> Iterator[Axis]:
    prefix = unique_topic("axis")
    registry = RegistryClient(schema_registry_url)
    try:
        yield Axis(
            kafka=kafka_settings,
            layout=TopicLayout(prefix, partitions=PARTITIONS),
            registry_url=schema_registry_url,
            registry=registry,
            encoder=EventEncoder(registry),
            app_id=f"{prefix}.worker",
        )
    finally:
        registry.close()


async def _publish(kafka: KafkaSettings, records: Sequence[Raw], pause_s: float = 0.0) -> list[int]:
    producer = AIOKafkaProducer(**aiokafka_producer(kafka, linger_ms=2))
    await producer.start()
    stamps: list[int] = []
    try:
        futures = []
        for rec in records:
            futures.append(
                await producer.send(
                    rec.topic,
                    rec.value,
                    key=rec.key,
                    headers=list(rec.headers),
                    partition=rec.partition,
                    timestamp_ms=rec.timestamp_ms,
                )
            )
            stamps.append(time.time_ns() // 1_000_000)
            if pause_s:
                await asyncio.sleep(pause_s)
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return stamps


def publish(kafka: KafkaSettings, records: Sequence[Raw], pause_s: float = 0.0) -> list[int]:
    """Publish in order (idempotent producer); returns each record's send time in ms."""
    return asyncio.run(_publish(kafka, records, pause_s))


def partition_counts(kafka: KafkaSettings, topics: Sequence[str]) -> dict[str, int]:
    """How many partitions each topic has (aiokafka's consumer does not say before use)."""
    client = admin(kafka)
    deadline = time.monotonic() + 10
    try:
        while True:
            # Right after creation a broker may describe a topic before its partitions.
            counts = {t["name"]: len(t["partitions"]) for t in client.describe_topics(list(topics))}
            if all(counts.values()) or time.monotonic() > deadline:
                return counts
            time.sleep(0.1)
    finally:
        client.close()


def read_more(
    kafka: KafkaSettings, topics: Sequence[str], found: list[Out], seconds: float
) -> list[Out]:
    """``found`` plus what a fresh read of ``topics`` finds beyond it within ``seconds``.

    Records are told apart by position: a second read visits partitions in another
    order, so slicing it at ``len(found)`` could count one record twice.
    """
    seen = {(o.topic, o.partition, o.offset) for o in found}
    again = read(kafka, topics, timeout_s=seconds)
    return found + [o for o in again if (o.topic, o.partition, o.offset) not in seen]


def read(
    kafka: KafkaSettings,
    topics: Sequence[str],
    *,
    until: Callable[[list[Out]], bool] = lambda _: False,
    timeout_s: float = 30.0,
) -> list[Out]:
    """Every record of ``topics`` from the start, until ``until`` holds or the timeout."""
    consumer = KafkaConsumer(**kafka.as_kafka_python(), enable_auto_commit=False)
    found: list[Out] = []
    try:
        parts = [
            TopicPartition(t, p)
            for t, n in partition_counts(kafka, topics).items()
            for p in range(n)
        ]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and not until(found):
            for tp, messages in consumer.poll(timeout_ms=200).items():
                found.extend(
                    Out(
                        tp.topic,
                        tp.partition,
                        m.offset,
                        m.timestamp,
                        m.key,
                        m.value,
                        dict(m.headers),
                    )
                    for m in messages
                )
    finally:
        consumer.close()
    return found


class WorkerProcess:
    """``lienthong worker`` as a real subprocess, stopped with SIGTERM."""

    def __init__(self, axis: Axis, rules: Path | None, log: Path, *extra: str) -> None:
        # Its query API admits QUERY_READER (tests pass it as Basic credentials).
        identities = Identities(log.parent / "agencies.yaml")
        identities.query_reader()
        env = os.environ | {
            "LIENTHONG_AGENCIES_FILE": str(identities.path),
            **kafka_env(axis.kafka),
            "LIENTHONG_REGISTRY_URL": axis.registry_url,
            "LIENTHONG_WORKER_RULES_POLL_S": "0.2",
            "LIENTHONG_WORKER_DATA_DIR": str(log.parent / f"{log.stem}-data"),
        }
        args = [
            sys.executable, "-P", "-c", "from lienthong.cli import main; main()", "worker",
            "--prefix", axis.layout.prefix, "--app-id", axis.app_id,
            "--store", "memory", "--partitions", str(PARTITIONS), "--log-level", "warning",
            *(["--rules", str(rules)] if rules else []), *extra,
        ]  # fmt: skip
        self.log = log
        self._log_file = log.open("wb")
        self.process = subprocess.Popen(
            args, env=env, stdout=self._log_file, stderr=subprocess.STDOUT
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log_file.close()
        return self.process.returncode

    def output(self) -> str:
        return self.log.read_text(errors="replace")


@pytest.fixture
def start_worker(tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(axis: Axis, rules: Path | None = None, *extra: str) -> WorkerProcess:
        worker = WorkerProcess(axis, rules, tmp_path / f"worker{len(started)}.log", *extra)
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()


def headers_text(out: Out, name: str) -> str | None:
    value = out.headers.get(name)
    return None if value is None else value.decode()
