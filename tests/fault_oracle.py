"""The fault oracle (issue 14): faults while publishing through the SDK, then every answer checked.

:func:`run` carries out one :class:`Plan`: its own broker (or local 3-node cluster),
schema registry and worker subprocess with the views on; ~10 events each for N
dossiers along legal status sequences (``schemas/rules/transitions.py``), published
through the agency SDK while the worker is SIGKILLed twice and Kafka is taken away once
in between. Then the :class:`Outcome`: every dossier's portal status against the last
status sent, ``/ioc/stats?by=status`` against the oracle's counts (503 or no answer
accepted while waiting, not at the end), every acknowledged event id in the canonical
topic. ``bench/fault_suite.py`` repeats it at full size; ``tests/test_fault_suite.py``
runs a short one in CI.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import httpx
from kafka import KafkaConsumer, TopicPartition

from lienthong.broker import LocalBroker, LocalCluster
from lienthong.connectors.kafka import KafkaSettings, ensure_topics
from lienthong.connectors.topics import TopicLayout, axis_topics
from lienthong.producers import Delivery, Publisher, PublisherSettings
from lienthong.registry import RegistryServer, RegistrySettings
from lienthong.schemas import headers as h
from lienthong.schemas.catalogue import catalogue
from lienthong.schemas.models import DossierLifecycle
from lienthong.schemas.reference import communes_2024, procedures
from lienthong.schemas.rules.transitions import TRANSITIONS
from lienthong.settings import LocalBrokerSettings
from tests.conftest import free_port

AGENCY = "000.00.00.H30"  # the provincial People's Committee (reference/agencies.csv)
PARTITIONS = 3
LOOPING = (2, 4, 5, 6)
Transport = Literal[
    "kafka-python", "librdkafka"
]  # statuses a dossier may pass through more than once


@dataclass(frozen=True)
class Plan:
    """What one run does."""

    transport: Transport = "kafka-python"
    store: str = "memory"
    outage_s: float = 10.0
    dossiers: int = 1000
    steps: int = 10  # events per dossier, about
    publish_s: float = 60.0  # publishing is spread over this long; the faults fall within
    delivery_timeout_s: float = 15.0
    settle_s: float = 300.0  # how long the views may take to settle afterwards
    nodes: int = 1
    seed: int = 14

    @property
    def label(self) -> str:
        where = f"{self.nodes} nodes" if self.nodes > 1 else "1 broker"
        return f"{self.transport}/{self.store}/{where}/outage {self.outage_s:g}s"


@dataclass
class Outcome:
    """One run's numbers."""

    plan: Plan
    sent: int = 0
    delivered: int = 0
    spooled: int = 0
    errors: int = 0
    outage_s: float = 0.0
    kills: int = 0
    self_exits: int = 0
    settle_s: float = 0.0
    answers: Counter[str] = field(default_factory=Counter)  # status codes while settling
    wrong_status: int = 0
    not_found: int = 0
    stats_equal: bool = False
    canonical_missing: int = 0
    deadletters: Counter[str] = field(default_factory=Counter)
    acknowledged: set[str] = field(default_factory=set)  # event ids delivered or spooled

    @property
    def ok(self) -> bool:
        return (
            self.errors == 0
            and self.wrong_status == 0
            and self.not_found == 0
            and self.stats_equal
            and self.canonical_missing == 0
            and self.sent == self.delivered + self.spooled
        )

    def line(self) -> str:
        letters = ", ".join(f"{k} {v}" for k, v in sorted(self.deadletters.items())) or "none"
        answers = ", ".join(f"{k}: {v}" for k, v in sorted(self.answers.items()))
        return (
            f"{'PASS' if self.ok else 'FAIL'} {self.plan.label}: {self.sent} events for "
            f"{self.plan.dossiers} dossiers, acknowledged {self.delivered} + spooled "
            f"{self.spooled}, errors {self.errors}; outage {self.outage_s:.1f}s, "
            f"SIGKILLs {self.kills}, worker self-exits {self.self_exits}; settled in "
            f"{self.settle_s:.1f}s (answers meanwhile {answers}); wrong final status "
            f"{self.wrong_status}, 404 {self.not_found}, stats equal {self.stats_equal}, "
            f"acknowledged ids missing from canonical {self.canonical_missing}; "
            f"dead letters: {letters}"
        )


# -- the events and the oracle ---------------------------------------------------------
def legal_path(rng: random.Random, steps: int) -> list[int]:
    """A legal status sequence of about ``steps`` events (first status 1 or 2)."""
    path = [rng.choice((1, 2))]
    while len(path) < steps - 2:
        loops = [s for s in TRANSITIONS[path[-1]] if s in LOOPING]
        if not loops:
            break
        path.append(rng.choice(loops))
    ends = sorted(TRANSITIONS[path[-1]])
    if 9 in ends and rng.random() < 0.7:
        return [*path, 9, 10]
    return [*path, rng.choice(ends)] if ends and rng.random() < 0.8 else path


