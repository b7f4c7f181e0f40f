"""``lienthong demo``: a round trip of dossier events through a real broker."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import typer
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from rich.console import Console
from rich.table import Table

from lienthong.broker import LocalBroker
from lienthong.connectors.kafka import TopicSpec, client_config, ensure_topics, producer_config
from lienthong.schemas.reference import communes_2024, procedures
from lienthong.settings import KafkaSettings, LocalBrokerSettings

DEMO_TOPIC = "lienthong.demo.dossier"
# The national portal's status codes (reference/dossier_status_codes.md): a dossier is
# registered (1), received (2), processed (4), finished (9) and its result returned (10).
_LIFECYCLE = (1, 2, 4, 9, 10)
console = Console()


def sample_dossier_events(count: int, now: datetime) -> list[dict[str, Any]]:
    """Dossier status events built from the reference procedures and communes."""
    coded = [p for p in procedures() if p.code]
    units = communes_2024()
    events: list[dict[str, Any]] = []
    for n in range(count):
        procedure, unit = coded[n % len(coded)], units[(7 * n) % len(units)]
        dossier_no = f"{unit.code}-{now:%y%m%d}-{n + 1:04d}"
        for step, status in enumerate(_LIFECYCLE[: 2 + n % 4]):
            events.append(
                {
                    "event_id": str(uuid.uuid4()),
                    "event_type": "dossier.status_changed",
                    "occurred_at": (now + timedelta(minutes=step)).isoformat(),
                    "MaHoSo": dossier_no,
                    "MaTTHC": procedure.code,
                    "TenTTHC": procedure.name,
                    "DonViXuLy": unit.name,
                    "TrangThaiHoSo": status,
                }
            )
    return events


def _ensure_broker(settings: KafkaSettings) -> LocalBroker | None:
    """Start the local broker when the settings point at it and it is down."""
    broker = LocalBroker(LocalBrokerSettings())
    if settings.bootstrap_servers != broker.bootstrap or broker.pid() is not None:
        return None
    console.print(f"Starting a local Kafka broker at {broker.bootstrap} ...")
    seconds = broker.start()
    console.print(f"  ready in {seconds:.1f}s")
    return broker


def _read_back(
    settings: KafkaSettings, start: dict[TopicPartition, int], expected: int
) -> list[dict[str, Any]]:
    consumer = KafkaConsumer(**client_config(settings), enable_auto_commit=False)
    try:
        consumer.assign(list(start))
        for partition, offset in start.items():
            consumer.seek(partition, offset)
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + 30
        while len(received) < expected and time.monotonic() < deadline:
            for records in consumer.poll(timeout_ms=500).values():
                received.extend(json.loads(r.value) for r in records)
        return received
    finally:
        consumer.close()


def demo(
    dossiers: Annotated[int, typer.Option(help="How many dossiers to simulate.")] = 6,
    keep_broker: Annotated[
        bool, typer.Option("--keep-broker", help="Leave a broker the demo started running.")
    ] = False,
) -> None:
    """Publish dossier status events to Kafka and read them back, in order per dossier.

    Uses LIENTHONG_BOOTSTRAP_SERVERS; when that is the local broker and it is not
    running, the demo starts it (and stops it afterwards unless --keep-broker).
    """
    settings = KafkaSettings()
    started = _ensure_broker(settings)
    try:
        ensure_topics(settings, [TopicSpec(DEMO_TOPIC, partitions=3)])
        events = sample_dossier_events(dossiers, datetime.now(UTC))
        probe = KafkaConsumer(**client_config(settings))
        partitions = [TopicPartition(DEMO_TOPIC, p) for p in probe.partitions_for_topic(DEMO_TOPIC)]
        start = probe.end_offsets(partitions)
        probe.close()
        producer = KafkaProducer(**producer_config(settings))
        for event in events:
            producer.send(
                DEMO_TOPIC,
                key=event["MaHoSo"].encode(),
                value=json.dumps(event, ensure_ascii=False).encode(),
            )
        producer.flush()
        producer.close()
        console.print(f"Published {len(events)} events for {dossiers} dossiers to {DEMO_TOPIC}")
        received = _read_back(settings, start, len(events))
        _report(events, received)
    finally:
        if started is not None and not keep_broker:
            started.stop()
            console.print("Stopped the local broker the demo started.")


def _report(sent: list[dict[str, Any]], received: list[dict[str, Any]]) -> None:
    table = Table(title=f"Read back from {DEMO_TOPIC}")
    for column in ("MaHoSo", "TTHC", "statuses in order received"):
        table.add_column(column)
    by_dossier: dict[str, list[int]] = {}
    names: dict[str, str] = {}
    for event in received:
        by_dossier.setdefault(event["MaHoSo"], []).append(event["TrangThaiHoSo"])
        names[event["MaHoSo"]] = event["TenTTHC"]
    for dossier, statuses in by_dossier.items():
        table.add_row(dossier, names[dossier], " → ".join(map(str, statuses)))
    console.print(table)
    expected: dict[str, list[int]] = {}
    for event in sent:
        expected.setdefault(event["MaHoSo"], []).append(event["TrangThaiHoSo"])
    if expected != by_dossier:
        console.print("[red]The events did not come back complete and in order.[/]")
        raise typer.Exit(1)
    console.print(f"[green]All {len(received)} events came back, in order per dossier.[/]")
