"""The root Typer application and the translation of known errors into exit codes."""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError
from rich.console import Console

from lienthong.broker import BrokerError
from lienthong.schemas.errors import ContractError

app = typer.Typer(
    name="lienthong",
    help=(
        "lienthong: Hậu Giang's event data axis (trục liên thông dữ liệu).\n\n"
        "Agency systems publish Avro events to Kafka; workers validate, route and "
        "materialize them for the IOC and the citizen portal.\n\n"
        "Start here:\n\n"
        "  lienthong broker start    run a local Kafka broker (fetches it on first use)\n\n"
        "  lienthong demo            watch dossier events make the round trip\n\n"
        "Kafka is reached through LIENTHONG_BOOTSTRAP_SERVERS (default 127.0.0.1:9092, "
        "the local broker); set it to use a real cluster."
    ),
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)

err_console = Console(stderr=True)


def run(application: typer.Typer) -> None:
    """Run the CLI, turning errors the user can fix into a message and exit code 1."""
    try:
        application(standalone_mode=True)
    except (BrokerError, ContractError) as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(1)
    except ValidationError as exc:
        err_console.print(
            "[bold red]error:[/] a LIENTHONG_* setting is invalid:\n"
            + "\n".join(
                f"  LIENTHONG_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                for e in exc.errors()
            ),
            highlight=False,
        )
        sys.exit(1)
