"""Dead letters as data: the one model and the one reason registry of the whole axis.

A dead letter keeps the refused record exactly (same key, same bytes, same headers) and
adds ``lt.dlq.*`` headers (:mod:`lienthong.schemas.headers`) that say why, so it can be
inspected and replayed as it was. The worker's gate and stages, the subscribers, the
connectors, ``lienthong dlq`` and the console all write and read letters through this
module. Reason codes are a small, stable set (metric labels, filters of ``lienthong dlq``);
every code any writer uses is in :data:`REASONS`, with its meaning:

=====================  ============  ==================================================
reason                 written by    meaning
=====================  ============  ==================================================
bad_magic_byte …       codec         the codec's reasons (:mod:`lienthong.schemas.errors`):
schema_mismatch                      bad_magic_byte, truncated_payload, corrupt_payload,
                                     unknown_schema_id, schema_mismatch
unknown_event_type     gate, sinks   the record's Avro type is not in the catalogue
invalid_event          gate,         a contract rule is broken; ``rule`` and ``field``
                       sources       say which
illegal_transition     gate          the status may not follow the entity's last status
retired_unit           gate          a unit code retired on 1 July 2025 names an event
                                     dated from then; the message names its successor
duplicate_event        gate          an event with this event_id already passed the gate
not_owner              gate          the entity belongs to other agencies; this agency
                                     may not change it
wrong_topic            gate          the event's agency or type does not fit its topic
key_mismatch           gate,         the Kafka key is not the entity's id (per-entity
                       sources       order breaks)
handler_failed         subscriber    a subscriber's handler kept failing
internal_error         (none now)    kept to read older letters: the gate failed on the
                                     record (now ``processing_failed``, stage validate)
processing_failed      worker        a worker stage (the gate included) failed on this record;
                                     ``lt.dlq.stage`` names the stage and
                                     ``lt.dlq.exception_type`` the exception's class
output_too_large       worker        a record the worker derived from this input is
                                     larger than Kafka accepts; the ``source_*`` headers
                                     name the *input* topic, partition and offset
bad_payload            sources       an outbox payload or a file row is not a JSON object
delivery_failed        webhook       the receiver kept failing until the retries ran out
rejected_by_receiver   webhook       the receiver refused the event (a 4xx other than
                                     408/425/429): retrying cannot help
sink_rejected          postgres      PostgreSQL refused the row (e.g. a NUL byte in text)
portal_rejected        nat. portal   the national portal never acknowledged the payload
unmapped_status        nat. portal   a dossier status has no national code in the mapping
=====================  ============  ==================================================

For a source connector the "source" of a letter is not a Kafka record: ``source_topic``
holds ``outbox:<table>`` or ``folder:<file>``, ``source_offset`` the outbox position or
the file's row number, and ``source_partition`` is -1.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from lienthong.schemas import headers as h
from lienthong.schemas.headers import Headers
from lienthong.schemas.models import Violation, describe

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
NOT_OWNER = "not_owner"
KEY_MISMATCH = "key_mismatch"
HANDLER_FAILED = "handler_failed"
INTERNAL_ERROR = "internal_error"
PROCESSING_FAILED = "processing_failed"
OUTPUT_TOO_LARGE = "output_too_large"
BAD_PAYLOAD = "bad_payload"
DELIVERY_FAILED = "delivery_failed"
REJECTED_BY_RECEIVER = "rejected_by_receiver"
SINK_REJECTED = "sink_rejected"
PORTAL_REJECTED = "portal_rejected"
UNMAPPED_STATUS = "unmapped_status"
RETIRED_UNIT = "retired_unit"

REASONS: Mapping[str, str] = {
    BAD_MAGIC_BYTE: "the value does not start with the wire format's magic byte 0",
    TRUNCATED_PAYLOAD: "the value is shorter than its framing or its Avro body",
    CORRUPT_PAYLOAD: "the Avro body does not decode with its writer's schema",
    UNKNOWN_SCHEMA_ID: "the schema id is not in the registry",
    SCHEMA_MISMATCH: "the value does not fit the schema it claims",
    UNKNOWN_EVENT_TYPE: "the record's Avro type is not in the catalogue",
    INVALID_EVENT: "a contract rule is broken (rule and field say which)",
    ILLEGAL_TRANSITION: "the status may not follow the entity's last known status",
    DUPLICATE_EVENT: "an event with this event_id already passed the gate",
    WRONG_TOPIC: "the event's agency or type does not fit the topic it came on",
    NOT_OWNER: "the entity belongs to other agencies; this agency may not change it",
    KEY_MISMATCH: "the Kafka key is not the entity's id",
    HANDLER_FAILED: "a subscriber's handler kept failing",
    INTERNAL_ERROR: "the gate failed on this record (older letters; now processing_failed)",
    PROCESSING_FAILED: "a worker stage failed on this record (a bug: stage, exception_type)",
    OUTPUT_TOO_LARGE: "a record derived from this input is larger than Kafka accepts",
    BAD_PAYLOAD: "an outbox payload or a file row is not a JSON object",
    DELIVERY_FAILED: "the webhook receiver kept failing until the retries ran out",
    REJECTED_BY_RECEIVER: "the webhook receiver refused the event",
    SINK_REJECTED: "PostgreSQL refused the row",
    PORTAL_REJECTED: "the national portal never acknowledged the payload",
    UNMAPPED_STATUS: "a dossier status has no national code in the mapping table",
    RETIRED_UNIT: "a unit code retired on 1 July 2025 names a later event (message: successor)",
}
"""Every reason code a dead letter may carry → what it means (see the module docstring)."""

NOT_WORTH_REPLAYING = frozenset({DUPLICATE_EVENT})
"""Reasons whose letters a replay skips unless asked: the event already went through."""

_KNOWN = frozenset(
    {
        h.DLQ_REASON, h.DLQ_RULE, h.DLQ_FIELD, h.DLQ_MESSAGE, h.DLQ_STAGE, h.DLQ_EXCEPTION,
        h.DLQ_SOURCE_TOPIC, h.DLQ_SOURCE_PARTITION, h.DLQ_SOURCE_OFFSET,
        h.DLQ_SOURCE_TIMESTAMP, h.DLQ_AGENCY, h.DLQ_EVENT_ID, h.DLQ_EVENT_TYPE,
        h.DLQ_FIRST_SEEN, h.DLQ_ATTEMPTS,
    }
)  # fmt: skip


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

    @classmethod
    def broken_contract(
        cls,
        items: list[Violation],
        *,
        reason: str = INVALID_EVENT,
        agency: str | None = None,
        event_id: str | None = None,
        event_type: str | None = None,
    ) -> Refusal:
        """The refusal of an event that breaks its contract: first field and rule, all messages."""
        first = items[0] if items else Violation(field="", rule="", message="")
        return cls(
            reason,
            describe(items) or "the event breaks its contract",
            first["field"],
            first["rule"],
            agency,
            event_id,
            event_type,
        )


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
    exception_type: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        return self.refusal.reason

    def headers(self) -> Headers:
        """The ``lt.dlq.*`` headers of this letter (append them to the original's)."""
        r, s = self.refusal, self.source
        return h.encode(
            [
                (h.DLQ_REASON, r.reason),
                (h.DLQ_RULE, r.rule or None),
                (h.DLQ_FIELD, r.field or None),
                (h.DLQ_MESSAGE, r.message[: h.MAX_MESSAGE]),
                (h.DLQ_STAGE, self.stage),
                (h.DLQ_EXCEPTION, self.exception_type),
                (h.DLQ_SOURCE_TOPIC, s.topic),
                (h.DLQ_SOURCE_PARTITION, str(s.partition)),
                (h.DLQ_SOURCE_OFFSET, str(s.offset)),
                (h.DLQ_SOURCE_TIMESTAMP, _opt_str(s.timestamp_ms)),
                (h.DLQ_AGENCY, r.agency),
                (h.DLQ_EVENT_ID, r.event_id),
                (h.DLQ_EVENT_TYPE, r.event_type),
                (h.DLQ_FIRST_SEEN, str(self.first_seen_ms)),
                (h.DLQ_ATTEMPTS, _opt_str(self.attempts)),
                *((f"{h.DLQ_PREFIX}{k}", v) for k, v in self.extra.items()),
            ]
        )

    @classmethod
    def from_headers(cls, headers: Mapping[str, bytes]) -> DeadLetter | None:
        """Read a letter back from a dead-letter record's headers (``None``: not one)."""
        reason = h.text(headers, h.DLQ_REASON)
        topic = h.text(headers, h.DLQ_SOURCE_TOPIC)
        if reason is None or topic is None:
            return None
        extra = {
            k.removeprefix(h.DLQ_PREFIX): v.decode("utf-8", "replace")
            for k, v in headers.items()
            if k.startswith(h.DLQ_PREFIX) and k not in _KNOWN
        }
        return cls(
            refusal=Refusal(
                reason=reason,
                message=h.text(headers, h.DLQ_MESSAGE) or "",
                field=h.text(headers, h.DLQ_FIELD) or "",
                rule=h.text(headers, h.DLQ_RULE) or "",
                agency=h.text(headers, h.DLQ_AGENCY),
                event_id=h.text(headers, h.DLQ_EVENT_ID),
                event_type=h.text(headers, h.DLQ_EVENT_TYPE),
            ),
            source=Source(
                topic=topic,
                partition=_int(h.text(headers, h.DLQ_SOURCE_PARTITION), -1),
                offset=_int(h.text(headers, h.DLQ_SOURCE_OFFSET), -1),
                timestamp_ms=_opt_int(h.text(headers, h.DLQ_SOURCE_TIMESTAMP)),
            ),
            stage=h.text(headers, h.DLQ_STAGE) or "",
            first_seen_ms=_int(h.text(headers, h.DLQ_FIRST_SEEN), 0),
            attempts=_opt_int(h.text(headers, h.DLQ_ATTEMPTS)),
            exception_type=h.text(headers, h.DLQ_EXCEPTION),
            extra=extra,
        )


@dataclass(frozen=True)
class DeadRecord:
    """A dead-letter record: the refused record's key, bytes and headers, and its letter.

    What every writer sends to a dead-letter topic, and what ``lienthong dlq`` and the
    console read back (then ``ref`` says where it sits in its dead-letter topic).
    """

    letter: DeadLetter
    key: bytes | None
    value: bytes | None
    original_headers: Headers = field(default_factory=list)
    ref: str = ""

    @property
    def reason(self) -> str:
        return self.letter.reason

    def headers(self) -> Headers:
        """The original headers (minus any old ``lt.dlq.*``) followed by the letter's."""
        return [*without_dlq_headers(self.original_headers), *self.letter.headers()]

    @classmethod
    def refused(  # noqa: PLR0917  # the letter's parts and the record's, as read
        cls,
        refusal: Refusal,
        source: Source,
        stage: str,
        key: bytes | None,
        value: bytes | None,
        headers: Headers,
        *,
        attempts: int | None = None,
        now_ms: int | None = None,
    ) -> DeadRecord:
        """The dead record of a record refused now (a replayed one keeps its first_seen)."""
        now = now_ms if now_ms is not None else int(time.time() * 1000)
        seen = first_seen(h.as_dict(headers), now)
        return cls(DeadLetter(refusal, source, stage, seen, attempts), key, value, list(headers))

    @classmethod
    def read(
        cls, key: bytes | None, value: bytes | None, headers: Headers, ref: str
    ) -> DeadRecord | None:
        """The dead record of a record read from a dead-letter topic (``None``: not one)."""
        letter = DeadLetter.from_headers(h.as_dict(headers))
        if letter is None:
            return None
        return cls(letter, key, value, without_dlq_headers(headers), ref)


def first_seen(headers: Mapping[str, bytes], now_ms: int) -> int:
    """When the axis first refused this record: a replay keeps the original time."""
    carried = _opt_int(h.text(headers, h.REPLAY_FIRST_SEEN))
    return carried if carried is not None else now_ms


def without_dlq_headers(headers: Headers) -> Headers:
    """A dead letter's headers minus the ``lt.dlq.*`` ones: the record as first read."""
    return [(k, v) for k, v in headers if not k.startswith(h.DLQ_PREFIX)]


def _opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)


def _int(value: str | None, default: int) -> int:
    parsed = _opt_int(value)
    return default if parsed is None else parsed


def _opt_int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
