"""The axis's topic layout: every topic name and its settings come from here.

    lienthong.ingress.<agency>.<event_type>   what agencies publish (one per agency and type,
                                              so ACLs can be granted per agency)
    lienthong.events.<event_type>             canonical: events that passed the gate
    lienthong.deadletter                      everything the gate refused, reason in headers
    lienthong.sub.<subscriber>                per-subscriber topics filled by routing rules
    lienthong.sub.<group>.deadletter          a subscriber's own dead letters
    lienthong.deadletter.replayed             compacted ledger of dead letters replayed
    lienthong.audit                           the security feed (refusals, admin actions)

Names are pure functions; :func:`axis_topics` lists the specs the worker ensures. A
:class:`TopicLayout` with another prefix gives a whole second axis on one cluster (each
test uses its own); the module-level functions are the default layout's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from lienthong.connectors.kafka import TopicSpec

# Re-exported: the one fold of agency codes, shared with Kafka principals.
from lienthong.schemas.naming import topic_segment as topic_segment  # noqa: PLC0414

PREFIX = "lienthong"
INGRESS_PATTERN = r"lienthong\.ingress\..+"
DEADLETTER = f"{PREFIX}.deadletter"


@dataclass(frozen=True)
class TopicLayout:
    """Every topic name of one axis, under one prefix (``lienthong`` in production)."""

    prefix: str = PREFIX

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9._-]+", self.prefix):
            raise ValueError(f"{self.prefix!r} is not usable as a topic prefix")

    def ingress(self, agency: str, event_type: str) -> str:
        """Where ``agency`` publishes events of ``event_type``."""
        return f"{self.prefix}.ingress.{topic_segment(agency)}.{event_type}"

    @property
    def ingress_pattern(self) -> str:
        """A regular expression matching every ingress topic of this layout."""
        return re.escape(self.prefix) + r"\.ingress\..+"

    def canonical(self, event_type: str) -> str:
        """Where valid events of ``event_type`` continue after the gate."""
        return f"{self.prefix}.events.{event_type}"

    @property
    def deadletter(self) -> str:
        """Everything the gate refused, with the reason in headers."""
        return f"{self.prefix}.deadletter"

    @property
    def audit(self) -> str:
        """The security feed: refusals and administrative actions (append-only)."""
        return f"{self.prefix}.audit"

    @property
    def replay_ledger(self) -> str:
        """Compacted record of the dead letters already replayed (one key per letter)."""
        return f"{self.prefix}.deadletter.replayed"

    def subscriber(self, subscriber: str) -> str:
        """The topic routing rules fill for one downstream subscriber."""
        return f"{self.prefix}.sub.{topic_segment(subscriber)}"

    def subscriber_deadletter(self, group: str) -> str:
        """A subscriber's own dead-letter topic for events its handler could not take."""
        return f"{self.prefix}.sub.{topic_segment(group)}.deadletter"


DEFAULT_LAYOUT = TopicLayout()


def ingress_topic(agency: str, event_type: str) -> str:
    """Where ``agency`` publishes events of ``event_type``."""
    return DEFAULT_LAYOUT.ingress(agency, event_type)


def canonical_topic(event_type: str) -> str:
    """Where valid events of ``event_type`` continue after the gate."""
    return DEFAULT_LAYOUT.canonical(event_type)


def subscriber_topic(subscriber: str) -> str:
    """The topic routing rules fill for one downstream subscriber."""
    return DEFAULT_LAYOUT.subscriber(subscriber)


def subscriber_deadletter(group: str) -> str:
    """A subscriber's own dead-letter topic for events its handler could not take."""
    return DEFAULT_LAYOUT.subscriber_deadletter(group)


def faust_changelog(app_id: str, table: str) -> str:
    """The changelog topic faust-streaming reads and writes for ``table`` of ``app_id``."""
    return f"{app_id}-{table}-changelog"


# Dead letters are kept a long time: they are the evidence of what was refused.
_DEADLETTER_RETENTION = {"retention.ms": str(90 * 86_400_000)}
# Table changelogs and the replay ledger hold the latest value per key, forever.
_COMPACTED = {"cleanup.policy": "compact"}


def axis_topics(
    event_types: Iterable[str],
    agencies: Iterable[str] = (),
    *,
    partitions: int = 3,
    replication: int = 1,
    layout: TopicLayout = DEFAULT_LAYOUT,
    subscribers: Iterable[str] = (),
    subscriber_groups: Iterable[str] = (),
    worker_app_id: str | None = None,
    worker_tables: Iterable[str] = (),
) -> list[TopicSpec]:
    """Every topic the axis needs, with explicit partitions, replication and policy.

    Replication 1 suits the local broker; a cluster passes 3 (and sets
    min.insync.replicas=2 broker-side). ``subscribers`` adds the topics routing fills,
    ``subscriber_groups`` their dead-letter topics, and ``worker_app_id`` the faust
    worker's own topics: a compacted changelog per table in ``worker_tables``, with the
    ingress topics' partition count, as faust requires.
    """
    types = list(event_types)
    specs = [TopicSpec(layout.canonical(t), partitions, replication) for t in types]
    specs += [
        TopicSpec(layout.ingress(a, t), partitions, replication) for a in agencies for t in types
    ]
    specs.append(TopicSpec(layout.deadletter, partitions, replication, _DEADLETTER_RETENTION))
    specs += [TopicSpec(layout.subscriber(s), partitions, replication) for s in subscribers]
    specs += [
        TopicSpec(layout.subscriber_deadletter(g), partitions, replication, _DEADLETTER_RETENTION)
        for g in subscriber_groups
    ]
    if worker_app_id is not None:
        specs += [
            TopicSpec(faust_changelog(worker_app_id, table), partitions, replication, _COMPACTED)
            for table in worker_tables
        ]
    return _unique(specs)


def replay_ledger_spec(
    layout: TopicLayout = DEFAULT_LAYOUT, *, partitions: int = 1, replication: int = 1
) -> TopicSpec:
    """The compacted ledger ``lienthong dlq replay`` writes, so no letter goes twice."""
    return TopicSpec(layout.replay_ledger, partitions, replication, _COMPACTED)


def _unique(specs: list[TopicSpec]) -> list[TopicSpec]:
    seen: dict[str, TopicSpec] = {}
    for spec in specs:
        seen.setdefault(spec.name, spec)
    return list(seen.values())


CONNECT_POSITIONS = f"{PREFIX}.connect.positions"
"""Where source connectors keep their positions (compacted; written in their transactions)."""


def connect_positions_spec(replication: int = 1) -> TopicSpec:
    """The positions topic: one partition (tiny, read whole at start), compacted."""
    return TopicSpec(CONNECT_POSITIONS, 1, replication, {"cleanup.policy": "compact"})
