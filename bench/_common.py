"""Shared helpers of the benchmark scripts: timing, the interpreter line, a local broker."""

from __future__ import annotations

import contextlib
import os
import platform
import secrets
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

from lienthong.broker import LocalBroker
from lienthong.connectors.kafka import KafkaSettings, ensure_topics
from lienthong.connectors.topics import TopicLayout, axis_topics
from lienthong.registry import RegistryServer, RegistrySettings
from lienthong.schemas.access import (
    AccessFile,
    AccessWatcher,
    Role,
    load_access,
    save_access,
    set_operator,
)
from lienthong.schemas.catalogue import catalogue
from lienthong.settings import LocalBrokerSettings


def interpreter() -> str:
    """Which Python ran (Debian's /usr/bin/python3.11 runs our code 1.4–1.8x faster)."""
    real = os.path.realpath(sys.executable)
    return f"{sys.executable} -> {real} (Python {platform.python_version()})"


def rates(works: dict[str, Callable[[], object]], n: int, repeat: int = 5) -> dict[str, float]:
    """Best-of-``repeat`` calls per second of each work, measured interleaved.

    Interleaving rounds keeps a slow moment of the machine from favouring one side.
    """
    for work in works.values():  # warm caches and lazily compiled paths
        for _ in range(min(n, 1000)):
            work()
    best = dict.fromkeys(works, float("inf"))
    for _ in range(repeat):
        for name, work in works.items():
            began = time.perf_counter()
            for _ in range(n):
                work()
            best[name] = min(best[name], time.perf_counter() - began)
    return {name: n / seconds for name, seconds in best.items()}


def rate(work: Callable[[], object], n: int, repeat: int = 5) -> float:
    """Best-of-``repeat`` calls per second of ``work`` run ``n`` times in a row."""
    return rates({"work": work}, n, repeat)["work"]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextlib.contextmanager
def local_kafka(home: Path) -> Iterator[KafkaSettings]:
    """A throwaway broker on free ports under ``home``, stopped even when the run fails."""
    broker = LocalBroker(
        LocalBrokerSettings(home=home / "kafka", port=free_port(), controller_port=free_port())
    )
    broker.start()
    try:
        yield KafkaSettings(bootstrap_servers=broker.bootstrap)
    finally:
        broker.stop()


def bench_operator(home: Path, name: str, role: Role) -> tuple[Path, tuple[str, str]]:
    """Operator ``name`` with ``role`` in the benchmark's agencies file (made if missing):
    (the file, for ``LIENTHONG_AGENCIES_FILE``, and the Basic credentials)."""
    path = home / "bench-agencies.yaml"
    access = load_access(path) if path.exists() else AccessFile()
    password = secrets.token_urlsafe(12)
    access, _ = set_operator(access, name, [role], password)
    save_access(path, access)
    return path, (name, password)


@contextlib.contextmanager
def bench_registry(
    kafka: KafkaSettings, home: Path, topic: str = "bench._schemas"
) -> Iterator[str]:
    """A schema registry for a benchmark; its URL carries an admin's credentials."""
    path, (_, password) = bench_operator(home, "bench", Role.ADMIN)
    settings = RegistrySettings(port=0, topic=topic)
    with RegistryServer(kafka, settings, access=AccessWatcher(path)) as registry:
        scheme, _, rest = registry.url.partition("://")
        yield f"{scheme}://bench:{password}@{rest}"


AxisRun = Callable[[KafkaSettings, str, Path, int], None]
"""A worker benchmark: (kafka, registry URL, scratch folder, events wanted) → prints."""


def run_on_local_axis(run: AxisRun, default_events: int = 20_000) -> None:
    """Call ``run`` with a throwaway broker and schema registry; ``[N]`` from argv."""
    numbers = [a for a in sys.argv[1:] if a.isdigit()]
    wanted = int(numbers[0]) if numbers else default_events
    with (
        tempfile.TemporaryDirectory() as home,
        local_kafka(Path(home)) as kafka,
        bench_registry(kafka, Path(home)) as registry_url,
    ):
        run(kafka, registry_url, Path(home), wanted)


def fresh_axis(kafka: KafkaSettings, agency: str, partitions: int) -> TopicLayout:
    """A prefix no run used, with every axis topic of ``agency`` and an ``ioc`` subscriber."""
    layout = TopicLayout("bench" + uuid.uuid4().hex[:6], partitions=partitions)
    ensure_topics(
        kafka,
        axis_topics(
            list(catalogue()),
            [agency],
            layout=layout,
            subscribers=["ioc"],
        ),
    )
    return layout


async def raw_consume_rate(
    kafka: KafkaSettings, topics: list[str], partitions: int, n: int
) -> float:
    """Events/s of raw aiokafka reading ``n`` records of ``topics`` from the start."""
    consumer = AIOKafkaConsumer(**kafka.as_aiokafka(), enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(t, p) for t in topics for p in range(partitions)]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        began, seen = time.perf_counter(), 0
        while seen < n:
            for messages in (await consumer.getmany(timeout_ms=500, max_records=5000)).values():
                seen += len(messages)
        return n / (time.perf_counter() - began)
    finally:
        await consumer.stop()
