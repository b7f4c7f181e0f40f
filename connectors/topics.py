"""The axis's topic layout: every topic name and its settings come from here.

    lienthong.ingress.<agency>.<event_type>   what agencies publish (one per agency and type,
                                              so ACLs can be granted per agency)
    lienthong.events.<event_type>             canonical: events that passed the gate
    lienthong.deadletter                      everything the gate refused, reason in headers
    lienthong.sub.<subscriber>                per-subscriber topics filled by routing rules

Names are pure functions; :func:`axis_topics` lists the specs the worker ensures.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from lienthong.connectors.kafka import TopicSpec

PREFIX = "lienthong"
INGRESS_PATTERN = r"lienthong\.ingress\..+"
DEADLETTER = f"{PREFIX}.deadletter"

_UNSAFE = re.compile(r"[^a-z0-9._-]+")


def topic_segment(text: str) -> str:
    """A Kafka-safe, lower-case ASCII form of an agency code or name.

    "000.00.00.H30" → "000.00.00.h30"; "Sở Y tế" → "so-y-te"; "SNN&PTNT" → "snn-ptnt".
    """
    folded = unicodedata.normalize("NFKD", text.replace("Đ", "D").replace("đ", "d"))
    ascii_text = folded.encode("ascii", "ignore").decode().lower()
    segment = _UNSAFE.sub("-", ascii_text).strip("-.")
    if not segment:
        raise ValueError(f"{text!r} has no character usable in a topic name")
    return segment


def ingress_topic(agency: str, event_type: str) -> str:
    """Where ``agency`` publishes events of ``event_type``."""
    return f"{PREFIX}.ingress.{topic_segment(agency)}.{event_type}"


def canonical_topic(event_type: str) -> str:
    """Where valid events of ``event_type`` continue after the gate."""
    return f"{PREFIX}.events.{event_type}"


def subscriber_topic(subscriber: str) -> str:
    """The topic routing rules fill for one downstream subscriber."""
    return f"{PREFIX}.sub.{topic_segment(subscriber)}"


def subscriber_deadletter(group: str) -> str:
    """A subscriber's own dead-letter topic for events its handler could not take."""
    return f"{PREFIX}.sub.{topic_segment(group)}.deadletter"


def axis_topics(
    event_types: Iterable[str],
    agencies: Iterable[str] = (),
    *,
    partitions: int = 3,
    replication: int = 1,
) -> list[TopicSpec]:
    """Every topic the axis needs, with explicit partitions, replication and policy.

    Replication 1 suits the local broker; a cluster passes 3 (and sets
    min.insync.replicas=2 broker-side).
    """
    types = list(event_types)
    specs = [TopicSpec(canonical_topic(t), partitions, replication) for t in types]
    specs += [
        TopicSpec(ingress_topic(a, t), partitions, replication) for a in agencies for t in types
    ]
    # Dead letters are kept a long time: they are the evidence of what was refused.
    specs.append(
        TopicSpec(DEADLETTER, partitions, replication, {"retention.ms": str(90 * 86_400_000)})
    )
    return specs
