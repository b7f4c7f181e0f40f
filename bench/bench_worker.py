"""Events/s through the worker's validate → route, beside raw aiokafka on the same topic.

Starts its own Kafka broker (LocalBroker in a temporary folder, free ports) and schema
registry, publishes N realistic dossier events to one ingress topic, then measures:

1. raw aiokafka: one consumer reading the ingress topic to its end (no decoding);
2. the worker (one process, in this process): from start until all N events are in the
   subscriber topic (decode, rules, entity table, canonical topic, route on headers).

    .venv/bin/python bench/bench_worker.py [N]
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from pathlib import Path

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition

sys.path.append(str(Path(__file__).resolve().parents[1]))  # bench._common; after the install

from bench._common import fresh_axis, interpreter, raw_consume_rate, run_on_local_axis
from lienthong.connectors.kafka import KafkaSettings, aiokafka_producer
from lienthong.consumers.worker import WorkerSettings, create_worker
from lienthong.demo.simulation import DOSSIER_AGENCY, dossier_events
from lienthong.producers import EventEncoder
from lienthong.schemas.registry_client import RegistryClient

PARTITIONS = 3


async def _publish(
    kafka: KafkaSettings, records: list[tuple[str, bytes, bytes, list[tuple[str, bytes]]]]
) -> None:
    producer = AIOKafkaProducer(**aiokafka_producer(kafka))
    await producer.start()
    try:
        futures = [await producer.send(t, v, key=k, headers=hs) for t, k, v, hs in records]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _worker(
    kafka: KafkaSettings, settings: WorkerSettings, topic: str, n: int
) -> tuple[float, float]:
    worker = create_worker(settings, kafka)
    probe = AIOKafkaConsumer(**kafka.as_aiokafka())
    await probe.start()
    parts = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    began = time.perf_counter()
    await worker.app.start()
    started = time.perf_counter()
    try:
        while sum((await probe.end_offsets(parts)).values()) < n:
            await asyncio.sleep(0.05)
        done = time.perf_counter()
    finally:
        await worker.app.stop()
        await probe.stop()
    return n / (done - began), n / (done - started)


def main() -> None:
    run_on_local_axis(run)


def run(kafka: KafkaSettings, registry_url: str, home: Path, wanted: int) -> None:
    layout = fresh_axis(kafka, DOSSIER_AGENCY, PARTITIONS)
    encoder = EventEncoder(RegistryClient(registry_url))
    topic = layout.ingress(DOSSIER_AGENCY, "dossier.lifecycle")
    events = [
        e
        for e in dossier_events(random.Random(1), wanted // 3)
        if e.EVENT_TYPE == "dossier.lifecycle"
    ]
    events = events[:wanted]
    records = []
    for event in events:
        record = encoder.encode(event)
        records.append((topic, record.key, record.value, list(record.headers)))
    asyncio.run(_publish(kafka, records))
    n = len(records)
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
    raw = asyncio.run(raw_consume_rate(kafka, [topic], PARTITIONS, n))
    with_start, running = asyncio.run(_worker(kafka, settings, layout.subscriber("ioc"), n))
    print(f"interpreter: {interpreter()}")
    size = sum(len(r[2]) for r in records) // n
    print(f"events: {n} dossier.lifecycle records (~{size} bytes), {PARTITIONS} partitions")
    print(f"raw aiokafka consume (no decode):          {raw:10.0f} events/s")
    print(f"worker validate -> route, one process:     {running:10.0f} events/s (after start)")
    print(f"  including app start and group join:      {with_start:10.0f} events/s")


if __name__ == "__main__":
    main()
