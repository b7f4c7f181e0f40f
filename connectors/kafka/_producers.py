"""Producer options with durability stated once, rendered for each client library.

Every producer of the axis writes with acks=all and idempotence on (order kept per key,
no duplicate on retry) and lz4 batches: stated here, never inherited from a library's
default (aiokafka's producer has idempotence *off* by default). Callers add what is
theirs (batch size, timeouts) as overrides.
"""

from __future__ import annotations

from typing import Any

from lienthong.connectors.kafka._lz4 import use_fast_lz4
from lienthong.connectors.kafka._settings import KafkaSettings

LINGER_MS = 5
"""How long a producer waits to fill a batch unless its caller says otherwise."""


def kafka_python_producer(settings: KafkaSettings, **overrides: Any) -> dict[str, Any]:
    """``kafka.KafkaProducer`` options: acks=all, idempotent, lz4 (the ``lz4`` extra)."""
    config = settings.as_kafka_python() | {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": LINGER_MS,
        "compression_type": "lz4",
    }
    return config | overrides


def aiokafka_producer(settings: KafkaSettings, **overrides: Any) -> dict[str, Any]:
    """``aiokafka.AIOKafkaProducer`` options: acks=all, idempotent, lz4 at level 1."""
    use_fast_lz4()
    config = settings.as_aiokafka() | {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": LINGER_MS,
        "compression_type": "lz4",
        "max_batch_size": 256 * 1024,
    }
    return config | overrides


def librdkafka_producer(settings: KafkaSettings, **overrides: Any) -> dict[str, Any]:
    """``confluent_kafka.Producer`` options: acks=all, idempotent, lz4, Java's partitioner.

    librdkafka's own default partitioner hashes with CRC32; ``murmur2_random`` is the
    Java client's, as kafka-python and aiokafka use: a key lands on the same partition
    whichever client sent it (the worker's per-entity state and order depend on it).
    """
    config = settings.as_librdkafka() | {
        "acks": "all",
        "enable.idempotence": True,
        "compression.type": "lz4",
        "partitioner": "murmur2_random",
        "linger.ms": LINGER_MS,
    }
    return config | overrides
