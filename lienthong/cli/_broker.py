"""``lienthong broker ...``: the local Kafka broker for a laptop, the demo and CI."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from lienthong.broker import KAFKA_VERSION, LocalBroker, fetch_jars, jar_dir, jars_present
from lienthong.settings import LocalBrokerSettings

broker_app = typer.Typer(
    help=(
        f"Run a local Apache Kafka {KAFKA_VERSION} broker (KRaft, one process) on "
        "127.0.0.1.\n\nThe jars come from Maven Central into ~/.cache/lienthong/kafka; data, "
        "log and pid live in ~/.lienthong/broker (LIENTHONG_BROKER_HOME). Typical use:\n\n"
        "  lienthong broker start && lienthong broker status"
    ),
    no_args_is_help=True,
)
console = Console()


@broker_app.command()
def fetch() -> None:
    """Download the broker's jars once (needs Maven); later runs use the cache."""
    settings = LocalBrokerSettings()
    if jars_present(settings.jar_cache):
        console.print(f"Kafka {KAFKA_VERSION} jars already cached in {jar_dir(settings.jar_cache)}")
        return
    began = time.monotonic()
    with console.status(f"Fetching Kafka {KAFKA_VERSION} jars from Maven Central..."):
        path = fetch_jars(settings.jar_cache)
    console.print(f"Fetched into {path} in {time.monotonic() - began:.1f}s")


@broker_app.command()
def start(
    fresh: Annotated[
        bool, typer.Option("--fresh", help="Stop the broker and wipe its data first.")
    ] = False,
) -> None:
    """Start the broker and return once it answers (formats storage on first use)."""
    broker = LocalBroker()
    if broker.pid() is not None and not fresh:
        console.print(f"Broker already running at {broker.bootstrap} (pid {broker.pid()})")
        return
    with console.status("Starting Kafka broker..."):
        seconds = broker.start(fresh=fresh)
    console.print(
        f"Broker running at [bold]{broker.bootstrap}[/] (pid {broker.pid()}), "
        f"ready in {seconds:.1f}s. Data: {broker.layout.data_dir}"
    )


@broker_app.command()
def stop() -> None:
    """Stop the broker cleanly (SIGTERM, then SIGKILL after a timeout)."""
    broker = LocalBroker()
    with console.status("Stopping Kafka broker..."):
        stopped = broker.stop()
    console.print("Broker stopped." if stopped else "Broker was not running.")


@broker_app.command()
def status() -> None:
    """Say whether the broker runs, its bootstrap address and its data directory.

    Exits 0 when it runs and 3 when it does not, so scripts can test it.
    """
    state = LocalBroker().status()
    word = "[green]running[/]" if state.running else "[red]not running[/]"
    console.print(f"Broker: {word}" + (f" (pid {state.pid})" if state.pid else ""))
    console.print(f"Bootstrap: {state.bootstrap}")
    console.print(f"Data: {state.data_dir}")
    console.print(f"Log: {state.log_file}")
    if not state.running:
        raise typer.Exit(3)


@broker_app.command()
def logs(
    lines: Annotated[int, typer.Option("--lines", "-n", help="How many lines to show.")] = 40,
) -> None:
    """Show the last lines of the broker's log."""
    console.print(LocalBroker().log_tail(lines), highlight=False, markup=False)
