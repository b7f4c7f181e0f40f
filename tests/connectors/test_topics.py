import re

import pytest

from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import (
    DEADLETTER,
    DEADLETTER_POLICY,
    INGRESS_PATTERN,
    TopicLayout,
    axis_topics,
    canonical_topic,
    connect_positions_spec,
    ingress_topic,
    replay_ledger_spec,
    topic_layout,
    topic_segment,
)


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("000.00.00.H30", "000.00.00.h30"),
        ("Sở Y tế", "so-y-te"),
        ("SNN&PTNT", "snn-ptnt"),
        ("SKHĐT", "skhdt"),
        ("CDC Hậu Giang", "cdc-hau-giang"),
    ],
)
def test_segments_are_kafka_safe(text: str, segment: str) -> None:
    assert topic_segment(text) == segment
    assert re.fullmatch(r"[a-zA-Z0-9._-]+", segment)


def test_unusable_text_is_refused() -> None:
    with pytest.raises(ValueError, match="topic name"):
        topic_segment("&&&")


def test_ingress_topics_match_the_worker_pattern() -> None:
    topic = ingress_topic("Sở Y tế", "case.epidemic")
    assert topic == "lienthong.ingress.so-y-te.case.epidemic"
    assert re.fullmatch(INGRESS_PATTERN, topic)
    assert not re.fullmatch(INGRESS_PATTERN, canonical_topic("case.epidemic"))


def test_axis_topics_are_explicit() -> None:
    layout = TopicLayout(replication=3, min_insync=2)
    specs = {s.name: s for s in axis_topics(["dossier.lifecycle"], ["SYT"], layout=layout)}
    assert set(specs) == {
        "lienthong.events.dossier.lifecycle",
        "lienthong.ingress.syt.dossier.lifecycle",
        DEADLETTER,
    }
    assert all(s.replication == 3 for s in specs.values())
    assert all(s.config["min.insync.replicas"] == "2" for s in specs.values())


@pytest.mark.parametrize(
    ("servers", "env", "expected"),
    [
        ("127.0.0.1:9092", {}, (3, 1, 1)),
        ("k1:9092,k2:9092,k3:9092", {}, (12, 3, 2)),
        ("127.0.0.1:9092,127.0.0.1:9093,127.0.0.1:9094", {}, (12, 3, 2)),
        ("k1:9092,k2:9092", {"LIENTHONG_TOPIC_REPLICATION": "2"}, (12, 2, 1)),
        (
            "k1:9092",
            {"LIENTHONG_TOPIC_PARTITIONS": "24", "LIENTHONG_TOPIC_MIN_INSYNC": "1"},
            (24, 1, 1),
        ),
    ],
)
def test_the_layout_follows_the_bootstrap_list_unless_set(
    servers: str,
    env: dict[str, str],
    expected: tuple[int, int, int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("PARTITIONS", "REPLICATION", "MIN_INSYNC", "PREFIX"):
        monkeypatch.delenv(f"LIENTHONG_TOPIC_{name}", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    layout = topic_layout(KafkaSettings(bootstrap_servers=servers))
    assert (layout.partitions, layout.replication, layout.min_insync) == expected
    spec = layout.spec(layout.deadletter, DEADLETTER_POLICY)
    assert spec.replication == expected[1]
    assert spec.config["min.insync.replicas"] == str(expected[2])


def test_single_order_topics_keep_one_partition() -> None:
    layout = TopicLayout(partitions=12, replication=3, min_insync=2)
    assert replay_ledger_spec(layout).partitions == 1
    assert connect_positions_spec(layout).partitions == 1
    assert connect_positions_spec(layout).replication == 3


def test_min_insync_above_replication_is_refused() -> None:
    with pytest.raises(ValueError, match=r"min\.insync\.replicas 2"):
        TopicLayout(replication=1, min_insync=2)
