"""``lienthong registry``: serve the Confluent-compatible schema registry."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from lienthong.connectors.kafka import KafkaSettings
from lienthong.registry import RegistryError, RegistryServer, RegistrySettings

console = Console(stderr=True)


def registry(
    host: Annotated[
        str | None, typer.Option(help="Interface to listen on [env LIENTHONG_REGISTRY_HOST].")
    ] = None,
    port: Annotated[
        int | None, typer.Option(help="Port to listen on [env LIENTHONG_REGISTRY_PORT].")
    ] = None,
    topic: Annotated[
        str | None,
        typer.Option(help="Kafka topic holding the registry [env LIENTHONG_REGISTRY_TOPIC]."),
    ] = None,
    log_level: Annotated[
        str, typer.Option(help="uvicorn log level: debug, info, warning, error.")
    ] = "info",
) -> None:
    """Serve the Confluent Schema Registry API (v1, Avro) on http://127.0.0.1:8081.

    Any Confluent client or tool works against it unchanged: point its
    schema.registry.url here. Subjects, versions, global ids, compatibility config and
    mode live in the compacted Kafka topic _lienthong_schemas (created on first run),
    so a restarted registry serves the same ids, and several instances on the same
    topic (on other ports or hosts) agree without a leader.

    Kafka is reached through LIENTHONG_BOOTSTRAP_SERVERS (default 127.0.0.1:9092; start
    one with: lienthong broker start).

    Try it:

      curl -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json'
      --data '{"schema": "{\\"type\\": \\"string\\"}"}'
      http://127.0.0.1:8081/subjects/demo-value/versions

      curl http://127.0.0.1:8081/subjects/demo-value/versions/latest

      curl -X PUT --data '{"compatibility": "FULL"}' http://127.0.0.1:8081/config

    Compatibility (BACKWARD by default, LIENTHONG_REGISTRY_COMPATIBILITY) follows Avro's
    schema-resolution rules; /healthz and /readyz answer for orchestrators.
    """
    overrides = {
        name: value
        for name, value in (("host", host), ("port", port), ("topic", topic))
        if value is not None
    }
    settings = RegistrySettings(**overrides)  # type: ignore[arg-type]
    kafka = KafkaSettings()
    console.print(
        f"Schema registry on http://{settings.host}:{settings.port} "
        f"(Kafka {kafka.bootstrap_servers}, topic {settings.topic}); Ctrl-C stops it."
    )
    try:
        RegistryServer(kafka, settings, log_level=log_level).serve()
    except RegistryError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        console.print(
            "Is Kafka running? Start the local one with `lienthong broker start`, or point "
            "LIENTHONG_BOOTSTRAP_SERVERS at a cluster.",
            highlight=False,
        )
        raise typer.Exit(1) from exc
