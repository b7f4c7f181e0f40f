"""``lienthong tail TOPIC``: read a topic, decoded and readable."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console

from lienthong.connectors.kafka import KafkaSettings
from lienthong.consumers.inspect import describe_value, parse_since, read_topic, when
from lienthong.schemas import headers as h
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.registry_client import RegistryClient

console = Console()


def tail(  # noqa: PLR0917  # one parameter per CLI option
    topic: Annotated[str, typer.Argument(help="Topic to read.", show_default=False)],
    since: Annotated[
        str | None,
        typer.Option(
            "--from", help="Start time: 2025-03-04T08:00 (Hậu Giang time), or 15m, 2h, 3d ago."
        ),
    ] = None,
    last: Annotated[
        int, typer.Option("--last", "-n", help="Without --from: last N per partition.")
    ] = 10,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep reading new records.")
    ] = False,
    registry_url: Annotated[
        str, typer.Option("--registry", envvar="LIENTHONG_REGISTRY_URL", help="Schema registry.")
    ] = "http://127.0.0.1:8081",
    headers: Annotated[bool, typer.Option("--headers", help="Show every header.")] = False,
) -> None:
    """Show a topic's records decoded through the schema registry.

    Each record: time, partition:offset, key, the trusted facets (type, agency, status)
    and the payload as JSON; undecodable values are shown as why and their first bytes.

    Examples:

      lienthong tail lienthong.events.dossier.lifecycle

      lienthong tail lienthong.sub.ioc --from 15m --follow

      lienthong tail lienthong.ingress.tthcc.dossier.lifecycle --from 2025-03-04T08:00 --headers
    """
    deserializer = AvroDeserializer(RegistryClient(registry_url))
    since_ms = parse_since(since) if since else None
    try:
        for record in read_topic(
            KafkaSettings(), topic, since_ms=since_ms, last=None if since else last, follow=follow
        ):
            facts = h.as_dict(record.headers)
            facets = " ".join(
                f"{name}={h.text(facts, header)}"
                for name, header in (
                    ("type", h.EVENT_TYPE),
                    ("agency", h.AGENCY),
                    ("status", h.STATUS),
                )
                if header in facts
            )
            key = record.key.decode("utf-8", "replace") if record.key else "-"
            console.print(
                f"[dim]{when(record.timestamp_ms)}[/] [cyan]{record.partition}:{record.offset}[/] "
                f"key={key} {facets}",
                highlight=False,
            )
            if headers:
                for name, value in record.headers:
                    console.print(
                        f"    {name}: {value.decode('utf-8', 'replace')}", highlight=False
                    )
            console.print(
                f"    {describe_value(deserializer, record.value)}", highlight=False, markup=False
            )
    except LookupError as exc:
        console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from None
