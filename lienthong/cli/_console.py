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
    link_for: Annotated[
        str | None,
        typer.Option(help="Print a sign-in link (valid 5 minutes) for this operator."),
    ] = None,
) -> None:
    """Serve the console: throughput, lag, dead letters (drill-down, replay), agency health,
    the live IOC panel and the Security panel, on http://127.0.0.1:8090.

    Operators of the agencies file sign in (`lienthong agencies operator add NAME --role
    operator`); replay, key revocation and the Security panel need role operator.
    It reads Kafka (LIENTHONG_BOOTSTRAP_SERVERS) and the views' query API
    (LIENTHONG_CONSOLE_VIEWS_URL, as LIENTHONG_CONSOLE_VIEWS_USERNAME/_PASSWORD, an
    ioc_reader).
    """
    settings = ConsoleSettings()
    if port is not None:
        settings = settings.model_copy(update={"port": port})
    app = create_app(KafkaSettings(), settings)
    typer.echo(f"console on http://{settings.host}:{settings.port}")
    if link_for is not None:
        token = app.state.auth.sessions.login_token(link_for)
        typer.echo(
            f"sign in as {link_for}: http://{settings.host}:{settings.port}/login?token={token}"
        )
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_level="warning",
        http=JsonErrorProtocol,  # the HTTP layer's own refusals in JSON too
    )
