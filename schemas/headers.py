"""Kafka header names of the axis (``lt.*``, ``lt.dlq.*``), and the small conversions.

The one home of the wire's header vocabulary: the SDK, the gateway, the connectors, the
worker and the subscribers all take the names from here. Plain strings: this package
never imports a Kafka client.

Headers an agency's producer sets (``lt.event_id``, ``lt.event_type``,
``lt.source_agency``, ``lt.trace_id``) are hints, never trusted: the gate drops every
``lt.*`` header it receives and writes its own from the decoded payload, so that routing
can decide on headers alone. Header values are UTF-8 text; times are epoch milliseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Headers = list[tuple[str, bytes]]
"""Kafka headers as the Python clients take and give them."""

PREFIX = "lt."
EVENT_ID = "lt.event_id"
EVENT_TYPE = "lt.event_type"
AGENCY = "lt.source_agency"
TRACE_ID = "lt.trace_id"
# Written by the gate only.
OCCURRED_AT = "lt.occurred_at"
UNIT = "lt.unit"
# The units today (the 2025 reorganization applied to lt.unit on the event's legal date).
UNIT_CURRENT = "lt.unit_current"
DISTRICT = "lt.district"
STATUS = "lt.status"
RECIPIENTS = "lt.recipients"
CONFIDENTIALITY = "lt.confidentiality"
SCHEMA_ID = "lt.schema_id"
VALIDATED_BY = "lt.validated_by"
VALIDATED_AT = "lt.validated_at"
# Written by the route stage.
ROUTED_BY = "lt.routed_by"
# Written by `lienthong dlq replay` on a replayed record.
REPLAY_OF = "lt.replay.of"
REPLAY_FIRST_SEEN = "lt.replay.first_seen"

# Written on every dead letter, by whoever refused the record (lienthong.schemas.deadletter).
DLQ_PREFIX = "lt.dlq."
DLQ_REASON = "lt.dlq.reason"
DLQ_RULE = "lt.dlq.rule"
DLQ_FIELD = "lt.dlq.field"
DLQ_MESSAGE = "lt.dlq.message"
DLQ_STAGE = "lt.dlq.stage"
DLQ_EXCEPTION = "lt.dlq.exception_type"
DLQ_SOURCE_TOPIC = "lt.dlq.source_topic"
DLQ_SOURCE_PARTITION = "lt.dlq.source_partition"
DLQ_SOURCE_OFFSET = "lt.dlq.source_offset"
DLQ_SOURCE_TIMESTAMP = "lt.dlq.source_timestamp"
DLQ_AGENCY = "lt.dlq.agency"
DLQ_EVENT_ID = "lt.dlq.event_id"
DLQ_EVENT_TYPE = "lt.dlq.event_type"
DLQ_FIRST_SEEN = "lt.dlq.first_seen"
DLQ_ATTEMPTS = "lt.dlq.attempts"
# A header is not a log: long messages are cut (pydantic can list many violations).
MAX_MESSAGE = 2000

FACET_HEADERS: Mapping[str, str] = {
    "event_id": EVENT_ID,
    "event_type": EVENT_TYPE,
    "agency": AGENCY,
    "trace_id": TRACE_ID,
    "occurred_at": OCCURRED_AT,
    "unit": UNIT,
    "unit_current": UNIT_CURRENT,
    "district": DISTRICT,
    "status": STATUS,
    "recipients": RECIPIENTS,
    "confidentiality": CONFIDENTIALITY,
}
"""Facet name (as routing rules say it) → the trusted header carrying it."""

MULTI_VALUED = frozenset({"unit", "unit_current", "district", "recipients"})
"""Facets whose header holds several values, comma-separated."""


def as_dict(headers: Iterable[tuple[str, bytes]] | None) -> dict[str, bytes]:
    """Headers as a dict; for a repeated name the last value wins."""
    return dict(headers) if headers else {}


def text(headers: Mapping[str, bytes], name: str) -> str | None:
    """The header ``name`` as text, or ``None`` when absent."""
    value = headers.get(name)
    return None if value is None else value.decode("utf-8", "replace")


def untrusted_removed(headers: Sequence[tuple[str, bytes]] | None) -> Headers:
    """The headers minus every ``lt.*`` one (other headers, e.g. traceparent, pass)."""
    if not headers:
        return []
    return [(k, v) for k, v in headers if not k.startswith(PREFIX)]


def encode(pairs: Iterable[tuple[str, str | None]]) -> Headers:
    """Text header values as Kafka headers, skipping ``None`` values."""
    return [(k, v.encode("utf-8")) for k, v in pairs if v is not None]
