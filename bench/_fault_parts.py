"""The fault suite's parts: Kafka to take away, a supervised worker, a publishing stream."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from kafka import KafkaConsumer, TopicPartition

from bench._common import free_port
from lienthong.broker import LocalBroker, LocalCluster
from lienthong.connectors.kafka import KafkaSettings
from lienthong.producers import Delivery, Publisher
from lienthong.provision import kafka_env
from lienthong.schemas.models import DossierLifecycle
from lienthong.settings import LocalBrokerSettings

PARTITIONS = 3


class Kafka:
    """One broker (stopped for an outage) or a 3-node cluster (one node killed)."""

    def __init__(self, home: Path, nodes: int) -> None:
        def node(n: int) -> LocalBrokerSettings:
            return LocalBrokerSettings(
                home=home / f"kafka-{n}", port=free_port(), controller_port=free_port(),
                tls_port=free_port(), heap_mb=384, start_timeout_s=180,  # a loaded machine
            )  # fmt: skip

        self.cluster = (
            LocalCluster([node(n) for n in range(nodes)], home=home / "cluster")
            if nodes > 1
            else None
        )
        self.broker = None if self.cluster else LocalBroker(node(0))
        self.replication = 3 if self.cluster else 1

    def start(self) -> float:
        return self.cluster.start() if self.cluster else self.broker.start()  # type: ignore[union-attr]

    def stop(self) -> None:
        if self.cluster:
            self.cluster.stop()
        elif self.broker:
            self.broker.stop()

    @property
    def settings(self) -> KafkaSettings:
        if self.cluster:
            return self.cluster.client_settings()
        assert self.broker is not None
        return KafkaSettings(bootstrap_servers=self.broker.bootstrap)

    def outage(self, seconds: float, start_s: float) -> float:
        """Take Kafka away for about ``seconds``, its own stop and restart included
        (``start_s``: how long a start took before); the measured outage."""
        began = time.monotonic()
        if self.cluster:
            self.cluster.kill(2)
        else:
            assert self.broker is not None
            self.broker.stop()
        # A restart takes about half a cold start here (no formatting, warm page cache).
        time.sleep(max(0.0, seconds - (time.monotonic() - began) - start_s / 2))
        if self.cluster:
            self.cluster.restart(2)
        else:
            assert self.broker is not None
            self.broker.start()
        return time.monotonic() - began


class Worker:
    """``lienthong worker`` as a subprocess, restarted when killed or when it exits."""

    def __init__(
        self, kafka: Kafka, registry_url: str, store: str, home: Path, agencies: Path
    ) -> None:
        self.port = free_port()
        self.home = home
        self.env = os.environ | {
            # Its query API admits the identities of this file (the oracle's IOC reader).
            "LIENTHONG_AGENCIES_FILE": str(agencies),
            **kafka_env(kafka.settings),
            "LIENTHONG_REGISTRY_URL": registry_url,
            "LIENTHONG_VIEWS_ENABLED": "true",
        }
        self.args = [
            sys.executable, "-P", "-c", "from lienthong.cli import main; main()", "worker",
            "--store", store, "--partitions", str(PARTITIONS),
            "--data-dir", str(home / "worker-data"), "--metrics-port", str(self.port),
            "--log-level", "warning",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.self_exits = 0

    def start(self) -> None:
        with (self.home / f"worker-{self.starts}.log").open("wb") as log:  # the child keeps it
            self.process = subprocess.Popen(
                self.args, env=self.env, stdout=log, stderr=log, cwd=self.home
            )
        self.starts += 1

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.start()

    def supervise(self) -> None:
        """Start it again if it exited by itself (what systemd or Kubernetes would do)."""
        if self.process is not None and self.process.poll() is not None:
            self.self_exits += 1
            self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Stream:
    """Publishes the events through the SDK in chunks, spread over ``seconds``."""

    def __init__(
        self, publisher: Publisher, events: list[DossierLifecycle], seconds: float
    ) -> None:
        self.publisher = publisher
        self.events = events
        self.seconds = seconds
        self.outcomes: list[Delivery] = []
        self.sent = 0
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="fault-suite-publish", daemon=True)

    def _collect(self, delivery: Delivery) -> None:
        with self._lock:
            self.outcomes.append(delivery)

    def _run(self) -> None:
        chunk = 50
        pause = self.seconds / max(1, len(self.events) / chunk)
        began = time.monotonic()
        for n, start in enumerate(range(0, len(self.events), chunk)):
            self.publisher.publish_many(self.events[start : start + chunk], self._collect)
            self.sent = start + len(self.events[start : start + chunk])
            time.sleep(max(0.0, began + (n + 1) * pause - time.monotonic()))


def read_topic(kafka: KafkaSettings, topic: str) -> list[dict[str, bytes]]:
    """Every record's headers of ``topic``, from the start to its current end."""
    consumer = KafkaConsumer(**kafka.as_kafka_python(), enable_auto_commit=False)
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        consumer.seek_to_beginning(*parts)
        ends = consumer.end_offsets(parts)
        found: list[dict[str, bytes]] = []
        deadline = time.monotonic() + 120
        while any(consumer.position(p) < ends[p] for p in parts):
            if time.monotonic() > deadline:
                raise RuntimeError(f"could not read {topic} to its end")
            for batch in consumer.poll(timeout_ms=500).values():
                found.extend(dict(m.headers) for m in batch)
        return found
    finally:
        consumer.close()
