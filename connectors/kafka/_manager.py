"""The topic manager: compare the topics a layout wants with the cluster, create what lacks.

Checking is pure (:func:`compare`): a wanted :class:`TopicSpec` against what the cluster
describes (partitions, replication, the configs the spec states). Creating never
changes an existing topic: a partition count that differs is a procedure (keyed state
is co-partitioned), replication is a reassignment, and a config change deserves a
person's decision, so they are reported for an admin instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import Enum

from kafka.admin import ConfigResource, ConfigResourceType
from kafka.errors import TopicAlreadyExistsError

from lienthong.connectors.kafka._admin import TopicSpec, admin
from lienthong.connectors.kafka._settings import KafkaSettings


class TopicState(Enum):
    MISSING = "missing"
    CREATED = "created"
    OK = "ok"
    DIFFERS = "differs"


@dataclass(frozen=True)
class Existing:
    """What the cluster says of one topic."""

    partitions: int
    replication: int
    config: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicCheck:
    """One wanted topic and how the cluster compares; ``problems`` say what differs."""

    spec: TopicSpec
    state: TopicState
    problems: tuple[str, ...] = ()


def compare(spec: TopicSpec, existing: Existing | None) -> TopicCheck:
    """How ``existing`` (``None``: absent) differs from ``spec``; pure."""
    if existing is None:
        return TopicCheck(spec, TopicState.MISSING)
    problems = []
    if existing.partitions != spec.partitions:
        problems.append(f"{existing.partitions} partitions, the layout says {spec.partitions}")
    if existing.replication != spec.replication:
        problems.append(f"replication {existing.replication}, the layout says {spec.replication}")
    for key, wanted in sorted(spec.config.items()):
        found = existing.config.get(key)
        if found != wanted:
            problems.append(
                f"{key}={found if found is not None else '(broker default)'}, "
                f"the layout says {wanted}"
            )
    return TopicCheck(spec, TopicState.DIFFERS if problems else TopicState.OK, tuple(problems))


def describe(settings: KafkaSettings, names: Iterable[str]) -> dict[str, Existing]:
    """Partitions, replication and stated configs of the topics of ``names`` that exist."""
    client = admin(settings)
    try:
        present = sorted(set(names) & set(client.list_topics()))
        if not present:
            return {}
        described = {t["name"]: t for t in client.describe_topics(present)}
        resources = [ConfigResource(ConfigResourceType.TOPIC, name) for name in present]
        configs = client.describe_configs(resources, config_filter="all")["topic"]
    finally:
        client.close()
    found: dict[str, Existing] = {}
    for name in present:
        partitions = described[name]["partitions"]
        found[name] = Existing(
            partitions=len(partitions),
            replication=max((len(p["replica_nodes"]) for p in partitions), default=0),
            config={k: str(v["value"]) for k, v in configs.get(name, {}).items()},
        )
    return found


def plan_topics(settings: KafkaSettings, specs: Iterable[TopicSpec]) -> list[TopicCheck]:
    """Every wanted topic compared with the cluster; changes nothing."""
    wanted = list(specs)
    existing = describe(settings, [s.name for s in wanted])
    return [compare(spec, existing.get(spec.name)) for spec in wanted]


def apply_topics(
    settings: KafkaSettings,
    specs: Iterable[TopicSpec],
    on_topic: Callable[[TopicCheck], None] = lambda _: None,
) -> list[TopicCheck]:
    """Create the missing topics; check the others. Never alters an existing topic.

    ``on_topic`` hears of each topic as it is settled (for progress).
    """
    checks = plan_topics(settings, specs)
    client = admin(settings)
    settled: list[TopicCheck] = []
    try:
        for planned in checks:
            check = planned
            if planned.state is TopicState.MISSING:
                try:
                    client.create_topics([planned.spec.new_topic()])
                    check = TopicCheck(planned.spec, TopicState.CREATED)
                except TopicAlreadyExistsError:  # made meanwhile by someone else: check it
                    check = plan_topics(settings, [planned.spec])[0]
            on_topic(check)
            settled.append(check)
    finally:
        client.close()
    return settled
