"""The axis's topic layout: every topic name and its settings come from here.

    lienthong.ingress.<agency>.<event_type>   what agencies publish (one per agency and type,
                                              so ACLs can be granted per agency)
    lienthong.events.<event_type>             canonical: events that passed the gate
    lienthong.deadletter                      everything the gate refused, reason in headers
    lienthong.sub.<subscriber>                per-subscriber topics filled by routing rules
    lienthong.sub.<group>.deadletter          a subscriber's own dead letters
    lienthong.deadletter.replayed             compacted ledger of dead letters replayed
    lienthong.audit                           the security feed (refusals, admin actions)

    lienthong.connect.positions               source connectors' positions (compacted)

Names are pure functions; :meth:`TopicLayout.spec` gives every topic the layout's
partitions, replication factor and ``min.insync.replicas``, so no caller chooses them, and
:func:`axis_topics` lists the specs of the axis (``lienthong topics plan`` prints them). A
:class:`TopicLayout` with another prefix gives a whole second axis on one cluster (each
test uses its own); the module-level functions are the default layout's.

:class:`TopicSettings` (``LIENTHONG_TOPIC_*``) builds the layout every process uses. Its
defaults follow the bootstrap list: one broker (a laptop, the demo, the tests) gets
3 partitions, replication 1, min.insync 1; several brokers (a cluster) get 12 partitions,
replication 3 and min.insync 2, so one broker may fail without losing an acknowledged
event or stopping writes. Partitions are the ceiling of parallelism (one consumer per
partition): 12 lets 1, 2, 3, 4, 6 or 12 workers share the load evenly. The worker's keyed
state is co-partitioned with its input, so changing partitions later is a procedure
(README, "Running on a cluster"), not a setting flip.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.connectors.kafka import KafkaSettings, TopicSpec

# Re-exported: the one fold of agency codes, shared with Kafka principals.
from lienthong.schemas.naming import topic_segment as topic_segment  # noqa: PLC0414

PREFIX = "lienthong"
INGRESS_PATTERN = r"lienthong\.ingress\..+"
DEADLETTER = f"{PREFIX}.deadletter"


LOCAL_PARTITIONS = 3
CLUSTER_PARTITIONS = 12

# Dead letters are kept a long time: they are the evidence of what was refused.
DEADLETTER_POLICY = {"cleanup.policy": "delete", "retention.ms": str(90 * 86_400_000)}
# Table changelogs, the replay ledger and positions hold the latest value per key, forever.
COMPACTED = {"cleanup.policy": "compact"}
# Event topics keep the broker's retention (log.retention.hours, 7 days by default).
EVENTS_POLICY = {"cleanup.policy": "delete"}


@dataclass(frozen=True)
class TopicLayout:
    """Every topic of one axis: names under one prefix, and how each topic is made."""

    prefix: str = PREFIX
    partitions: int = LOCAL_PARTITIONS
    replication: int = 1
    min_insync: int = 1

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Za-z0-9._-]+", self.prefix):
            raise ValueError(f"{self.prefix!r} is not usable as a topic prefix")
        if self.partitions < 1 or self.replication < 1:
            raise ValueError("partitions and replication must be at least 1")
        if not 1 <= self.min_insync <= self.replication:
            raise ValueError(
                f"min.insync.replicas {self.min_insync} must be between 1 and the "
                f"replication factor {self.replication}"
            )

    def spec(
        self, name: str, config: dict[str, str] | None = None, *, partitions: int | None = None
    ) -> TopicSpec:
        """``name`` as this layout makes topics: its replication and min.insync, always."""
        return TopicSpec(
            name,
            partitions or self.partitions,
            self.replication,
            {**(config or EVENTS_POLICY), "min.insync.replicas": str(self.min_insync)},
        )

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

    @property
    def connect_positions(self) -> str:
        """Where source connectors keep their positions (written in their transactions)."""
        return f"{self.prefix}.connect.positions"


DEFAULT_LAYOUT = TopicLayout()


class TopicSettings(BaseSettings):
    """The topic layout of every process (``LIENTHONG_TOPIC_*``); see the module doc."""

    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_TOPIC_", env_file=".env", extra="ignore"
    )

    prefix: str = Field(
        default=PREFIX, description="Prefix of every axis topic (another one: a separate axis)."
    )
    partitions: int | None = Field(
        default=None,
        ge=1,
        description="Partitions of the topics the axis creates: the most consumers of one "
        "group that can share a topic (default: 3 on one broker, 12 on a cluster).",
    )
    replication: int | None = Field(
        default=None,
        ge=1,
        description="Replication factor of every topic the axis creates (default: 1 on one "
        "broker, 3 when LIENTHONG_BOOTSTRAP_SERVERS lists several).",
    )
    min_insync: int | None = Field(
        default=None,
        ge=1,
        description="min.insync.replicas of every topic: copies an acks=all write needs "
        "(default: replication - 1, at least 1, at most 2).",
    )

    def layout(self, kafka: KafkaSettings) -> TopicLayout:
        """The layout for the cluster ``kafka`` reaches, defaults filled in."""
        cluster = kafka.is_cluster
        replication = self.replication or (3 if cluster else 1)
        partitions = self.partitions or (CLUSTER_PARTITIONS if cluster else LOCAL_PARTITIONS)
        min_insync = self.min_insync or max(1, min(2, replication - 1))
        return TopicLayout(self.prefix, partitions, replication, min_insync)


def topic_layout(kafka: KafkaSettings, **overrides: object) -> TopicLayout:
    """The layout from ``LIENTHONG_TOPIC_*``, with ``overrides`` (None: not given) on top."""
    given = {k: v for k, v in overrides.items() if v is not None}
    return TopicSettings(**given).layout(kafka)  # type: ignore[arg-type]


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


def axis_topics(
    event_types: Iterable[str],
    agencies: Iterable[str] = (),
    *,
    layout: TopicLayout = DEFAULT_LAYOUT,
    subscribers: Iterable[str] = (),
    subscriber_groups: Iterable[str] = (),
    worker_app_id: str | None = None,
    worker_tables: Iterable[str] = (),
) -> list[TopicSpec]:
    """Every topic the axis needs, made as ``layout`` says (partitions, replication, policy).

    ``subscribers`` adds the topics routing fills, ``subscriber_groups`` their dead-letter
    topics, and ``worker_app_id`` the faust worker's own topics: a compacted changelog
    per table in ``worker_tables``, with the ingress topics' partition count, as faust
    requires.
    """
    types = list(event_types)
    specs = [layout.spec(layout.canonical(t)) for t in types]
    specs += [layout.spec(layout.ingress(a, t)) for a in agencies for t in types]
    specs.append(layout.spec(layout.deadletter, DEADLETTER_POLICY))
    specs += [layout.spec(layout.subscriber(s)) for s in subscribers]
    specs += [
        layout.spec(layout.subscriber_deadletter(g), DEADLETTER_POLICY) for g in subscriber_groups
    ]
    if worker_app_id is not None:
        specs += [
            layout.spec(faust_changelog(worker_app_id, table), COMPACTED) for table in worker_tables
        ]
    return _unique(specs)


def replay_ledger_spec(layout: TopicLayout = DEFAULT_LAYOUT) -> TopicSpec:
    """The compacted ledger ``lienthong dlq replay`` writes, so no letter goes twice."""
    return layout.spec(layout.replay_ledger, COMPACTED, partitions=1)


def _unique(specs: list[TopicSpec]) -> list[TopicSpec]:
    seen: dict[str, TopicSpec] = {}
    for spec in specs:
        seen.setdefault(spec.name, spec)
    return list(seen.values())


CONNECT_POSITIONS = DEFAULT_LAYOUT.connect_positions
"""The default layout's positions topic."""


def connect_positions_spec(layout: TopicLayout = DEFAULT_LAYOUT) -> TopicSpec:
    """The positions topic: one partition (tiny, read whole at start), compacted."""
    return layout.spec(layout.connect_positions, COMPACTED, partitions=1)
