"""``lienthong connect``: run connectors (outbox, folder, PostgreSQL, webhook, national portal)."""

from __future__ import annotations

import logging
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from prometheus_client import CollectorRegistry, start_http_server
from rich.console import Console
from rich.table import Table

from lienthong.connectors.errors import ConfigError
from lienthong.connectors.runtime import KINDS, Runner, connector_class, load_config, spec_fields

console = Console()
err_console = Console(stderr=True)

connect_app = typer.Typer(
    help=(
        "Connectors: pull events out of agency databases and folders, push the axis's "
        "events into PostgreSQL, webhooks and the national public-service portal.\n\n"
        "  lienthong connect kinds               what connectors exist\n\n"
        "  lienthong connect spec outbox         every setting of one kind, with defaults\n\n"
        "  lienthong connect check conf.yaml     validate a config file\n\n"
        "  lienthong connect run conf.yaml       run the connectors it lists"
    ),
    no_args_is_help=True,
)


def _fail(message: str) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(1)


@connect_app.command("kinds")
def kinds() -> None:
    """List the connector kinds and what each does."""
    table = Table("kind", "what it does")
    for kind in KINDS:
        doc = (connector_class(kind).__doc__ or "").strip().splitlines()[0]
        table.add_row(kind, doc)
    console.print(table)


@connect_app.command("spec")
def spec(kind: Annotated[str, typer.Argument(help=f"One of: {', '.join(KINDS)}.")]) -> None:
    """Print every setting of connector KIND: type, default, and what it means."""
    try:
        cls = connector_class(kind)
    except ConfigError as exc:
        _fail(str(exc))
        return
    console.print(f"[bold]{kind}[/]: {(cls.__doc__ or '').strip()}\n", highlight=False)
    table = Table("setting", "type", "default", "description")
    for field in spec_fields(cls.SPEC):
        default = "[bold]required[/]" if field.required else field.default
        table.add_row(field.name, field.type, default, field.description)
    console.print(table)
    console.print(
        "\nIn a config file (unknown keys are refused):\n\n"
        f"  connectors:\n    - name: my-{kind}\n      kind: {kind}\n"
        + "".join(f"      {f.name}: ...\n" for f in spec_fields(cls.SPEC) if f.required),
        highlight=False,
    )


@connect_app.command("check")
def check(config: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """Validate CONFIG (YAML) and list the connectors it would run."""
    try:
        plan = load_config(config)
    except ConfigError as exc:
        _fail(str(exc))
        return
    for item in plan.connectors:
        console.print(f"ok  {item.name} ({item.kind})", highlight=False)


@connect_app.command("run")
def run(
    config: Annotated[Path, typer.Argument(exists=True, dir_okay=False)],
    metrics_port: Annotated[
        int | None,
        typer.Option(help="Serve Prometheus /metrics of the connectors on 127.0.0.1:PORT."),
    ] = None,
    log_level: Annotated[str, typer.Option(help="debug, info, warning or error.")] = "info",
) -> None:
    """Run the connectors CONFIG lists until SIGTERM or Ctrl-C.

    Positions are kept in Kafka (sources) or in the sink's own database, so a restart —
    even after kill -9 — resumes where the last committed batch ended.
    """
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # kafka-python narrates every connection at INFO; its warnings are what matter here.
    logging.getLogger("kafka").setLevel(max(logging.WARNING, logging.getLogger().level))
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        plan = load_config(config)
    except ConfigError as exc:
        _fail(str(exc))
        return
    registry = CollectorRegistry(auto_describe=True)
    if metrics_port is not None:
        start_http_server(metrics_port, addr="127.0.0.1", registry=registry)
    runner = Runner(plan, registry)

    def _stop(signum: int, frame: FrameType | None) -> None:
        runner.stop()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    runner.start()
    runner.wait()
    runner.stop()
    runner.join(30)
    if runner.failed:
        for name, why in runner.failed.items():
            err_console.print(f"[bold red]connector {name} failed:[/] {why}", highlight=False)
        sys.exit(1)
