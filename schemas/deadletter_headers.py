"""The ``lt.dlq.*`` Kafka headers every dead letter carries, whoever wrote it.

The worker's gate, a subscriber and the connectors all write these, so ``lienthong dlq``,
the console and dashboards read every letter alike. Plain strings: this package never
imports a Kafka client.
"""

from __future__ import annotations

DLQ_PREFIX = "lt.dlq."
H_REASON = "lt.dlq.reason"
H_RULE = "lt.dlq.rule"
H_FIELD = "lt.dlq.field"
H_MESSAGE = "lt.dlq.message"
H_STAGE = "lt.dlq.stage"
H_SOURCE_TOPIC = "lt.dlq.source_topic"
H_SOURCE_PARTITION = "lt.dlq.source_partition"
H_SOURCE_OFFSET = "lt.dlq.source_offset"
H_SOURCE_TIMESTAMP = "lt.dlq.source_timestamp"
H_AGENCY = "lt.dlq.agency"
H_EVENT_ID = "lt.dlq.event_id"
H_EVENT_TYPE = "lt.dlq.event_type"
H_FIRST_SEEN = "lt.dlq.first_seen"
H_ATTEMPTS = "lt.dlq.attempts"
# A header is not a log: long messages are cut (pydantic can list many violations).
MAX_MESSAGE = 2000
