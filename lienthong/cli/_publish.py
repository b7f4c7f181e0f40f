"""``lienthong publish``: events from a JSON, JSON Lines or CSV file into the axis."""

from __future__ import annotations

import csv
import threading
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lienthong.connectors.kafka import KafkaSettings
from lienthong.producers import Delivery, ProducerError, Publisher, PublisherSettings
from lienthong.schemas import rows as row_reader
from lienthong.schemas.catalogue import EventType, UnknownEventType, catalogue, event_type
from lienthong.schemas.models import EventModel
from lienthong.schemas.rows import Rejected, Row, RowRejected

console = Console()
err_console = Console(stderr=True)

_TYPES = ", ".join(catalogue())
# Rows parsed, then published together (Publisher.publish_many: less CPU an event).
_CHUNK = 500
Parsed = EventModel | Rejected
_HELP = f"""Publish the events of FILE (.json, .jsonl or .csv) through the agency SDK.

Each row is checked against its contract before anything is sent; rows that fail are
written, with every reason, to a rejected file (FILE.rejected.jsonl by default). Rows
need only the payload fields: the envelope is filled in the same way every time (event
id derived from the row, trace id from the event id, time of the file's last change,
--agency), so publishing a file twice yields the same events and ids.

Event types: {_TYPES}.

Examples:

  lienthong publish --type dossier.lifecycle --agency 000.00.00.H30 dossiers.jsonl

  lienthong publish --type dossier.progress --agency 000.00.00.H30 steps.csv --rejected bad.jsonl

When Kafka is unreachable the events wait in the spool (LIENTHONG_PUBLISHER_SPOOL_PATH)
and are delivered by the next publish, or within --wait seconds if Kafka comes back.
"""


class _Tally:
    """Delivery outcomes, counted from kafka-python's thread."""

    def __init__(self) -> None:
        self.delivered = 0
        self.spooled = 0
        self.failed: list[tuple[str, str]] = []
        self._mutex = threading.Lock()

    def __call__(self, delivery: Delivery) -> None:
        with self._mutex:
            if delivery.error is not None:
                self.failed.append((delivery.event_id, str(delivery.error)))
            elif delivery.spooled:
                self.spooled += 1
            else:
                self.delivered += 1


def _event(entry: EventType, row: Row, agency: str | None, when: datetime, lax: bool) -> Parsed:
    try:
        return row_reader.event_of(entry, row, agency=agency, occurred_at=when, lax=lax)
    except RowRejected as exc:
        return Rejected(row, exc.reason, exc.violations)


def publish(
    file: Annotated[
        Path, typer.Argument(exists=True, dir_okay=False, help="A .json, .jsonl or .csv file.")
    ],
    type_: Annotated[
        str, typer.Option("--type", "-t", help=f"Event type of every row ({_TYPES}).")
    ],
    agency: Annotated[
        str | None,
        typer.Option(help="Source agency code for rows without one, e.g. 000.00.00.H30."),
    ] = None,
    rejected: Annotated[
        Path | None,
        typer.Option(help="Where rejected rows go (default FILE.rejected.jsonl)."),
    ] = None,
    wait: Annotated[
        float, typer.Option(help="Seconds to wait for spooled events to be delivered.")
    ] = 30.0,
) -> None:
    try:
        entry = event_type(type_)
    except UnknownEventType as exc:
        raise typer.BadParameter(str(exc), param_hint="--type") from exc
    rejected_path = rejected or file.with_name(file.name + ".rejected.jsonl")
    lax = row_reader.is_lax(file)
    try:
        rows = list(row_reader.read_rows(file))
        when = row_reader.exported_at(file)
    except (ValueError, OSError, csv.Error) as exc:  # unreadable file or unknown suffix
        raise typer.BadParameter(str(exc), param_hint="FILE") from exc
    tally = _Tally()
    bad: list[Rejected] = []
    try:
        with Publisher(KafkaSettings(), PublisherSettings()) as publisher:
            with Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=True,
            ) as progress:
                task = progress.add_task(f"Publishing {file.name}", total=len(rows))
                for start in range(0, len(rows), _CHUNK):
                    chunk = [
                        _event(entry, r, agency, when, lax) for r in rows[start : start + _CHUNK]
                    ]
                    bad += [parsed for parsed in chunk if isinstance(parsed, Rejected)]
                    events = [parsed for parsed in chunk if isinstance(parsed, EventModel)]
                    publisher.publish_many(events, tally)
                    progress.advance(task, len(chunk))
                publisher.flush()
            if publisher.spooled and wait > 0:
                with console.status(f"Kafka unreachable: waiting up to {wait:g}s for it..."):
                    publisher.wait_drained(wait)
            left = publisher.spooled
    except ProducerError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", highlight=False)
        raise typer.Exit(1) from exc
    if bad:
        row_reader.write_report(rejected_path, bad)
    _summary(len(rows), tally, bad, left, rejected_path)
    if bad or tally.failed:
        raise typer.Exit(1)


publish.__doc__ = _HELP


def _summary(total: int, tally: _Tally, bad: list[Rejected], left: int, path: Path) -> None:
    table = Table(title="publish summary", show_header=False)
    table.add_row("rows read", str(total))
    table.add_row("accepted (sent to Kafka or spooled)", str(tally.delivered + tally.spooled))
    table.add_row("rejected (invalid)", str(len(bad)))
    if tally.failed:
        table.add_row("refused by Kafka", str(len(tally.failed)))
    if left:
        table.add_row("still in the spool (sent on a later run)", str(left))
    console.print(table)
    for event_id, reason in tally.failed[:10]:
        err_console.print(f"refused {event_id}: {reason}", highlight=False)
    if bad:
        console.print(f"Rejected rows and their reasons: {path}")
