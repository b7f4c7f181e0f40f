"""``lienthong audit tail``: the security feed, readable."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Annotated

import typer
from rich.console import Console

from lienthong.audit import AuditRecord, read_audit
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import topic_layout
from lienthong.consumers.inspect import parse_since
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.registry_client import RegistryClient

audit_app = typer.Typer(
    help=(
        "The security feed: every refused request, failed sign-in, not_owner refusal and "
        "administrative action (schema writes, keys, replays, provisioning).\n\n"
        "  lienthong audit tail\n\n"
        "  lienthong audit tail --from 1h --follow\n\n"
        "  lienthong audit tail --json | jq 'select(.outcome == \"REFUSED\")'"
    ),
    no_args_is_help=True,
)
console = Console()
_COLOURS = {"REFUSED": "red", "ALLOWED": "green"}


def _line(record: AuditRecord) -> str:
    event = record.event
    if event is None:
        return f"[dim]{record.offset}[/] [yellow]unreadable:[/] {record.problem}"
    colour = _COLOURS.get(event.outcome.value, "white")
    at = event.envelope.occurred_at.strftime("%Y-%m-%d %H:%M:%S")
    parts = [
        f"[dim]{at}Z[/]",
        f"[{colour}]{event.outcome.value:<7}[/]",
        f"[bold]{event.action.value}[/]",
        event.actor,
        f"via {event.service}",
    ]
    if event.target:
        parts.append(f"on {event.target}")
    if event.reason:
        parts.append(f"({event.reason})")
    if event.client:
        parts.append(f"from {event.client}")
    return " ".join(parts) + f"\n    {event.detail}"


@audit_app.command()
def tail(  # noqa: PLR0917  # one parameter per CLI option
    since: Annotated[
        str | None,
        typer.Option("--from", help="Start time: 2025-03-04T08:00 (Hậu Giang time), or 15m, 2h."),
    ] = None,
    last: Annotated[int, typer.Option("--last", "-n", help="Without --from: the last N.")] = 20,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep reading.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object a line.")] = False,
    prefix: Annotated[
        str | None, typer.Option(help="Topic prefix of the axis (default: LIENTHONG_TOPIC_PREFIX).")
    ] = None,
    registry_url: Annotated[
        str, typer.Option("--registry", envvar="LIENTHONG_REGISTRY_URL", help="Schema registry.")
    ] = "http://127.0.0.1:8081",
) -> None:
    """Show the audit topic's events, oldest first: who, what, where from, and why refused."""
    since_ms = parse_since(since) if since else None
    layout = topic_layout(KafkaSettings(), prefix=prefix)
    with RegistryClient(registry_url) as registry:
        try:
            _show(
                read_audit(
                    KafkaSettings(),
                    AvroDeserializer(registry),
                    layout=layout,
                    since_ms=since_ms,
                    last=None if since else last,
                    follow=follow,
                ),
                as_json,
            )
        except LookupError:
            _nothing_yet(layout.prefix)


def _show(records: Iterable[AuditRecord], as_json: bool) -> None:
    for record in records:
        if as_json:
            typer.echo(json.dumps(record.as_json(), ensure_ascii=False))
        else:
            console.print(_line(record), highlight=False)


def _nothing_yet(prefix: str) -> None:
    console.print(
        f"Nothing audited yet: {prefix}.audit does not exist. Refusals and administrative "
        "actions appear there as they happen."
    )
