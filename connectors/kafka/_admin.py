"""Topics declared as :class:`TopicSpec` and created explicitly, through an admin client.

The local broker refuses auto-creation: a topic exists because a spec said how it
should be (partitions, replication, policy).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from lienthong.connectors.kafka._settings import KafkaSettings


@dataclass(frozen=True)
class TopicSpec:
    """A topic as the code that owns it wants it: partitions, replication, policy."""

    name: str
    partitions: int = 3
    replication: int = 1
    config: dict[str, str] = field(default_factory=dict)

    def new_topic(self) -> NewTopic:
        return NewTopic(
            name=self.name,
            num_partitions=self.partitions,
            replication_factor=self.replication,
            topic_configs=dict(self.config),
        )


def admin(settings: KafkaSettings, **overrides: Any) -> KafkaAdminClient:
    """An admin client for the configured cluster."""
    return KafkaAdminClient(**(settings.as_kafka_python() | overrides))


def ensure_topics(settings: KafkaSettings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the topics that do not exist yet; return the names created.

    Safe to call from several processes at once: a topic another process created in
    the meantime counts as present.
    """
    wanted = {spec.name: spec for spec in specs}
    client = admin(settings)
    try:
        existing = set(client.list_topics())
        missing = [spec for name, spec in wanted.items() if name not in existing]
        created: list[str] = []
        for spec in missing:
            try:
                client.create_topics([spec.new_topic()])
            except TopicAlreadyExistsError:
                continue
            created.append(spec.name)
        return created
    finally:
        client.close()


class TopicMissing(Exception):
    """A producer's topic does not exist, and producers do not create topics on a cluster."""


def ensure_for_producer(settings: KafkaSettings, spec: TopicSpec) -> None:
    """Create ``spec``'s topic on a single broker; on a cluster, only check it exists.

    On a cluster topics are an admin's decision (partitions, replication, ACLs), made
    once with ``lienthong topics apply``, not by whichever client wrote first.
    """
    if not settings.is_cluster:
        ensure_topics(settings, [spec])
        return
    client = admin(settings)
    try:
        exists = spec.name in set(client.list_topics())
    finally:
        client.close()
    if not exists:
        raise TopicMissing(
            f"topic {spec.name} does not exist, and producers do not create topics on a "
            f"cluster ({settings.bootstrap_servers}): an admin creates it with "
            "`lienthong topics apply --agency CODE` (see `lienthong topics plan`)"
        )