def dossier_events(plan: Plan) -> list[DossierLifecycle]:
    """Every dossier's events, interleaved at random; each dossier's in its order."""
    rng = random.Random(plan.seed)
    coded = [p for p in procedures() if p.code]
    units = communes_2024()
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=12)
    queues: list[list[DossierLifecycle]] = []
    for n in range(plan.dossiers):
        procedure, unit = rng.choice(coded), rng.choice(units)
        number = f"{unit.code}-FS{plan.seed:03d}-{n:05d}"
        events, previous = [], None
        for step, status in enumerate(legal_path(rng, plan.steps)):
            at = start + timedelta(seconds=n * 20 + step)
            events.append(
                DossierLifecycle(
                    envelope=DossierLifecycle.new_envelope(AGENCY, occurred_at=at),
                    MaHoSo=number,
                    TrangThaiHoSo=status,
                    TrangThaiTruoc=previous,
                    MaTTHC=procedure.code,
                    TenTTHC=procedure.name,
                    ChuHoSo="Nguyễn Thị Bé Ba",
                    LoaiDoiTuong=1,
                    NgayTiepNhan=at if status != 1 else None,
                    NgayTra=at if status == 10 else None,
                    NoiDungBoSung="Bổ sung bản sao giấy khai sinh" if status == 5 else None,
                    DonViXuLy=unit.name,
                    MaDonViHanhChinh=unit.code,
                )
            )
            previous = status
        queues.append(events[::-1])
    interleaved: list[DossierLifecycle] = []
    while queues:
        i = rng.randrange(len(queues))
        interleaved.append(queues[i].pop())
        if not queues[i]:
            queues[i] = queues[-1]
            queues.pop()
    return interleaved


def last_status(events: list[DossierLifecycle]) -> dict[str, int]:
    """The oracle: each dossier's last status sent."""
    return {e.MaHoSo: e.TrangThaiHoSo for e in events}


