"""``lienthong status``: the axis's health on one terminal screen."""

from __future__ import annotations

from dataclasses import dataclass
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

_SERVICES = {
    "gateway": "http://127.0.0.1:8080",
    "worker": "http://127.0.0.1:6066",
    "console": "http://127.0.0.1:8090",
}
_PROBES = {"registry": "/readyz", "gateway": "/readyz", "worker": "/readyz", "console": "/healthz"}
"""Each service's honest readiness page: public, and 503 (not 404 or 0) while it recovers."""


@dataclass(frozen=True)
class Health:
    """What one probe found: ``up``, ``not ready`` (503: recovering) or ``down``."""

    word: str
    detail: str

    @property
    def down(self) -> bool:
        return self.word == "down"

    def render(self) -> str:
        colour = {"up": "green", "not ready": "yellow"}.get(self.word, "red")
        return f"[{colour}]{self.word}[/]"


def probe(url: str, path: str) -> Health:
    """Ask ``url + path``; any answer but 200 or 503 counts as down, with what it said."""
    try:
        response = httpx.get(f"{url.rstrip('/')}{path}", timeout=3.0)
    except httpx.HTTPError as error:
        return Health("down", f"{type(error).__name__} on {path}")
    if response.status_code == 200:
        return Health("up", "")
    if response.status_code == 503:
        wait = response.headers.get("Retry-After")
        return Health("not ready", f"recovering{f', retry in {wait}s' if wait else ''}")
    return Health("down", f"{path} answered {response.status_code}")


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
    console_url: Annotated[str, typer.Option("--console", help="Console base URL.")] = _SERVICES[
        "console"
    ],
) -> None:
    """Show the broker, each service's health, consumer lag and dead-letter depth.

    Each service is asked its readiness page (/readyz; the console's /healthz): "up"
    answers 200, "not ready" answers 503 while it recovers (the worker while it restores
    its tables), "down" does not answer or answers anything else. Kafka comes from
    LIENTHONG_BOOTSTRAP_SERVERS and the registry from LIENTHONG_REGISTRY_URL.

    Exits 1 when Kafka or any service is down (after printing everything it could learn),
    0 when all are up or only recovering.
    """
    settings = KafkaSettings()
    local = LocalBroker()
    services = Table("service", "state", "where", "detail", title="lienthong")
    local_state = local.status()
    if settings.bootstrap_servers == local.bootstrap:
        word = "[green]running[/]" if local_state.running else "[red]not running[/]"
        services.add_row("local broker", word, str(local_state.data_dir), "")
    registry_url = RegistryClientSettings().registry_url
    urls = {"registry": registry_url, "gateway": gateway, "worker": worker, "console": console_url}
    down = []
    for name, url in urls.items():
        health = probe(url, _PROBES[name])
        services.add_row(name, health.render(), url, health.detail)
        if health.down:
            down.append(name)
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
    if down:
        console.print(
            f"[red]Down: {', '.join(down)}.[/] Start it (`lienthong {down[0]}`) or check its log."
        )
        raise typer.Exit(1)
