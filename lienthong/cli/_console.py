"""``lienthong console``: the administrators' web page."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn

from lienthong.connectors.kafka import KafkaSettings
from lienthong.console import ConsoleSettings, create_app
from lienthong.web import JsonErrorProtocol


def console(
    port: Annotated[
        int | None, typer.Option(help="Port (default LIENTHONG_CONSOLE_PORT, 8090).")
    ] = None,
) -> None:
    """Serve the console: throughput, lag, dead letters (drill-down, replay), agency health
    and the live IOC panel, on http://127.0.0.1:8090.

    It reads Kafka (LIENTHONG_BOOTSTRAP_SERVERS) and the views' query API
    (LIENTHONG_CONSOLE_VIEWS_URL, default http://127.0.0.1:6066).
    """
    settings = ConsoleSettings()
    if port is not None:
        settings = settings.model_copy(update={"port": port})
    app = create_app(KafkaSettings(), settings)
    typer.echo(f"console on http://{settings.host}:{settings.port}")
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        http=JsonErrorProtocol,  # the HTTP layer's own refusals in JSON too
    )
