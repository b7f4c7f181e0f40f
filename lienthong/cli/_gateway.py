"""``lienthong gateway``: the HTTP ingestion gateway for agency systems."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from lienthong.connectors.kafka import KafkaSettings


def gateway(
    host: Annotated[str | None, typer.Option(help="Interface (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (default 8080).")] = None,
    workers: Annotated[
        int | None, typer.Option(help="Processes sharing the port, one per core (default 1).")
    ] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "info",
) -> None:
    """Serve the ingestion gateway: agency systems POST JSON events over HTTP.

    Open http://127.0.0.1:8080/docs for the API. Give each agency a key first:

      lienthong agencies add 000.00.00.H30

      curl -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json'
      -d @event.json http://127.0.0.1:8080/v1/events

    Settings: LIENTHONG_GATEWAY_* (rate limits, body size, key file), the schema registry
    at LIENTHONG_REGISTRY_URL, Kafka at LIENTHONG_BOOTSTRAP_SERVERS.
    """
    # Imported here: FastAPI and uvicorn are not worth loading for every other command.
    from lienthong.producers import ProducerError  # noqa: PLC0415
    from lienthong.producers.gateway import GatewaySettings, serve  # noqa: PLC0415

    # Options become environment variables: worker processes read their settings there.
    options = {"HOST": host, "PORT": port, "WORKERS": workers}
    for name, value in options.items():
        if value is not None:
            os.environ[f"LIENTHONG_GATEWAY_{name}"] = str(value)
    KafkaSettings()  # a bad LIENTHONG_BOOTSTRAP_SERVERS fails here, before serving
    settings = GatewaySettings()
    typer.echo(f"lienthong gateway on http://{settings.host}:{settings.port} (docs at /docs)")
    try:
        serve(settings, log_level=log_level)
    except ProducerError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
