"""``lienthong dlq list|show|replay``: inspect and replay the gate's dead letters."""

from __future__ import annotations

from collections import Counter
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import topic_layout
from lienthong.consumers.dlq import Selection, letters, replay, replayed
from lienthong.consumers.inspect import describe_value, parse_since, when
from lienthong.schemas import deadletter as dl
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.registry_client import RegistryClient

console = Console()
dlq_app = typer.Typer(
    help=(
        "Dead letters: every record the gate refused, with why (lt.dlq.* headers).\n\n"
        "  lienthong dlq list                      counts by reason, then the letters\n\n"
        "  lienthong dlq show 1:42                 one letter, decoded when possible\n\n"
        "  lienthong dlq replay --reason illegal_transition --dry-run\n\n"
        "  lienthong dlq replay --reason illegal_transition   after fixing the cause"
    ),
    no_args_is_help=True,
)
Prefix = Annotated[
    str | None,
    typer.Option("--prefix", help="Topic prefix of the axis (default: LIENTHONG_TOPIC_PREFIX)."),
]


@dlq_app.command("list")
def list_letters(
    reason: Annotated[
        list[str] | None, typer.Option("--reason", help="Only these reasons.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="From a time, or 15m, 2h, 3d ago.")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="Letters listed at most.")] = 50,
    prefix: Prefix = None,
) -> None:
    """Count the letters by reason and list the latest (replayed ones are marked)."""
    layout = topic_layout(KafkaSettings(), prefix=prefix)
    kafka = KafkaSettings()
    found = letters(kafka, layout.deadletter, parse_since(since) if since else None)
    if reason:
        found = [f for f in found if f.letter.reason in reason]
    done = replayed(kafka, layout)
    counts = Counter(f.letter.reason for f in found)
    console.print(", ".join(f"{r}: {n}" for r, n in counts.most_common()) or "no dead letters")
    table = Table()
    for column in ("letter", "first seen", "reason", "field", "agency", "source", "replayed"):
        table.add_column(column)
    for item in found[-limit:]:
        letter = item.letter
        table.add_row(
            item.ref,
            when(letter.first_seen_ms),
            letter.reason,
            letter.refusal.field,
            letter.refusal.agency or "",
            f"{letter.source.topic}[{letter.source.partition}]@{letter.source.offset}",
            "yes" if item.ref in done else "",
        )
    console.print(table)


@dlq_app.command()
def show(
    ref: Annotated[str, typer.Argument(help="PARTITION:OFFSET, as `dlq list` shows.")],
    prefix: Prefix = None,
    registry_url: Annotated[
        str, typer.Option("--registry", envvar="LIENTHONG_REGISTRY_URL", help="Schema registry.")
    ] = "http://127.0.0.1:8081",
) -> None:
    """Show one letter: reason, message, provenance, headers and the decoded payload."""
    layout = topic_layout(KafkaSettings(), prefix=prefix)
    match = [f for f in letters(KafkaSettings(), layout.deadletter) if f.ref == ref]
    if not match:
        console.print(f"[bold red]error:[/] no letter {ref} in {layout.deadletter}")
        raise typer.Exit(1)
    item = match[0]
    letter = item.letter
    console.print(f"[bold]{letter.reason}[/] {letter.refusal.rule} {letter.refusal.field}")
    console.print(letter.refusal.message, markup=False, highlight=False)
    console.print(
        f"from {letter.source.topic}[{letter.source.partition}]@{letter.source.offset}, "
        f"first seen {when(letter.first_seen_ms)}, stage {letter.stage}",
        highlight=False,
    )
    for name, value in item.headers():
        console.print(
            f"  {name}: {value.decode('utf-8', 'replace')}", highlight=False, markup=False
        )
    deserializer = AvroDeserializer(RegistryClient(registry_url))
    console.print(describe_value(deserializer, item.value), markup=False, highlight=False)


@dlq_app.command("replay")
def replay_letters(  # noqa: PLR0917  # one parameter per CLI option
    reason: Annotated[
        list[str] | None, typer.Option("--reason", help="Only these reasons.")
    ] = None,
    agency: Annotated[
        str | None, typer.Option("--agency", help="Only this agency's letters.")
    ] = None,
    letter: Annotated[
        list[str] | None, typer.Option("--letter", help="Only PARTITION:OFFSET.")
    ] = None,
    include_duplicates: Annotated[
        bool, typer.Option("--include-duplicates", help="Also duplicate_event letters.")
    ] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be replayed.")] = False,
    prefix: Prefix = None,
) -> None:
    """Send letters back to their source topic for the gate to judge again.

    Order per key is kept and a letter is never replayed twice (a compacted ledger,
    lienthong.deadletter.replayed, records each). duplicate_event letters are skipped
    unless named by --reason or --include-duplicates.
    """
    unknown = [r for r in reason or [] if r not in dl.REASONS]
    if unknown:
        console.print(
            f"[bold red]error:[/] unknown reason(s) {unknown}; known: {sorted(dl.REASONS)}"
        )
        raise typer.Exit(1)
    selection = Selection(
        reasons=frozenset(reason) if reason else None,
        agency=agency,
        include_duplicates=include_duplicates,
    )
    report = replay(
        KafkaSettings(),
        topic_layout(KafkaSettings(), prefix=prefix),
        selection,
        refs=letter,
        dry_run=dry_run,
    )
    verb = "would replay" if dry_run else "replayed"
    console.print(f"{verb} {len(report.replayed)}: {', '.join(report.replayed) or '-'}")
    if report.already:
        console.print(f"already replayed before (skipped): {', '.join(report.already)}")
