"""The ``lienthong`` command.

Each command group lives in its own module and is registered here; errors that the
user can act on are printed as one readable message with a non-zero exit, never as a
traceback.
"""

from __future__ import annotations

import typer

from lienthong.cli._agencies import agencies_app
from lienthong.cli._app import app, run
from lienthong.cli._audit import audit_app
from lienthong.cli._broker import broker_app
from lienthong.cli._connect import connect_app
from lienthong.cli._console import console
from lienthong.cli._demo import demo
from lienthong.cli._dlq import dlq_app
from lienthong.cli._gateway import gateway
from lienthong.cli._offsets import offsets_app
from lienthong.cli._provision import explain_command, provision_command
from lienthong.cli._publish import publish
from lienthong.cli._registry import registry
from lienthong.cli._routes import routes_app
from lienthong.cli._schemas import schemas_app
from lienthong.cli._status import status
from lienthong.cli._tail import tail
from lienthong.cli._topics import topics_app
from lienthong.cli._worker import worker

app.add_typer(broker_app, name="broker")
app.command(name="demo")(demo)
app.command(name="publish")(publish)
app.command(name="gateway")(gateway)
agencies_app.command(name="provision")(provision_command)
agencies_app.command(name="explain")(explain_command)
app.add_typer(agencies_app, name="agencies")
app.command(name="registry")(registry)
app.add_typer(schemas_app, name="schemas")
app.command(name="status")(status)
app.command(name="console")(console)
app.add_typer(connect_app, name="connect")
app.command(name="worker")(worker)
app.command(name="tail")(tail)
app.add_typer(dlq_app, name="dlq")
app.add_typer(routes_app, name="routes")
app.add_typer(audit_app, name="audit")
app.add_typer(topics_app, name="topics")
app.add_typer(offsets_app, name="offsets")


def main() -> None:
    """Entry point of the ``lienthong`` console script."""
    run(app)


__all__ = ["app", "main", "typer"]
