"""Consumer groups' committed offsets: read them, plan a move, apply it while idle.

What Kafka's own ``kafka-consumer-groups --reset-offsets`` does, for ``lienthong
offsets``: a plan is computed first (pure: :func:`plan_moves`), every target clamped to
what the partition still holds, and applied only to a group with no member, since an
active consumer would overwrite the new positions with its next commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from lienthong.connectors.kafka._admin import admin
from lienthong.connectors.kafka._settings import KafkaSettings

IDLE_STATES = frozenset({"Empty", "Dead"})
"""Group states whose offsets may be changed (no member would overwrite them)."""


class GroupActive(Exception):
    """The group has members: its offsets cannot be moved under them."""

    def __init__(self, group: str, state: str, members: int) -> None:
        super().__init__(
            f"consumer group {group!r} is {state} with {members} member(s); stop its "
            "consumers (worker, subscriber or connector) and run the reset again"
        )
        self.group, self.state, self.members = group, state, members


@dataclass(frozen=True)
class GroupPosition:
    """Where a group stands on each partition it committed to, and what Kafka holds."""

    group: str
    state: str
    members: int
    committed: dict[TopicPartition, int]
    earliest: dict[TopicPartition, int]
    latest: dict[TopicPartition, int]

    @property
    def idle(self) -> bool:
        return self.members == 0 and self.state in IDLE_STATES


@dataclass(frozen=True)
class Move:
    """One partition's planned change of committed offset."""

    partition: TopicPartition
    current: int
    target: int

    @property
    def delta(self) -> int:
        return self.target - self.current


def plan_moves(position: GroupPosition, wanted: Mapping[TopicPartition, int]) -> list[Move]:
    """Each wanted offset clamped to [earliest, latest] of its partition, in order."""
    moves = []
    for tp in sorted(wanted, key=lambda t: (t.topic, t.partition)):
        low, high = position.earliest.get(tp, 0), position.latest.get(tp, 0)
        target = min(max(wanted[tp], low), high)
        moves.append(Move(tp, position.committed.get(tp, low), target))
    return moves


def read_group(settings: KafkaSettings, group: str) -> GroupPosition:
    """The group's state, members and committed offsets, with each partition's bounds."""
    client = admin(settings)
    try:
        described: dict[str, Any] = client.describe_groups([group]).get(group, {})
        offsets = client.list_group_offsets({group: None}).get(group, {})
    finally:
        client.close()
    committed = {tp: int(meta.offset) for tp, meta in offsets.items() if meta.offset >= 0}
    earliest, latest = _bounds(settings, committed)
    return GroupPosition(
        group=group,
        state=str(described.get("group_state") or "Dead"),
        members=len(described.get("members") or ()),
        committed=committed,
        earliest=earliest,
        latest=latest,
    )


def offsets_at(
    settings: KafkaSettings, partitions: Iterable[TopicPartition], at_ms: int
) -> dict[TopicPartition, int | None]:
    """The first offset with a record timestamp >= ``at_ms`` (None: no such record)."""
    consumer = KafkaConsumer(**settings.as_kafka_python(), request_timeout_ms=10_000)
    try:
        found = consumer.offsets_for_times(dict.fromkeys(partitions, at_ms))
    finally:
        consumer.close()
    return {tp: (None if hit is None else int(hit.offset)) for tp, hit in found.items()}


def commit_moves(settings: KafkaSettings, group: str, moves: Iterable[Move]) -> None:
    """Commit the moves for an idle group; :class:`GroupActive` if it has members now."""
    position = read_group(settings, group)
    if not position.idle:
        raise GroupActive(group, position.state, position.members)
    offsets = {m.partition: OffsetAndMetadata(m.target, "", None) for m in moves}
    client = admin(settings)
    try:
        results = client.alter_group_offsets(group, offsets)
    finally:
        client.close()
    failed = {tp: err for tp, err in results.items() if err.errno}
    if failed:
        raise GroupActive(group, "changing", len(failed))


def _bounds(
    settings: KafkaSettings, partitions: Iterable[TopicPartition]
) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
    tps = list(partitions)
    if not tps:
        return {}, {}
    consumer = KafkaConsumer(**settings.as_kafka_python(), request_timeout_ms=10_000)
    try:
        starts, ends = consumer.beginning_offsets(tps), consumer.end_offsets(tps)
    finally:
        consumer.close()
    return {tp: int(o) for tp, o in starts.items()}, {tp: int(o) for tp, o in ends.items()}