# -- the parts -------------------------------------------------------------------------
class Kafka:
    """One broker (stopped for an outage) or a 3-node cluster (one node killed)."""

    def __init__(self, home: Path, nodes: int) -> None:
        def node(n: int) -> LocalBrokerSettings:
            return LocalBrokerSettings(
                home=home / f"kafka-{n}", port=free_port(), controller_port=free_port(),
                tls_port=free_port(), heap_mb=384,
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
        time.sleep(max(0.0, seconds - (time.monotonic() - began) - start_s))
        if self.cluster:
            self.cluster.restart(2)
        else:
            assert self.broker is not None
            self.broker.start()
        return time.monotonic() - began


class Worker:
    """``lienthong worker`` as a subprocess, restarted when killed or when it exits."""

    def __init__(self, kafka: Kafka, registry_url: str, plan: Plan, home: Path) -> None:
        self.port = free_port()
        self.home = home
        self.env = os.environ | {
            "LIENTHONG_BOOTSTRAP_SERVERS": kafka.settings.bootstrap_servers,
            "LIENTHONG_REGISTRY_URL": registry_url,
            "LIENTHONG_VIEWS_ENABLED": "true",
            "LIENTHONG_WORKER_REPLICATION": str(kafka.replication),
        }
        self.args = [
            sys.executable, "-c", "from lienthong.cli import main; main()", "worker",
            "--store", plan.store, "--partitions", str(PARTITIONS),
            "--data-dir", str(home / "worker-data"), "--metrics-port", str(self.port),
            "--log-level", "warning",
        ]  # fmt: skip
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.self_exits = 0

    def start(self) -> None:
        with (self.home / f"worker-{self.starts}.log").open("wb") as log:  # the child keeps it
            self.process = subprocess.Popen(self.args, env=self.env, stdout=log, stderr=log)
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
    """Publishes the events through the SDK in chunks, spread over ``plan.publish_s``."""

    def __init__(self, publisher: Publisher, events: list[DossierLifecycle], plan: Plan) -> None:
        self.publisher = publisher
        self.events = events
        self.plan = plan
        self.outcomes: list[Delivery] = []
        self.sent = 0
        self._lock = threading.Lock()
        self.thread = threading.Thread(target=self._run, name="fault-suite-publish", daemon=True)

    def _collect(self, delivery: Delivery) -> None:
        with self._lock:
            self.outcomes.append(delivery)

    def _run(self) -> None:
        chunk = 50
        pause = self.plan.publish_s / max(1, len(self.events) / chunk)
        began = time.monotonic()
        for n, start in enumerate(range(0, len(self.events), chunk)):
            self.publisher.publish_many(self.events[start : start + chunk], self._collect)
            self.sent = start + len(self.events[start : start + chunk])
            time.sleep(max(0.0, began + (n + 1) * pause - time.monotonic()))


# -- checking --------------------------------------------------------------------------
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


def settle(api: httpx.Client, want: Counter[str], plan: Plan, out: Outcome) -> None:
    """Wait until the status counts equal the oracle's; note every answer meanwhile."""
    began = time.monotonic()
    while time.monotonic() - began < plan.settle_s:
        try:
            response = api.get("/ioc/stats", params={"by": "status", "limit": 100})
            out.answers[str(response.status_code)] += 1
            if response.status_code == 200:
                got = {r["key"]: r["dossiers"] for r in response.json()["items"]}
                if got == want:
                    break
        except httpx.HTTPError:
            out.answers["no answer"] += 1
        time.sleep(1.0)
    out.settle_s = time.monotonic() - began


def check(
    api: httpx.Client, events: list[DossierLifecycle], kafka: KafkaSettings, out: Outcome
) -> None:
    last = last_status(events)
    want = Counter(str(s) for s in last.values())
    settle(api, want, out.plan, out)
    response = api.get("/ioc/stats", params={"by": "status", "limit": 100})
    got = {r["key"]: r["dossiers"] for r in response.json()["items"]} if response.is_success else {}
    out.stats_equal = got == want
    for number, status in last.items():
        answer = api.get(f"/portal/dossiers/{number}")
        if answer.status_code == 404:
            out.not_found += 1
        elif answer.status_code != 200 or answer.json()["status"] != status:
            out.wrong_status += 1
    layout = TopicLayout()
    canonical = {
        r[h.EVENT_ID].decode() for r in read_topic(kafka, layout.canonical("dossier.lifecycle"))
    }
    out.canonical_missing = len(out.acknowledged - canonical)
    out.deadletters = Counter(
        r.get(h.DLQ_REASON, b"?").decode() for r in read_topic(kafka, layout.deadletter)
    )


# -- one run ---------------------------------------------------------------------------
@contextmanager
def _axis(home: Path, plan: Plan) -> Iterator[tuple[Kafka, float, str]]:
    kafka = Kafka(home, plan.nodes)
    start_s = kafka.start()
    try:
        ensure_topics(
            kafka.settings,
            axis_topics(
                list(catalogue()), [AGENCY], partitions=PARTITIONS, replication=kafka.replication
            ),
        )
        with RegistryServer(kafka.settings, RegistrySettings(port=0)) as registry:
            yield kafka, start_s, registry.url
    finally:
        kafka.stop()


def run(plan: Plan, home: Path) -> Outcome:
    """One run of the suite in ``home``; its numbers."""
    out = Outcome(plan)
    events = dossier_events(plan)
    with _axis(home, plan) as (kafka, start_s, registry_url):
        worker = Worker(kafka, registry_url, plan, home)
        worker.start()
        settings = PublisherSettings(
            registry_url=registry_url,
            spool_path=home / "spool.sqlite3",
            delivery_timeout_s=plan.delivery_timeout_s,
            retry_interval_s=1.0,
            transport=plan.transport,
            topic_partitions=PARTITIONS,
        )
        try:
            with (
                Publisher(kafka.settings, settings) as publisher,
                httpx.Client(base_url=f"http://127.0.0.1:{worker.port}", timeout=10) as api,
            ):
                stream = Stream(publisher, events, plan)
                stream.thread.start()
                _faults(plan, kafka, worker, stream, start_s, out)
                stream.thread.join()
                publisher.flush()
                publisher.wait_drained(plan.settle_s)
                out.sent = len(events)
                out.delivered = sum(1 for d in stream.outcomes if d.delivered)
                out.spooled = sum(1 for d in stream.outcomes if d.spooled)
                out.errors = sum(1 for d in stream.outcomes if d.error is not None)
                out.acknowledged = {d.event_id for d in stream.outcomes if d.error is None}
                check(api, events, kafka.settings, out)
            out.self_exits = worker.self_exits
        finally:
            worker.stop()
    return out


def _faults(
    plan: Plan, kafka: Kafka, worker: Worker, stream: Stream, start_s: float, out: Outcome
) -> None:
    """SIGKILL, outage, SIGKILL, at set shares of the publishing; supervise meanwhile."""
    began = time.monotonic()

    def until(share: float) -> None:
        while time.monotonic() - began < share * plan.publish_s:
            worker.supervise()
            time.sleep(0.2)

    until(0.2)
    worker.kill()
    out.kills += 1
    until(0.35)
    supervising = threading.Event()

    def keep_supervising() -> None:
        while not supervising.wait(0.5):
            worker.supervise()

    watcher = threading.Thread(target=keep_supervising, daemon=True)
    watcher.start()
    try:
        out.outage_s = kafka.outage(plan.outage_s, start_s)
    finally:
        supervising.set()
        watcher.join()
    until(0.75)
    time.sleep(3.0)  # after the outage, not on its heels
    worker.kill()
    out.kills += 1
    while stream.thread.is_alive():
        worker.supervise()
        time.sleep(0.2)
