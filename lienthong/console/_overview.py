"""What the console shows, computed from Kafka offsets and dead letters (pure functions).

Throughput comes from end offsets sampled twice: records written per second to the
ingress topics (in), the canonical topics (out) and the dead-letter topic.

Agencies are the reference table's (``schemas/reference/agencies.csv``), one row each,
labelled with the reference's name and code. Their events are counted on the ingress
topics the topic layout names for them (``layout.ingress(code, event_type)``) and their
refusals by the source agency the dead letter carries: a topic name is never parsed
back into an agency, since a code with dots or spaces does not survive the trip.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from lienthong.schemas.reference import Agency

CLAIMED = " (claimed)"
"""How the gate marks an agency read from an undecodable record's header (gate.py)."""


@dataclass(frozen=True)
class OffsetSample:
    """Sum of end offsets per topic at one moment (monotonic seconds)."""

    at: float
    ends: Mapping[str, int]


def topic_kind(topic: str, prefix: str) -> str:
    """ "ingress" | "events" | "deadletter" | "other"."""
    if topic == f"{prefix}.deadletter":
        return "deadletter"
    if topic.startswith(f"{prefix}.events."):
        return "events"
    if topic.startswith(f"{prefix}.ingress."):
        return "ingress"
    return "other"


def throughput(before: OffsetSample | None, after: OffsetSample, prefix: str) -> dict[str, float]:
    """Records per second into ingress, canonical and dead-letter topics."""
    rates = {"in": 0.0, "out": 0.0, "deadletter": 0.0}
    if before is None or after.at <= before.at:
        return rates
    seconds = after.at - before.at
    names = {"ingress": "in", "events": "out", "deadletter": "deadletter"}
    for topic, end in after.ends.items():
        kind = topic_kind(topic, prefix)
        if kind in names:
            rates[names[kind]] += max(0, end - before.ends.get(topic, end)) / seconds
    return rates


@dataclass(frozen=True)
class AgencyHealth:
    """One row per reference agency, and what could not be put on any of them."""

    rows: list[dict[str, Any]]
    unattributed: dict[str, int]


def agency_health(
    ends: Mapping[str, int],
    refused_by: Iterable[str | None],
    ingress_owner: Mapping[str, str],
    agencies: Sequence[Agency],
    prefix: str,
) -> AgencyHealth:
    """Per reference agency: events published, refused by the gate, the refused share.

    ``ingress_owner`` maps each ingress topic to its agency's code (from the layout);
    ``refused_by`` is each dead letter's source agency as the contract carries it.
    Ingress topics and refusals of no reference agency are counted as unattributed.
    """
    by_name = {a.code: a.code for a in agencies} | {a.abbr: a.code for a in agencies}
    published: Counter[str] = Counter()
    stray_published = 0
    for topic, end in ends.items():
        code = ingress_owner.get(topic)
        if code in by_name:
            published[by_name[code]] += end
        elif topic_kind(topic, prefix) == "ingress":
            stray_published += end
    refused: Counter[str] = Counter()
    stray_refused = 0
    for claimed in refused_by:
        code = by_name.get((claimed or "").removesuffix(CLAIMED))
        if code is None:
            stray_refused += 1
        else:
            refused[code] += 1
    rows = [_row(a, published[a.code], refused[a.code]) for a in agencies]
    return AgencyHealth(rows, {"published": stray_published, "refused": stray_refused})


def _row(agency: Agency, sent: int, bad: int) -> dict[str, Any]:
    share = bad / sent if sent else (1.0 if bad else 0.0)
    state = "ok" if share < 0.05 else ("degraded" if share < 0.2 else "failing")
    return {
        "code": agency.code,
        "name": agency.name,
        "abbr": agency.abbr,
        "published": sent,
        "refused": bad,
        "refused_share": share,
        "state": state if sent or bad else "idle",
    }
