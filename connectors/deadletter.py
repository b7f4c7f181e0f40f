"""Dead letters of the connectors: the worker's ``lt.dlq.*`` headers, connector reasons.

A connector that cannot pass something on writes it to a dead-letter topic (by default
the axis's ``lienthong.deadletter``) with the same headers the worker's gate writes,
so ``lienthong dlq`` and dashboards read both alike: both take the header names from
:mod:`lienthong.schemas.deadletter_headers`, the layer below both.

Reasons shared with the worker: the codec's (``bad_magic_byte`` …), ``unknown_event_type``,
``invalid_event``, ``key_mismatch``. Connector reasons:

========================  =============================================================
reason                    meaning
========================  =============================================================
bad_payload               an outbox payload or a file row is not a JSON object
delivery_failed           the webhook receiver kept failing until the retries ran out
rejected_by_receiver      the webhook receiver refused the event (a 4xx other than
                          408/425/429): retrying cannot help
sink_rejected             PostgreSQL refused the row (e.g. a NUL byte in text)
portal_rejected           the national portal never acknowledged the payload
unmapped_status           a dossier status has no national code in the mapping table
========================  =============================================================

For a source connector the "source" of a letter is not a Kafka record: ``source_topic``
holds ``outbox:<table>`` or ``folder:<file>``, ``source_offset`` the outbox position or
the file's row number, and ``source_partition`` is -1.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass

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
    H_SOURCE_TOPIC,
    H_STAGE,
    MAX_MESSAGE,
)
from lienthong.schemas.models import Violation

BAD_PAYLOAD = "bad_payload"
DELIVERY_FAILED = "delivery_failed"
REJECTED_BY_RECEIVER = "rejected_by_receiver"
SINK_REJECTED = "sink_rejected"
PORTAL_REJECTED = "portal_rejected"
UNMAPPED_STATUS = "unmapped_status"
INVALID_EVENT = "invalid_event"
UNKNOWN_EVENT_TYPE = "unknown_event_type"
KEY_MISMATCH = "key_mismatch"


Headers = list[tuple[str, bytes]]


@dataclass(frozen=True)
class Letter:
    """One refused item: why, where from, and the bytes to keep (key, value, headers)."""

    reason: str
    message: str
    stage: str
    source_topic: str
    source_offset: int
    key: bytes | None
    value: bytes | None
    source_partition: int = -1
    field: str = ""
    rule: str = ""
    agency: str | None = None
    event_id: str | None = None
    event_type: str | None = None
    attempts: int | None = None
    original_headers: Headers = dataclasses.field(default_factory=list)

    def headers(self, now_ms: int | None = None) -> Headers:
        """The original headers (minus old ``lt.dlq.*``) followed by this letter's."""
        kept = [(k, v) for k, v in self.original_headers if not k.startswith(DLQ_PREFIX)]
        pairs: list[tuple[str, str | None]] = [
            (H_REASON, self.reason),
            (H_RULE, self.rule or None),
            (H_FIELD, self.field or None),
            (H_MESSAGE, self.message[:MAX_MESSAGE]),
            (H_STAGE, self.stage),
            (H_SOURCE_TOPIC, self.source_topic),
            (H_SOURCE_PARTITION, str(self.source_partition)),
            (H_SOURCE_OFFSET, str(self.source_offset)),
            (H_AGENCY, self.agency),
            (H_EVENT_ID, self.event_id),
            (H_EVENT_TYPE, self.event_type),
            (H_FIRST_SEEN, str(now_ms if now_ms is not None else int(time.time() * 1000))),
            (H_ATTEMPTS, None if self.attempts is None else str(self.attempts)),
        ]
        return kept + [(k, v.encode("utf-8")) for k, v in pairs if v is not None]


def from_violations(items: list[Violation]) -> tuple[str, str, str]:
    """(field, rule, message) of a contract failure: the first field, every message."""
    if not items:
        return "", "", "the event breaks its contract"
    first = items[0]
    message = "; ".join(f"{v['field'] or '(event)'}: {v['message']} [{v['rule']}]" for v in items)
    return first["field"], first["rule"], message
