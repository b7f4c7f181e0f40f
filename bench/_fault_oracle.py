"""The fault oracle (issue 14): faults while publishing through the SDK, then every answer checked.

:func:`run` carries out one :class:`Plan`: its own broker (or local 3-node cluster),
schema registry and worker subprocess with the views on; ~10 events each for N
dossiers along legal status sequences (``schemas/rules/transitions.py``), published
through the agency SDK while the worker is SIGKILLed twice and Kafka is taken away once
in between. Then the :class:`Outcome`: every dossier's portal status against the last
status sent, ``/ioc/stats?by=status`` against the oracle's counts (503 or no answer
accepted while waiting, not at the end), every acknowledged event id in the canonical
topic. ``bench/fault_suite.py`` runs it (repeatedly, at full size); ``tests/test_fault_suite.py``
runs that script once, short, in CI.
"""

from __future__ import annotations

import random
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

from bench._common import bench_operator, bench_registry
from bench._fault_parts import PARTITIONS, Kafka, Stream, Worker, read_topic
from lienthong.connectors.kafka import KafkaSettings, ensure_topics
from lienthong.connectors.topics import TopicLayout, axis_topics, topic_layout
from lienthong.producers import Publisher, PublisherSettings
from lienthong.schemas import headers as h
from lienthong.schemas.access import Role
from lienthong.schemas.catalogue import catalogue
from lienthong.schemas.models import DossierLifecycle
from lienthong.schemas.reference import procedures
from lienthong.schemas.rules.transitions import TRANSITIONS
from lienthong.schemas.units import communes_on

AGENCY = "000.00.00.H30"  # the provincial People's Committee (reference/agencies.csv)
LOOPING = (2, 4, 5, 6)  # statuses a dossier may pass through more than once
Transport = Literal["kafka-python", "librdkafka"]


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
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=12)
    units = communes_on(start.date())  # codes valid on the day (the gate refuses retired ones)
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


# -- checking --------------------------------------------------------------------------
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
            # Replication follows the bootstrap list: 3 (min.insync 2) on the cluster.
            axis_topics(
                list(catalogue()),
                [AGENCY],
                layout=topic_layout(kafka.settings, partitions=PARTITIONS),
            ),
        )
        with bench_registry(kafka.settings, home) as registry_url:
            yield kafka, start_s, registry_url
    finally:
        kafka.stop()


def run(plan: Plan, home: Path) -> Outcome:
    """One run of the suite in ``home``; its numbers."""
    out = Outcome(plan)
    events = dossier_events(plan)
    with _axis(home, plan) as (kafka, start_s, registry_url):
        agencies, reader = bench_operator(home, "oracle", Role.IOC_READER)
        worker = Worker(kafka, registry_url, plan.store, home, agencies)
        worker.start()
        settings = PublisherSettings(
            registry_url=registry_url,
            spool_path=home / "spool.sqlite3",
            delivery_timeout_s=plan.delivery_timeout_s,
            retry_interval_s=1.0,
            transport=plan.transport,
        )
        try:
            with (
                Publisher(
                    kafka.settings,
                    settings,
                    layout=topic_layout(kafka.settings, partitions=PARTITIONS),
                ) as publisher,
                httpx.Client(
                    base_url=f"http://127.0.0.1:{worker.port}", timeout=10, auth=reader
                ) as api,
            ):
                stream = Stream(publisher, events, plan.publish_s)
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
