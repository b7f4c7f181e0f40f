"""On a cluster, producers do not create topics: they say who does and how."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from lienthong.connectors.kafka import KafkaSettings, TopicMissing, ensure_for_producer
from lienthong.connectors.topics import TopicLayout, topic_layout
from lienthong.producers import PublisherSettings, PublishRefused
from lienthong.producers._link import KafkaLink

pytestmark = pytest.mark.kafka


def test_a_cluster_refuses_to_auto_create_and_points_to_topics_apply(
    cluster_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    layout = topic_layout(cluster_settings)
    with pytest.raises(TopicMissing, match="lienthong topics apply"):
        ensure_for_producer(cluster_settings, layout.spec(unique_topic("ingress")))


def test_the_sdk_link_turns_the_refusal_into_publish_refused(
    cluster_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    link = KafkaLink(
        cluster_settings, PublisherSettings(create_topics=True), layout=TopicLayout("x")
    )
    with pytest.raises(PublishRefused, match="lienthong topics apply"):
        link.prepare(unique_topic("ingress"))


def test_one_broker_still_creates_as_the_layout_says(
    kafka_settings: KafkaSettings, unique_topic: Callable[[str], str]
) -> None:
    topic = unique_topic("ingress")
    ensure_for_producer(kafka_settings, TopicLayout(partitions=2).spec(topic))
    ensure_for_producer(kafka_settings, TopicLayout(partitions=2).spec(topic))  # idempotent
