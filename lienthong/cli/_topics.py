"""``lienthong topics plan|apply``: every topic of the axis, as the layout makes them.

On a cluster, topics are an admin's decision made once: producers do not create them
there. ``plan`` lists what the axis needs and how it compares with the cluster;
``apply`` creates what is missing and reports what differs, never changing a topic.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from kafka.errors import KafkaError
from rich.console import Console

from lienthong.audit import audit_spec
from lienthong.cli._app import err_console
from lienthong.connectors.kafka import (
    KafkaSettings,
    TopicCheck,
    TopicSpec,
    TopicState,
    apply_topics,
    plan_topics,
)
from lienthong.connectors.topics import (
    TopicLayout,
    axis_topics,
    connect_positions_spec,
    replay_ledger_spec,
    topic_layout,
)
from lienthong.registry import RegistrySettings, topic_spec
from lienthong.schemas.access import AccessSettings, load_access
from lienthong.schemas.catalogue import catalogue

console = Console(soft_wrap=True)  # one topic a line, never wrapped (greps well)

topics_app = typer.Typer(
    help=(
        "Every Kafka topic the axis needs, with partitions, replication, min.insync.replicas "
        "and retention, from the topic layout (LIENTHONG_TOPIC_*).\n\n"
        "  lienthong topics plan                      what is needed, and what the cluster has\n\n"
        "  lienthong topics apply                     create what is missing (an admin, once)\n\n"
        "  lienthong topics apply --agency 000.00.00.H30 --subscriber ioc\n\n"
        "Defaults follow LIENTHONG_BOOTSTRAP_SERVERS: one broker gets 3 partitions and "
        "replication 1; several brokers (a cluster) get 12 partitions, replication 3 and "
        "min.insync.replicas 2. Agencies come from the agencies file "
        "(LIENTHONG_AGENCIES_FILE) and --agency; subscribers from --rules and --subscriber."
    ),
    no_args_is_help=True,
)

Agency = Annotated[
    list[str] | None,
    typer.Option("--agency", help="An agency whose ingress topics are needed (repeatable)."),
]
Subscriber = Annotated[
    list[str] | None,
    typer.Option("--subscriber", help="A subscriber topic routing fills (repeatable)."),
]
Group = Annotated[
    list[str] | None,
    typer.Option("--subscriber-group", help="A subscriber SDK group: its dead letters."),
]
Rules = Annotated[
    Path | None,
    typer.Option("--rules", help="Routing rules (YAML): every subscriber they name."),
]
Prefix = Annotated[
    str | None,
    typer.Option("--prefix", help="Topic prefix (default: LIENTHONG_TOPIC_PREFIX)."),
]
AppId = Annotated[
    str | None,
    typer.Option("--app-id", help="The worker's app id (default: LIENTHONG_WORKER_APP_ID)."),
]
Views = Annotated[
    bool | None,
    typer.Option(
        "--views/--no-views", help="Include the views' topics (default: LIENTHONG_VIEWS_ENABLED)."
    ),
]


def needed_topics(
    layout: TopicLayout,
    *,
    agencies: list[str],
    subscribers: list[str],
    groups: list[str],
    app_id: str,
    views: bool,
    registry_topic: str,
) -> list[TopicSpec]:
    """Every topic of the axis for these agencies, subscribers and worker, as ``layout`` says."""
    # The worker and the views bring faust; imported here so `lienthong --help` stays quick.
    from lienthong.consumers.views import view_topics  # noqa: PLC0415
    from lienthong.consumers.worker import worker_specs  # noqa: PLC0415

    specs = worker_specs(layout, app_id, agencies=agencies, subscribers=subscribers)
    specs += axis_topics(catalogue(), layout=layout, subscriber_groups=groups)
    if views:
        specs += view_topics(layout, app_id)
    specs += [
        replay_ledger_spec(layout),
        connect_positions_spec(layout),
        audit_spec(layout),
        topic_spec(registry_topic, layout),
    ]
    return list({spec.name: spec for spec in specs}.values())


def _wanted(  # noqa: PLR0917  # one parameter per CLI option
    kafka: KafkaSettings,
    prefix: str | None,
    agency: list[str] | None,
    subscriber: list[str] | None,
    group: list[str] | None,
    rules: Path | None,
    app_id: str | None,
    views: bool | None,
) -> tuple[TopicLayout, list[TopicSpec]]:
    from lienthong.consumers.routing.rules import load_rules  # noqa: PLC0415
    from lienthong.consumers.views import ViewsSettings  # noqa: PLC0415
    from lienthong.consumers.worker import WorkerSettings  # noqa: PLC0415

    worker = WorkerSettings()
    layout = topic_layout(kafka, prefix=prefix or worker.topic_prefix, partitions=worker.partitions)
    access = load_access(AccessSettings().agencies_file)
    agencies = [a.code for a in access.agencies] + list(agency or [])
    subscribers = (load_rules(rules).subscribers() if rules else []) + list(subscriber or [])
    specs = needed_topics(
        layout,
        agencies=list(dict.fromkeys(agencies)),
        subscribers=list(dict.fromkeys(subscribers)),
        groups=list(group or []),
        app_id=app_id or worker.app_id,
        views=ViewsSettings().enabled if views is None else views,
        registry_topic=RegistrySettings().topic,
    )
    return layout, specs


def _policy(spec: TopicSpec) -> str:
    cleanup = spec.config.get("cleanup.policy", "delete")
    if cleanup == "compact":
        return "compact (latest per key, kept)"
    retention = spec.config.get("retention.ms")
    return (
        f"delete after {int(retention) // 86_400_000} d" if retention else "delete, broker default"
    )


_STATE = {
    TopicState.MISSING: "[yellow]missing[/]",
    TopicState.CREATED: "[green]created[/]",
    TopicState.OK: "[green]ok[/]",
    TopicState.DIFFERS: "[red]differs[/]",
}


def _print_table(checks: list[TopicCheck], title: str) -> None:
    """Aligned plain lines: a topic name is never cut, and the output greps well."""
    width = max((len(c.spec.name) for c in checks), default=5)
    console.print(title, highlight=False)
    header = f"{'topic':<{width}}  partitions  RF  min.insync  {'retention':<31} cluster"
    console.print(header, style="bold", highlight=False)
    for check in checks:
        spec = check.spec
        line = (
            f"{spec.name:<{width}}  {spec.partitions:>10}  {spec.replication:>2}  "
            f"{spec.config.get('min.insync.replicas', '-'):>10}  {_policy(spec):<31} "
        )
        console.print(line, end="", highlight=False, markup=False)
        console.print(_STATE[check.state], highlight=False)


def _report_differences(checks: list[TopicCheck]) -> None:
    differing = [c for c in checks if c.state is TopicState.DIFFERS]
    for check in differing:
        console.print(f"[red]{check.spec.name}[/]: {'; '.join(check.problems)}", highlight=False)
    if differing:
        console.print(
            "Existing topics are never changed here. Replication and configs: "
            "kafka-reassign-partitions.sh / kafka-configs.sh; partitions: the README's "
            "procedure (keyed state is co-partitioned)."
        )


def _header(kafka: KafkaSettings, layout: TopicLayout) -> str:
    where = "a cluster" if kafka.is_cluster else "one broker"
    return (
        f"{kafka.bootstrap_servers} ({where}): prefix {layout.prefix}, "
        f"{layout.partitions} partitions, replication {layout.replication}, "
        f"min.insync.replicas {layout.min_insync}"
    )


@topics_app.command()
def plan(  # noqa: PLR0917  # one parameter per CLI option
    agency: Agency = None,
    subscriber: Subscriber = None,
    subscriber_group: Group = None,
    rules: Rules = None,
    prefix: Prefix = None,
    app_id: AppId = None,
    views: Views = None,
) -> None:
    """Print every topic the axis needs and how the cluster compares; changes nothing.

    Exits 1 when a topic is missing or differs from the layout.
    """
    kafka = KafkaSettings()
    layout, specs = _wanted(
        kafka, prefix, agency, subscriber, subscriber_group, rules, app_id, views
    )
    console.print(_header(kafka, layout), highlight=False)
    try:
        checks = plan_topics(kafka, specs)
    except (KafkaError, OSError) as exc:
        err_console.print(
            f"[bold red]error:[/] cannot describe topics at {kafka.bootstrap_servers}: {exc}"
        )
        raise typer.Exit(1) from None
    _print_table(checks, f"{len(checks)} topics")
    _report_differences(checks)
    if any(c.state is not TopicState.OK for c in checks):
        console.print("Run `lienthong topics apply` (same options) to create the missing ones.")
        raise typer.Exit(1)


@topics_app.command()
def apply(  # noqa: PLR0917  # one parameter per CLI option
    agency: Agency = None,
    subscriber: Subscriber = None,
    subscriber_group: Group = None,
    rules: Rules = None,
    prefix: Prefix = None,
    app_id: AppId = None,
    views: Views = None,
) -> None:
    """Create the missing topics as the layout says; check the others (never altered).

    Needs an identity allowed to create topics (an admin). Exits 1 when a topic differs
    from the layout.
    """
    kafka = KafkaSettings()
    layout, specs = _wanted(
        kafka, prefix, agency, subscriber, subscriber_group, rules, app_id, views
    )
    console.print(_header(kafka, layout), highlight=False)
    done = 0

    def progress(check: TopicCheck) -> None:
        nonlocal done
        done += 1
        console.print(f"[{done}/{len(specs)}] {check.spec.name}: {_STATE[check.state]}")

    try:
        checks = apply_topics(kafka, specs, progress)
    except (KafkaError, OSError) as exc:
        err_console.print(
            f"[bold red]error:[/] cannot create topics at {kafka.bootstrap_servers}: {exc}"
        )
        raise typer.Exit(1) from None
    created = sum(c.state is TopicState.CREATED for c in checks)
    console.print(f"{created} created, {len(checks) - created} already there.")
    _report_differences(checks)
    if any(c.state is TopicState.DIFFERS for c in checks):
        raise typer.Exit(1)
