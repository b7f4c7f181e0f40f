"""The SDK's partitioner puts every record where kafka-python's default would."""

from __future__ import annotations

import random

import pytest
from kafka.partitioner import DefaultPartitioner

from lienthong.producers import KeyPartitioner

TOPIC = "lt.in.000.00.00.H30.dossier.lifecycle"


class _Cluster:
    """The three questions kafka-python's partitioners ask of the cluster metadata."""

    def __init__(self, partitions: set[int]) -> None:
        self._partitions = partitions

    def topics(self) -> set[str]:
        return {TOPIC}

    def partitions_for_topic(self, topic: str) -> set[int] | None:
        return set(self._partitions) if topic == TOPIC else None

    def available_partitions_for_topic(self, topic: str) -> set[int] | None:
        return self.partitions_for_topic(topic)


@pytest.mark.parametrize(
    "partitions",
    [{0}, {0, 1, 2}, set(range(12)), {0, 1, 3}, {1, 2, 3}],
    ids=["one", "three", "twelve", "gap", "no-zero"],
)
def test_a_keyed_record_lands_where_the_default_partitioner_puts_it(
    partitions: set[int],
) -> None:
    cluster, rng = _Cluster(partitions), random.Random(7)
    ours, theirs = KeyPartitioner(), DefaultPartitioner()
    for _ in range(300):
        key = rng.randbytes(rng.randrange(0, 40))
        expected = theirs.partition(TOPIC, key, key, None, b"v", cluster)
        assert ours.partition(TOPIC, key, key, None, b"v", cluster) == expected


def test_a_record_without_a_key_goes_to_one_of_the_topics_partitions() -> None:
    placed = {KeyPartitioner().partition(TOPIC, None, None, None, b"v", _Cluster({0, 1, 2}))}
    assert placed <= {0, 1, 2}


def test_an_unknown_topic_is_refused_like_the_default_does() -> None:
    with pytest.raises(ValueError, match="not found"):
        KeyPartitioner().partition("lt.unknown", b"k", b"k", None, b"v", _Cluster({0}))
