"""``lienthong status``: the axis's health on one terminal screen."""

from __future__ import annotations

from typing import Annotated

import httpx
import typer
from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from lienthong.broker import LocalBroker
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import topic_layout
from lienthong.monitoring.lag import LagExporter
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.settings import RegistryClientSettings

console = Console()

_SERVICES = {"gateway": "http://127.0.0.1:8080", "worker": "http://127.0.0.1:6066"}


def _service_health(name: str, url: str) -> tuple[str, str]:
    try:
        response = httpx.get(f"{url.rstrip('/')}/healthz", timeout=2.0)
    except httpx.HTTPError:
        return "[red]down[/]", url
    word = "[green]up[/]" if response.status_code == 200 else f"[yellow]{response.status_code}[/]"
    return word, url


def _deadletter_depth(settings: KafkaSettings, topic: str) -> int | None:
    try:
        consumer = KafkaConsumer(**settings.as_kafka_python(), request_timeout_ms=5000)
    except KafkaError:
        return None
    try:
        parts = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in parts]
        if not tps:
            return 0
        ends, starts = consumer.end_offsets(tps), consumer.beginning_offsets(tps)
        return sum(int(ends[tp]) - int(starts[tp]) for tp in tps)
    finally:
        consumer.close()


def status(
    gateway: Annotated[str, typer.Option(help="Gateway base URL.")] = _SERVICES["gateway"],
    worker: Annotated[str, typer.Option(help="Worker / query API base URL.")] = _SERVICES["worker"],
) -> None:
    """Show the broker, each service's health, consumer lag and dead-letter depth.

    Kafka comes from LIENTHONG_BOOTSTRAP_SERVERS and the registry from
    LIENTHONG_REGISTRY_URL. Exits 1 when Kafka does not answer.
    """
    settings = KafkaSettings()
    local = LocalBroker()
    services = Table("service", "state", "where", title="lienthong")
    local_state = local.status()
    if settings.bootstrap_servers == local.bootstrap:
        word = "[green]running[/]" if local_state.running else "[red]not running[/]"
        services.add_row("local broker", word, str(local_state.data_dir))
    registry_url = RegistryClientSettings().registry_url
    for name, url in (("registry", registry_url), ("gateway", gateway), ("worker", worker)):
        services.add_row(name, *_service_health(name, url))
    console.print(services)

    metrics = AxisMetrics.create()
    lags = LagExporter(settings, metrics).collect()
    if metrics.registry.get_sample_value("lienthong_broker_up") != 1:
        console.print(f"[red]Kafka at {settings.bootstrap_servers} does not answer.[/]")
        raise typer.Exit(1)
    lag_table = Table("consumer group", "topic", "lag", title="consumer lag")
    totals: dict[tuple[str, str], int] = {}
    for item in lags:
        totals[(item.group, item.topic)] = totals.get((item.group, item.topic), 0) + item.lag
    for (group, topic), lag in sorted(totals.items()):
        lag_table.add_row(group, topic, f"{lag:,}")
    console.print(lag_table if totals else "No consumer group has committed offsets yet.")
    deadletter = topic_layout(settings).deadletter
    depth = _deadletter_depth(settings, deadletter)
    console.print(f"Dead letters kept in {deadletter}: {depth if depth is not None else '?'}")
