"""``lienthong worker``: run the validate and route stages."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from lienthong.connectors.kafka import KafkaSettings
from lienthong.consumers.errors import ConsumerError

err_console = Console(stderr=True)

_HELP = (
    "Run the axis's worker: every ingress event is validated once, then routed.\n\n"
    "validate: reads every lienthong.ingress.* topic, decodes through the schema "
    "registry, applies the contracts' rules and the legal status transitions (against "
    "each entity's last status, kept in a table), and drops duplicate event ids. Valid "
    "events go, as the same bytes with trusted lt.* headers, to lienthong.events.<type>; "
    "the rest go to lienthong.deadletter with the reason in lt.dlq.* headers (see "
    "`lienthong dlq`).\n\n"
    "route: sends each valid event to the subscriber topics (lienthong.sub.<name>) the "
    "rules file names, deciding on headers. Edit the file while it runs: it is reloaded "
    "within a second, and a broken file is refused (the old rules stay) — check it first "
    "with `lienthong routes check FILE`.\n\n"
    "Examples:\n\n"
    "  lienthong worker --rules routes.yaml\n\n"
    "  lienthong worker --rules routes.yaml --agency 000.00.00.H30 --agency SYT\n\n"
    "  LIENTHONG_WORKER_STORE=memory lienthong worker --rules routes.yaml --metrics-port 6066\n\n"
    "Start more processes with the same --app-id to share the partitions (at most one "
    "worker per partition helps). Settings also come from LIENTHONG_WORKER_* variables "
    "(e.g. LIENTHONG_WORKER_RULES_PATH), Kafka from LIENTHONG_BOOTSTRAP_SERVERS, the "
    "registry from LIENTHONG_REGISTRY_URL, and how topics are made from LIENTHONG_TOPIC_* "
    "(partitions, replication, min.insync.replicas: 3/1/1 on one broker, 12/3/2 when "
    "LIENTHONG_BOOTSTRAP_SERVERS lists several; on a cluster create them first with "
    "`lienthong topics apply`). "
    "Workers on several hosts: bind the web port with LIENTHONG_WORKER_WEB_HOST=0.0.0.0 "
    "and give the address the others reach it at with LIENTHONG_WORKER_WEB_ADVERTISED_HOST "
    "(and _PORT behind NAT); LIENTHONG_WORKER_SESSION_TIMEOUT_S (default 10) is how long a "
    "crashed worker's partitions wait before another takes them (the query API answers "
    "503 meanwhile). "
)


def worker(  # noqa: PLR0917  # one parameter per CLI option
    rules: Annotated[
        Path | None,
        typer.Option("--rules", help="Routing rules (YAML). Without it: validate only."),
    ] = None,
    agency: Annotated[
        list[str] | None,
        typer.Option("--agency", help="Create this agency's ingress topics (repeatable)."),
    ] = None,
    app_id: Annotated[
        str | None, typer.Option("--app-id", help="Consumer group and table topic prefix.")
    ] = None,
    prefix: Annotated[
        str | None,
        typer.Option("--prefix", help="Topic prefix (default: LIENTHONG_TOPIC_PREFIX)."),
    ] = None,
    store: Annotated[
        str | None, typer.Option("--store", help="Entity table store: rocksdb or memory.")
    ] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="RocksDB directory.")] = None,
    partitions: Annotated[
        int | None,
        typer.Option(
            "--partitions",
            help="Partitions of topics it creates (default: LIENTHONG_TOPIC_PARTITIONS).",
        ),
    ] = None,
    metrics_port: Annotated[
        int | None, typer.Option("--metrics-port", help="Serve Prometheus /metrics here.")
    ] = None,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="debug, info, warning or error.")
    ] = None,
) -> None:
    # Imported here: faust takes ~1 s to import, and `lienthong --help` should not wait.
    from lienthong.consumers.worker import WorkerSettings, run_worker  # noqa: PLC0415

    overrides: dict[str, Any] = {
        "rules_path": rules,
        "agencies": agency or None,
        "app_id": app_id,
        "topic_prefix": prefix,
        "store": store,
        "data_dir": data_dir,
        "partitions": partitions,
        "web_port": metrics_port,
        "log_level": log_level,
    }
    settings = WorkerSettings(**{k: v for k, v in overrides.items() if v is not None})
    try:
        run_worker(settings, KafkaSettings())
    except ConsumerError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None


worker.__doc__ = _HELP
