import re

import pytest

from lienthong.connectors.topics import (
    DEADLETTER,
    INGRESS_PATTERN,
    axis_topics,
    canonical_topic,
    ingress_topic,
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
    specs = {s.name: s for s in axis_topics(["dossier.lifecycle"], ["SYT"], replication=3)}
    assert set(specs) == {
        "lienthong.events.dossier.lifecycle",
        "lienthong.ingress.syt.dossier.lifecycle",
        DEADLETTER,
    }
    assert all(s.replication == 3 for s in specs.values())
