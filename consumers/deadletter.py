"""Dead letters as data: why a record was refused, where it came from, and its headers.

A dead letter keeps the refused record exactly (same key, same bytes, same headers) and
adds ``lt.dlq.*`` headers that say why, so it can be inspected and replayed as it was.
Reason codes are a small, stable set (metric labels, filters of ``lienthong dlq``):

========================  =============================================================
reason                    meaning
========================  =============================================================
bad_magic_byte …          the codec's reasons (:mod:`lienthong.schemas.errors`):
schema_mismatch           bad_magic_byte, truncated_payload, corrupt_payload,
                          unknown_schema_id, schema_mismatch
unknown_event_type        the record's Avro type is not in the catalogue
invalid_event             a contract rule is broken; ``rule`` and ``field`` say which
illegal_transition        the status may not follow the entity's last known status
duplicate_event           an event with this event_id already passed the gate
wrong_topic               the event's agency or type does not fit the topic it came on
key_mismatch              the Kafka key is not the entity's id (per-entity order breaks)
handler_failed            a subscriber's handler kept failing (subscriber dead letters)
internal_error            the stage itself failed on this record (a bug: report it)
========================  =============================================================
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from lienthong.consumers.headers import Headers, encode, text
from lienthong.schemas.deadletter_headers import (
    DLQ_PREFIX,
    H_AGENCY,
    H_ATTEMPTS,
    H_EVENT_ID,
    H_EVENT_TYPE,
    H_FIELD,
    H_FIRST_SEEN,
    H_MESSAGE,
    H_REASON,
    H_RULE,
    H_SOURCE_OFFSET,
    H_SOURCE_PARTITION,
    H_SOURCE_TIMESTAMP,
    H_SOURCE_TOPIC,
    H_STAGE,
    MAX_MESSAGE,
)

BAD_MAGIC_BYTE = "bad_magic_byte"
TRUNCATED_PAYLOAD = "truncated_payload"
CORRUPT_PAYLOAD = "corrupt_payload"
UNKNOWN_SCHEMA_ID = "unknown_schema_id"
SCHEMA_MISMATCH = "schema_mismatch"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
INVALID_EVENT = "invalid_event"
ILLEGAL_TRANSITION = "illegal_transition"
DUPLICATE_EVENT = "duplicate_event"
WRONG_TOPIC = "wrong_topic"
KEY_MISMATCH = "key_mismatch"
HANDLER_FAILED = "handler_failed"
INTERNAL_ERROR = "internal_error"

REASONS = frozenset(
    {
        BAD_MAGIC_BYTE,
        TRUNCATED_PAYLOAD,
        CORRUPT_PAYLOAD,
        UNKNOWN_SCHEMA_ID,
        SCHEMA_MISMATCH,
        UNKNOWN_EVENT_TYPE,
        INVALID_EVENT,
        ILLEGAL_TRANSITION,
        DUPLICATE_EVENT,
        WRONG_TOPIC,
        KEY_MISMATCH,
        HANDLER_FAILED,
        INTERNAL_ERROR,
    }
)
"""Every reason code a dead letter may carry."""

NOT_WORTH_REPLAYING = frozenset({DUPLICATE_EVENT})
"""Reasons whose letters a replay skips unless asked: the event already went through."""


@dataclass(frozen=True)
class Refusal:
    """Why a record is refused, before anything about where it came from is known."""

    reason: str
    message: str
    field: str = ""
    rule: str = ""
    agency: str | None = None
    event_id: str | None = None
    event_type: str | None = None


@dataclass(frozen=True)
class Source:
    """Where a refused record was read: topic, partition, offset and its timestamp."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int | None = None


@dataclass(frozen=True)
class DeadLetter:
    """A refused record's reason and provenance, as the ``lt.dlq.*`` headers hold it."""

    refusal: Refusal
    source: Source
    stage: str
    first_seen_ms: int
    attempts: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.refusal.reason

    def headers(self) -> Headers:
        """The ``lt.dlq.*`` headers of this letter (append them to the original's)."""
        r, s = self.refusal, self.source
        return encode(
            [
                (H_REASON, r.reason),
                (H_RULE, r.rule or None),
                (H_FIELD, r.field or None),
                (H_MESSAGE, r.message[:MAX_MESSAGE]),
                (H_STAGE, self.stage),
                (H_SOURCE_TOPIC, s.topic),
                (H_SOURCE_PARTITION, str(s.partition)),
                (H_SOURCE_OFFSET, str(s.offset)),
                (H_SOURCE_TIMESTAMP, _opt_int(s.timestamp_ms)),
                (H_AGENCY, r.agency),
                (H_EVENT_ID, r.event_id),
                (H_EVENT_TYPE, r.event_type),
                (H_FIRST_SEEN, str(self.first_seen_ms)),
                (H_ATTEMPTS, _opt_int(self.attempts)),
                *((f"{DLQ_PREFIX}{k}", v) for k, v in self.extra.items()),
            ]
        )

    @classmethod
    def from_headers(cls, headers: Mapping[str, bytes]) -> DeadLetter | None:
        """Read a letter back from a dead-letter record's headers (``None``: not one)."""
        reason = text(headers, H_REASON)
        topic = text(headers, H_SOURCE_TOPIC)
        if reason is None or topic is None:
            return None
        known = {
            H_REASON, H_RULE, H_FIELD, H_MESSAGE, H_STAGE, H_SOURCE_TOPIC,
            H_SOURCE_PARTITION, H_SOURCE_OFFSET, H_SOURCE_TIMESTAMP, H_AGENCY,
            H_EVENT_ID, H_EVENT_TYPE, H_FIRST_SEEN, H_ATTEMPTS,
        }  # fmt: skip
        extra = {
            k.removeprefix(DLQ_PREFIX): v.decode("utf-8", "replace")
            for k, v in headers.items()
            if k.startswith(DLQ_PREFIX) and k not in known
        }
        return cls(
            refusal=Refusal(
                reason=reason,
                message=text(headers, H_MESSAGE) or "",
                field=text(headers, H_FIELD) or "",
                rule=text(headers, H_RULE) or "",
                agency=text(headers, H_AGENCY),
                event_id=text(headers, H_EVENT_ID),
                event_type=text(headers, H_EVENT_TYPE),
            ),
            source=Source(
                topic=topic,
                partition=_int(text(headers, H_SOURCE_PARTITION), -1),
                offset=_int(text(headers, H_SOURCE_OFFSET), -1),
                timestamp_ms=_opt(text(headers, H_SOURCE_TIMESTAMP)),
            ),
            stage=text(headers, H_STAGE) or "",
            first_seen_ms=_int(text(headers, H_FIRST_SEEN), 0),
            attempts=_opt(text(headers, H_ATTEMPTS)),
            extra=extra,
        )


def first_seen(headers: Mapping[str, bytes], now_ms: int) -> int:
    """When the axis first refused this record: a replay keeps the original time."""
    carried = _opt(text(headers, "lt.replay.first_seen"))
    return carried if carried is not None else now_ms


def without_dlq_headers(headers: list[tuple[str, bytes]]) -> Headers:
    """A dead letter's headers minus the ``lt.dlq.*`` ones: the record as first read."""
    return [(k, v) for k, v in headers if not k.startswith(DLQ_PREFIX)]


def _opt_int(value: int | None) -> str | None:
    return None if value is None else str(value)


def _int(value: str | None, default: int) -> int:
    parsed = _opt(value)
    return default if parsed is None else parsed


def _opt(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
