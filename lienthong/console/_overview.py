"""What the console shows, computed from Kafka offsets and dead letters (pure functions).

Throughput comes from end offsets sampled twice: records written per second to the
ingress topics (in), the canonical topics (out) and the dead-letter topic. Agencies are
read from the ingress topic names (``<prefix>.ingress.<agency>.<event_type>``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class OffsetSample:
    """Sum of end offsets per topic at one moment (monotonic seconds)."""

    at: float
    ends: Mapping[str, int]


def topic_kind(topic: str, prefix: str) -> tuple[str, str | None]:
    """("ingress", agency) | ("events", None) | ("deadletter", None) | ("other", None)."""
    if topic == f"{prefix}.deadletter":
        return "deadletter", None
    if topic.startswith(f"{prefix}.events."):
        return "events", None
    if topic.startswith(f"{prefix}.ingress."):
        return "ingress", topic[len(prefix) + len(".ingress.") :].split(".", 1)[0]
    return "other", None


def throughput(before: OffsetSample | None, after: OffsetSample, prefix: str) -> dict[str, float]:
    """Records per second into ingress, canonical and dead-letter topics."""
    rates = {"in": 0.0, "out": 0.0, "deadletter": 0.0}
    if before is None or after.at <= before.at:
        return rates
    seconds = after.at - before.at
    names = {"ingress": "in", "events": "out", "deadletter": "deadletter"}
    for topic, end in after.ends.items():
        kind, _ = topic_kind(topic, prefix)
        if kind in names:
            rates[names[kind]] += max(0, end - before.ends.get(topic, end)) / seconds
    return rates


def agency_health(
    ends: Mapping[str, int], refused_agencies: Iterable[str], prefix: str
) -> list[dict[str, Any]]:
    """Per agency: events published, refused by the gate, and the refused share."""
    published: Counter[str] = Counter()
    for topic, end in ends.items():
        kind, agency = topic_kind(topic, prefix)
        if kind == "ingress" and agency:
            published[agency] += end
    refused = Counter(a for a in refused_agencies if a)
    rows = []
    for agency in sorted(set(published) | set(refused)):
        sent, bad = published[agency], refused[agency]
        share = bad / sent if sent else 0.0
        state = "ok" if share < 0.05 else ("degraded" if share < 0.2 else "failing")
        rows.append(
            {
                "agency": agency,
                "published": sent,
                "refused": bad,
                "refused_share": share,
                "state": state,
            }
        )
    return rows
