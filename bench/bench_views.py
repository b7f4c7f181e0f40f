"""Events/s through validate → route → materialize, beside three references, and p99 latency.

Starts its own Kafka broker (LocalBroker in a temporary folder, free ports) and schema
registry, publishes N dossier events (lifecycle and progress, a realistic mix) to their
ingress topics, then measures in one run:

- views: the worker (one process, in this process) with the views on: every event
  validated, written to its canonical topic, routed and applied to the tables (one hop
  per batch, ``consumers.worker.stages.Pipeline``);
- (a) raw aiokafka reading the same ingress topics to their end (no decoding);
- (b) a straightforward faust agent: event by event, decode, validate (pydantic),
  re-encode, ``await topic.send()``, count in a table;
- (c) the floor: decode, validate and the table update (pure update + JSON) in a tight
  loop over the same bytes, no Kafka;
- p99 event-to-queryable latency: fresh events published at 1,000/s into the running
  worker, from send to the table write that makes them visible to the API.

Rates are steady-state: from the 5 %-th event processed to the last, for the views and
for (b) alike. A faust app's start (group join, faust's 2 s wait before subscribing,
table recovery) is a one-off cost of several seconds that would otherwise dominate a
20,000-event run; the rates including it are printed too.

    .venv/bin/python bench/bench_views.py [N] [--memory]
"""

from __future__ import annotations

import asyncio
import os
import random
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import faust
from aiokafka import AIOKafkaProducer

sys.path.append(str(Path(__file__).resolve().parents[1]))  # bench._common; after the install

from bench._common import fresh_axis, interpreter, raw_consume_rate, run_on_local_axis
from lienthong.connectors.kafka import KafkaSettings, aiokafka_producer
from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.state_json import dumps, loads
from lienthong.consumers.views import views_of
from lienthong.consumers.views.entities import APPLIERS
from lienthong.consumers.worker import WorkerSettings, create_worker
from lienthong.demo.simulation import DOSSIER_AGENCY, dossier_events
from lienthong.producers import EventEncoder
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.models import EventModel
from lienthong.schemas.registry_client import RegistryClient

PARTITIONS = 3
Rec = tuple[str, bytes, bytes, list[tuple[str, bytes]]]


async def _publish(kafka: KafkaSettings, records: list[Rec], rate: float = 0.0) -> list[float]:
    """Publish in order; with ``rate``, paced at that many per second. Returns send times."""
    producer = AIOKafkaProducer(**aiokafka_producer(kafka))
    await producer.start()
    sent: list[float] = []
    try:
        futures = []
        began = time.perf_counter()
        for i, (t, k, v, hs) in enumerate(records):
            if rate:
                delay = began + i / rate - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            sent.append(time.time())
            futures.append(await producer.send(t, v, key=k, headers=hs))
        await asyncio.gather(*futures)
    finally:
        await producer.stop()
    return sent


async def _straightforward(
    kafka: KafkaSettings, registry_url: str, topics: list[str], out: str, n: int, home: Path
) -> tuple[float, float]:
    """(b): the agent one writes first, event by event, awaiting each send.

    Returns the steady rate and the rate including the app's start.
    """
    deserializer = AvroDeserializer(RegistryClient(registry_url))
    encoder = EventEncoder(RegistryClient(registry_url))
    app = faust.App(
        f"bench-plain-{uuid.uuid4().hex[:6]}",
        **kafka.as_faust(),
        store="memory://",
        datadir=str(home / "plain"),
        autodiscover=False,
        web_enabled=False,
        topic_partitions=PARTITIONS,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
    )
    raw: faust.Schema[bytes, bytes] = faust.Schema(
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    counts = app.Table("counts", default=int, partitions=PARTITIONS)
    sink = app.topic(out, schema=raw)
    done = asyncio.Event()
    seen = 0
    stamps: list[float] = []

    @app.agent(app.topic(*topics, schema=raw))
    async def plain(stream: Any) -> None:
        nonlocal seen
        async for key, value in stream.items():
            record = deserializer.decode(value).value
            model = event_type(record["envelope"]["event_type"]).model.from_avro(record)
            encoded = encoder.encode(model)
            await sink.send(key=key, value=encoded.value)
            counts[model.envelope.event_type] += 1
            seen += 1
            stamps.append(time.perf_counter())
            if seen >= n:
                done.set()

    began = time.perf_counter()
    await app.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=300)
        return _steady(stamps[:n]), n / (stamps[n - 1] - began)
    finally:
        await app.stop()


def _steady(stamps: list[float]) -> float:
    """Events/s from the 5 %-th event to the last (``stamps``: when each was done)."""
    first = len(stamps) // 20
    return (len(stamps) - 1 - first) / (stamps[-1] - stamps[first])


def _floor(records: list[Rec], registry_url: str) -> float:
    """(c): decode, validate, apply and JSON-encode each record (the views' JSON), table =
    a dict."""
    deserializer = AvroDeserializer(RegistryClient(registry_url))
    table: dict[bytes, bytes] = {}

    def once() -> float:
        table.clear()
        began = time.perf_counter()
        for _, key, value, _ in records:
            record = deserializer.decode(value).value
            kind = record["envelope"]["event_type"]
            event_type(kind).model.from_avro(record)
            _, apply = APPLIERS[kind]
            old = table.get(key)
            new = apply(None if old is None else loads(old), record)
            if new is not None:
                table[key] = dumps(new)
        return len(records) / (time.perf_counter() - began)

    once()  # warm the registry cache and lazily built paths
    return max(once() for _ in range(3))


