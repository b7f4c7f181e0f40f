"""Kafka, the axis's backbone: the one client layer every component builds on.

- :class:`KafkaSettings` is how to reach Kafka (``LIENTHONG_BOOTSTRAP_SERVERS``, TLS,
  SASL), rendered for each client library: :meth:`~KafkaSettings.as_kafka_python`,
  :meth:`~KafkaSettings.as_aiokafka`, :meth:`~KafkaSettings.as_librdkafka` and
  :meth:`~KafkaSettings.as_faust`.
- Producer options with the axis's durability (acks=all, idempotence, lz4):
  :func:`kafka_python_producer`, :func:`aiokafka_producer`, :func:`librdkafka_producer`.
- Topics: :class:`TopicSpec`, :func:`ensure_topics`, :func:`admin`, and
  :func:`ensure_for_producer` (creates on one broker, only checks on a cluster). Which
  topics and how they are made is :mod:`lienthong.connectors.topics` (the layout); the
  topic manager compares them with the cluster (:func:`plan_topics`) and creates what
  lacks without ever altering a topic (:func:`apply_topics`).
- Consumer groups' offsets (``lienthong offsets``): :func:`read_group`, a pure
  :func:`plan_moves`, :func:`offsets_at` a time, :func:`commit_moves` only while idle.
- Placing records ourselves: Kafka's murmur2 partitioner (:func:`partition_for`), the
  aiokafka :class:`BatchPacker`, and aiokafka's lz4 at the fast level
  (:func:`use_fast_lz4`).

No other module builds a client's configuration: a secured or bigger cluster is one
change here, not one per client.
"""

from lienthong.connectors.kafka._admin import (
    TopicMissing,
    TopicSpec,
    admin,
    ensure_for_producer,
    ensure_topics,
)
from lienthong.connectors.kafka._batches import BatchPacker, Slot
from lienthong.connectors.kafka._groups import (
    GroupActive,
    GroupPosition,
    Move,
    commit_moves,
    offsets_at,
    plan_moves,
    read_group,
)
from lienthong.connectors.kafka._lz4 import FAST_LEVEL, fast_lz4, use_fast_lz4
from lienthong.connectors.kafka._manager import (
    Existing,
    TopicCheck,
    TopicState,
    apply_topics,
    compare,
    describe,
    plan_topics,
)
from lienthong.connectors.kafka._murmur2 import key_hash, murmur2, partition_for
from lienthong.connectors.kafka._producers import (
    LINGER_MS,
    aiokafka_producer,
    kafka_python_producer,
    librdkafka_producer,
)
from lienthong.connectors.kafka._settings import KafkaSettings, SaslMechanism, SecurityProtocol

__all__ = [
    "FAST_LEVEL",
    "LINGER_MS",
    "BatchPacker",
    "Existing",
    "GroupActive",
    "GroupPosition",
    "KafkaSettings",
    "Move",
    "SaslMechanism",
    "SecurityProtocol",
    "Slot",
    "TopicCheck",
    "TopicMissing",
    "TopicSpec",
    "TopicState",
    "admin",
    "aiokafka_producer",
    "apply_topics",
    "commit_moves",
    "compare",
    "describe",
    "ensure_for_producer",
    "ensure_topics",
    "fast_lz4",
    "kafka_python_producer",
    "key_hash",
    "librdkafka_producer",
    "murmur2",
    "offsets_at",
    "partition_for",
    "plan_moves",
    "plan_topics",
    "read_group",
    "use_fast_lz4",
]
