"""The security feed: refusals and administrative actions, on an append-only topic.

Every door of the axis (gateway, registry, console, query API), the worker's gate
(``not_owner``) and the administrative commands write here through one
:class:`AuditTrail` per service; Prometheus counts each event
(``lienthong_security_events_total``, ``lienthong_auth_failures_total``) and the alert
rules in ``monitoring/alerts.yaml`` watch them. ``lienthong audit tail`` and the
console's Security panel read the topic back (:func:`read_audit`).

    trail = AuditTrail("registry", KafkaAuditSink(kafka, lambda: registry), metrics)
    trail.record(AuditAction.SCHEMA_DELETED, "operator:admin", "deleted subject x", target="x")

The contract is ``security.AuditEvent`` (``schemas/avro``), in the axis' own catalogue.
"""

from lienthong.audit._kafka import AUDIT_RETENTION, KafkaAuditSink, audit_schema, audit_spec
from lienthong.audit._read import AuditRecord, decode_audit, read_audit
from lienthong.audit._settings import AuditSettings, open_trail
from lienthong.audit._trail import (
    ANONYMOUS,
    AXIS_AGENCY,
    REFUSALS,
    AuditSink,
    AuditTrail,
    MemoryAuditSink,
)
from lienthong.schemas.models import AuditAction, AuditEvent, AuditOutcome

__all__ = [
    "ANONYMOUS",
    "AUDIT_RETENTION",
    "AXIS_AGENCY",
    "REFUSALS",
    "AuditAction",
    "AuditEvent",
    "AuditOutcome",
    "AuditRecord",
    "AuditSettings",
    "AuditSink",
    "AuditTrail",
    "KafkaAuditSink",
    "MemoryAuditSink",
    "audit_schema",
    "audit_spec",
    "decode_audit",
    "open_trail",
    "read_audit",
]
