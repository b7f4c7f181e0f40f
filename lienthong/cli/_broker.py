"""``lienthong broker ...``: the local Kafka broker for a laptop, the demo and CI."""

from __future__ import annotations

import time
from typing import Annotated

import typer
from rich.console import Console

from lienthong.broker import (
    KAFKA_VERSION,
    LocalBroker,
    LocalCluster,
    fetch_jars,
    jar_dir,
    jars_present,
)
from lienthong.settings import LocalBrokerSettings

broker_app = typer.Typer(
    help=(
        f"Run a local Apache Kafka {KAFKA_VERSION} broker (KRaft, one process) on "
        "127.0.0.1, or a local cluster of several.\n\nThe jars come from Maven Central into "
        "~/.cache/lienthong/kafka; data, log and pid live in ~/.lienthong/broker "
        "(LIENTHONG_BROKER_HOME). Typical use:\n\n"
        "  lienthong broker start && lienthong broker status\n\n"
        "  lienthong broker start --secure     # SCRAM + TLS + ACLs; credentials in "
        "~/.lienthong/credentials/svc.admin.env\n\n"
        "  lienthong broker start --nodes 3    # 3 KRaft nodes on ports 9092, 9102, 9112"
    ),
    no_args_is_help=True,
)
console = Console()
Local = LocalBroker | LocalCluster


def _local(nodes: int | None = None, secure: bool | None = None) -> Local:
    """The single broker, or the cluster when asked for or when one was started here."""
    settings = LocalBrokerSettings()
    if secure is not None:
        settings = settings.model_copy(update={"secure": secure})
    if nodes is None:
        existing = sorted(settings.home.glob("node-*/server.properties"))
        nodes = len(existing) if existing else 1
    if nodes > 1:
        return LocalCluster.from_settings(settings, nodes)
    return LocalBroker(settings)


def _running(local: Local) -> bool:
    if isinstance(local, LocalCluster):
        return any(state.pid is not None for state in local.status())
    return local.pid() is not None


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
    nodes: Annotated[
        int,
        typer.Option(
            "--nodes",
            min=1,
            max=9,
            help=(
                "Run a cluster of N KRaft nodes (each broker and controller; RF 3 and "
                "min.insync.replicas 2 by default); node n listens on the base ports + 10*(n-1)."
            ),
        ),
    ] = 1,
    secure: Annotated[
        bool | None,
        typer.Option(
            "--secure/--plaintext",
            help=(
                "SCRAM-SHA-512 on the client port, SASL_SSL on LIENTHONG_BROKER_TLS_PORT with "
                "a local CA, ACLs enforced (default: LIENTHONG_BROKER_SECURE)."
            ),
        ),
    ] = None,
) -> None:
    """Start the broker and return once it answers (formats storage on first use)."""
    local = _local(nodes, secure)
    if _running(local) and not fresh:
        console.print(f"Already running at {local.bootstrap}")
        return
    with console.status("Starting Kafka..."):
        seconds = local.start(fresh=fresh)
    kind = f"Cluster of {nodes} nodes" if isinstance(local, LocalCluster) else "Broker"
    console.print(f"{kind} running at [bold]{local.bootstrap}[/], ready in {seconds:.1f}s.")
    _print_security(local)


def _print_security(local: Local) -> None:
    first = local if isinstance(local, LocalBroker) else next(iter(local.brokers.values()))
    security = first.security()
    if security is None:
        console.print("Plaintext, no authentication: for a laptop only (--secure to lock it).")
        return
    tls = local.client_settings(tls=True).bootstrap_servers
    console.print(
        f"Secured: SASL_PLAINTEXT (SCRAM-SHA-512) there, SASL_SSL at {tls} "
        f"(CA {security.truststore}); ACLs enforced, super user {security.admin_user}.\n"
        f"Its credential: {first.admin_credential_file()} (load it with "
        "`set -a; . FILE; set +a`); `lienthong agencies provision` makes the others."
    )


@broker_app.command()
def stop() -> None:
    """Stop the broker (or every node) cleanly (SIGTERM, then SIGKILL after a timeout)."""
    with console.status("Stopping Kafka..."):
        stopped = _local().stop()
    console.print("Broker stopped." if stopped else "Broker was not running.")


@broker_app.command()
def status() -> None:
    """Say whether the broker runs, its bootstrap address and its data directory.

    Exits 0 when it (every node of a cluster) runs and 3 when it does not, so scripts
    can test it.
    """
    local = _local()
    states = local.status() if isinstance(local, LocalCluster) else [local.status()]
    for number, state in enumerate(states, 1):
        word = "[green]running[/]" if state.running else "[red]not running[/]"
        name = f"Node {number}" if len(states) > 1 else "Broker"
        console.print(f"{name}: {word}" + (f" (pid {state.pid})" if state.pid else ""))
        console.print(f"Bootstrap: {state.bootstrap}")
        console.print(f"Data: {state.data_dir}")
        console.print(f"Log: {state.log_file}")
    if not all(state.running for state in states):
        raise typer.Exit(3)


@broker_app.command()
def logs(
    lines: Annotated[int, typer.Option("--lines", "-n", help="How many lines to show.")] = 40,
    node: Annotated[int, typer.Option("--node", min=1, help="Which node of a cluster.")] = 1,
) -> None:
    """Show the last lines of the broker's log."""
    local = _local()
    broker = local.brokers[node] if isinstance(local, LocalCluster) else local
    console.print(broker.log_tail(lines), highlight=False, markup=False)