def _records(encoder: EventEncoder, layout: TopicLayout, events: list[EventModel]) -> list[Rec]:
    out = []
    for event in events:
        record = encoder.encode(event)
        topic = layout.ingress(DOSSIER_AGENCY, event.envelope.event_type)
        out.append((topic, record.key, record.value, list(record.headers)))
    return out


def _fresh(count: int, tag: str) -> list[EventModel]:
    """Dossier events with numbers no earlier run used (the gate checks transitions)."""
    events = list(dossier_events(random.Random(tag), count))
    return [e.model_copy(update={"MaHoSo": f"{e.MaHoSo}{tag}"}) for e in events]  # type: ignore[attr-defined]


async def _views(
    kafka: KafkaSettings, settings: WorkerSettings, records: list[Rec], latency_records: list[Rec]
) -> tuple[float, float, float, list[float]]:
    """Steady rate, rate including the start, the worker's CPU µs per event in the
    steady part, and the latencies (seconds) at 1,000/s."""
    os.environ["LIENTHONG_VIEWS_ENABLED"] = "true"
    worker = create_worker(settings, kafka)
    views = views_of(worker.app)
    assert views is not None
    applied_at: dict[str, float] = {}
    done_at: list[float] = []

    def hook(_event_type: str, event_id: str, at_ms: int) -> None:
        if event_id not in applied_at:
            applied_at[event_id] = at_ms / 1000
            done_at.append(time.perf_counter())

    views.on_applied.append(hook)
    n = len(records)
    began = time.perf_counter()
    await worker.app.start()
    try:
        deadline = time.monotonic() + 300
        cpu: list[tuple[int, float]] = []  # (events applied, this process's CPU seconds)
        while views.applied < n:
            if views.applied >= n // 20:
                cpu.append((views.applied, time.process_time()))
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"views applied {views.applied} of {n} in 300 s (validate passed "
                    f"{worker.validate.passed}, refused {worker.validate.refused}, "
                    f"duplicates {views.duplicates}, undecodable {views.undecodable})"
                )
            await asyncio.sleep(0.02)
        cpu.append((views.applied, time.process_time()))
        steady, with_start = _steady(done_at[:n]), n / (done_at[n - 1] - began)
        (first, cpu_first), (last, cpu_last) = cpu[0], cpu[-1]
        cpu_us = (cpu_last - cpu_first) / max(1, last - first) * 1e6
        await asyncio.sleep(1.0)
        sent = await _publish(kafka, latency_records, rate=1000.0)
        ids = [dict(r[3]).get("lt.event_id", b"").decode() for r in latency_records]
        deadline = time.monotonic() + 30
        while not all(i in applied_at for i in ids) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
    finally:
        await worker.app.stop()
    latencies = sorted(applied_at[i] - s for i, s in zip(ids, sent, strict=True) if i in applied_at)
    return steady, with_start, cpu_us, latencies


def run(kafka: KafkaSettings, registry_url: str, home: Path, wanted: int) -> None:
    layout = fresh_axis(kafka, DOSSIER_AGENCY, PARTITIONS)
    encoder = EventEncoder(RegistryClient(registry_url))
    events = list(dossier_events(random.Random(1), wanted // 5 + 1))[:wanted]
    records = _records(encoder, layout, events)
    latency_records = _records(encoder, layout, _fresh(1000, "L")[:5000])
    asyncio.run(_publish(kafka, records))
    n = len(records)
    topics = sorted({r[0] for r in records})
    rules = home / "routes.yaml"
    rules.write_text("version: 1\nrules:\n  - {name: all, match: {}, to: [ioc]}\n")
    settings = WorkerSettings(
        app_id=f"{layout.prefix}.worker",
        topic_prefix=layout.prefix,
        registry_url=registry_url,
        rules_path=rules,
        store="memory" if "--memory" in sys.argv else "rocksdb",
        data_dir=home / "worker",
        partitions=PARTITIONS,
    )
    running, with_start, cpu_us, latencies = asyncio.run(
        _views(kafka, settings, records, latency_records)
    )
    raw = asyncio.run(raw_consume_rate(kafka, topics, PARTITIONS, n))
    plain, plain_with_start = asyncio.run(
        _straightforward(kafka, registry_url, topics, layout.subscriber("ioc"), n, home)
    )
    floor = _floor(records, registry_url)
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else float("nan")
    p50 = latencies[len(latencies) // 2] if latencies else float("nan")
    print(f"interpreter: {interpreter()}")
    size = sum(len(r[2]) for r in records) // n
    print(
        f"events: {n} dossier lifecycle+progress records (~{size} bytes), {PARTITIONS} partitions,"
    )
    print(f"  store {settings.store}, at most {settings.batch_size} records per batch")
    print(f"(a) raw aiokafka consume (no decode):           {raw:10.0f} events/s")
    print(f"(b) straightforward faust agent:                {plain:10.0f} events/s")
    print(f"  including app start and group join:           {plain_with_start:10.0f} events/s")
    print(f"(c) floor: decode+validate+table, no Kafka:     {floor:10.0f} events/s")
    print(f"views: validate -> route -> materialize:        {running:10.0f} events/s")
    print(f"  including app start and group join:           {with_start:10.0f} events/s")
    print(f"  worker CPU per event (steady part):           {cpu_us:10.0f} µs")
    share = 100 * running / floor
    print(
        f"  vs (b) {running / plain:5.2f}x (target >= 3x); vs (c): {share:5.1f} % (target >= 40 %)"
    )
    print(f"latency at 1000 events/s, {len(latencies)}/{len(latency_records)} applied: "
          f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms (target <= 200 ms)")  # fmt: skip


def main() -> None:
    run_on_local_axis(run)


if __name__ == "__main__":
    main()
