"""The shared partitioner places keys exactly where aiokafka and kafka-python do."""

from __future__ import annotations

import random

from aiokafka.partitioner import murmur2 as aiokafka_murmur2
from kafka.partitioner.default import murmur2 as kafka_python_murmur2

from lienthong.connectors.kafka import murmur2, partition_for


def test_the_fast_murmur2_equals_aiokafkas_on_keys_of_every_length() -> None:
    rng = random.Random(4)
    for length in range(70):
        for _ in range(10):
            key = rng.randbytes(length)
            assert murmur2(key) == aiokafka_murmur2(key)


def test_a_key_lands_in_the_partition_kafka_pythons_default_partitioner_picks() -> None:
    rng = random.Random(5)
    for partitions in (1, 3, 6, 12):
        for _ in range(200):
            key = rng.randbytes(rng.randrange(1, 40))
            # kafka-python's DefaultPartitioner.partition, without its cluster metadata
            expected = (kafka_python_murmur2(key) & 0x7FFFFFFF) % partitions
            assert partition_for(key, partitions) == expected
