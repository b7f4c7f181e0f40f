"""``lienthong offsets``: see and move a consumer group's committed offsets."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from kafka import TopicPartition
from kafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from lienthong.audit import open_trail
from lienthong.connectors.kafka import (
    GroupActive,
    GroupPosition,
    KafkaSettings,
    Move,
    commit_moves,
    offsets_at,
    plan_moves,
    read_group,
)
from lienthong.schemas.models.security import AuditAction

console = Console()
offsets_app = typer.Typer(
    help=(
        "See or move a consumer group's committed offsets: the worker (its app id), a "
        "subscriber or a connector. Like Kafka's kafka-consumer-groups tool: a reset "
        "prints its plan and changes nothing without --execute, and refuses while the "
        "group has members.\n\n"
        "  lienthong offsets show lienthong-sub-ioc\n"
        "  lienthong offsets reset lienthong-sub-ioc --to-time 2025-03-04T08:00:00+07:00\n"
        "  lienthong offsets reset my-sink --shift 1 --topic lienthong.events.x --execute"
    ),
    no_args_is_help=True,
)


def _read(settings: KafkaSettings, group: str) -> GroupPosition:
    try:
        return read_group(settings, group)
    except KafkaError as exc:
        console.print(f"[red]Kafka at {settings.bootstrap_servers}: {exc}[/]")
        raise typer.Exit(1) from None


@offsets_app.command()
def show(group: Annotated[str, typer.Argument(help="Consumer group id.")]) -> None:
    """Each partition's committed offset, the log end and the lag."""
    position = _read(KafkaSettings(), group)
    console.print(f"group {group}: {position.state}, {position.members} member(s)")
    if not position.committed:
        console.print("It has committed no offset (unknown group, or it never committed).")
        return
    table = Table("topic", "partition", "committed", "log end", "lag")
    for tp in sorted(position.committed, key=lambda t: (t.topic, t.partition)):
        end = position.latest.get(tp, 0)
        committed = position.committed[tp]
        table.add_row(tp.topic, str(tp.partition), str(committed), str(end), str(end - committed))
    console.print(table)


def _parse_time(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not an ISO 8601 time; e.g. 2025-03-04T08:00:00+07:00",
            param_hint="--to-time",
        ) from None
    if moment.tzinfo is None:
        raise typer.BadParameter("give the time zone, e.g. +07:00 or Z", param_hint="--to-time")
    return moment


def _wanted(
    settings: KafkaSettings,
    position: GroupPosition,
    partitions: list[TopicPartition],
    *,
    to_time: str | None,
    to_offset: int | None,
    shift: int | None,
) -> dict[TopicPartition, int]:
    chosen = [x is not None for x in (to_time, to_offset, shift)]
    if sum(chosen) != 1:
        raise typer.BadParameter("give exactly one of --to-time, --to-offset, --shift")
    if to_offset is not None:
        return dict.fromkeys(partitions, to_offset)
    if shift is not None:
        return {tp: position.committed[tp] + shift for tp in partitions}
    at_ms = int(_parse_time(to_time or "").timestamp() * 1000)
    found = offsets_at(settings, partitions, at_ms)
    # No record at or after the time: the end, as kafka-consumer-groups does.
    return {tp: position.latest[tp] if hit is None else hit for tp, hit in found.items()}


def _plan_table(moves: list[Move]) -> Table:
    table = Table("topic", "partition", "current", "new", "change", title="plan")
    for m in moves:
        table.add_row(
            m.partition.topic,
            str(m.partition.partition),
            str(m.current),
            str(m.target),
            f"{m.delta:+d}",
        )
    return table


@offsets_app.command()
def reset(  # noqa: PLR0917  # one parameter per CLI option
    group: Annotated[str, typer.Argument(help="Consumer group id.")],
    to_time: Annotated[
        str | None,
        typer.Option(help="First record at or after this ISO time (with zone), by record time."),
    ] = None,
    to_offset: Annotated[int | None, typer.Option(help="This offset on every partition.")] = None,
    shift: Annotated[
        int | None, typer.Option(help="Move by N records (negative: back, to re-read).")
    ] = None,
    topic: Annotated[
        list[str] | None, typer.Option(help="Only these topics (default: all it committed to).")
    ] = None,
    execute: Annotated[bool, typer.Option(help="Apply the plan (default: only print it).")] = False,
) -> None:
    """Plan (and with --execute, apply) new committed offsets for an idle group.

    Targets are clamped to what each partition still holds. The group must have no
    member: stop the worker, subscriber or connector first. An applied reset is written
    to the audit topic (OFFSETS_RESET). Exits 1 when the group is active.
    """
    settings = KafkaSettings()
    position = _read(settings, group)
    partitions = [tp for tp in position.committed if not topic or tp.topic in topic]
    if not partitions:
        console.print(f"[red]Group {group} has no committed offset on {topic or 'any topic'}.[/]")
        raise typer.Exit(1)
    moves = plan_moves(
        position,
        _wanted(settings, position, partitions, to_time=to_time, to_offset=to_offset, shift=shift),
    )
    console.print(_plan_table(moves))
    if not position.idle:
        console.print(f"[red]{GroupActive(group, position.state, position.members)}[/]")
        raise typer.Exit(1)
    if not execute:
        console.print("Nothing changed. Run again with --execute to apply this plan.")
        return
    try:
        commit_moves(settings, group, moves)
    except GroupActive as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    _audit(settings, group, moves)
    console.print(f"Group {group}: {len(moves)} partition(s) moved.")


def _audit(settings: KafkaSettings, group: str, moves: list[Move]) -> None:
    """Moving a group's offsets is an administrative act: it goes to the security feed."""
    changes = ", ".join(
        f"{m.partition.topic}[{m.partition.partition}] {m.current}->{m.target}" for m in moves
    )
    trail = open_trail("cli", kafka=settings)
    actor = f"kafka:{settings.sasl_username or 'anonymous'}"
    trail.record(AuditAction.OFFSETS_RESET, actor, f"offsets reset: {changes}"[:1000], target=group)
    trail.close()
    if not getattr(trail.sink, "delivered", 1):
        console.print(
            "[yellow]warning:[/] the audit topic could not be reached; this reset is not in "
            "the security feed (is the schema registry running?)"
        )
