"""The security feed's contract: what a door refused, and every administrative action.

Written by the axis' services, never by agencies: it is not in the agencies' catalogue
(:func:`~lienthong.schemas.catalogue.catalogue`) but in the axis' own
(:func:`~lienthong.schemas.catalogue.axis_catalogue`), so the gate refuses an agency
that tries to publish one.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from lienthong.schemas.models._types import KnownSymbol, NonBlank, Symbol
from lienthong.schemas.models.common import EventModel

NAMESPACE = "vn.haugiang.lienthong.security"


class AuditAction(StrEnum):
    """Symbols of ``security.AuditAction``."""

    UNKNOWN = "UNKNOWN"
    AUTH_FAILED = "AUTH_FAILED"
    REQUEST_REFUSED = "REQUEST_REFUSED"
    ACL_DENIED = "ACL_DENIED"
    NOT_OWNER = "NOT_OWNER"
    SCHEMA_REGISTERED = "SCHEMA_REGISTERED"
    SCHEMA_DELETED = "SCHEMA_DELETED"
    COMPATIBILITY_CHANGED = "COMPATIBILITY_CHANGED"
    KEY_ADDED = "KEY_ADDED"
    KEY_REVOKED = "KEY_REVOKED"
    OPERATOR_CHANGED = "OPERATOR_CHANGED"
    GRANT_CHANGED = "GRANT_CHANGED"
    REPLAY = "REPLAY"
    PROVISION = "PROVISION"
    LOGIN = "LOGIN"
    OFFSETS_RESET = "OFFSETS_RESET"


class AuditOutcome(StrEnum):
    """Symbols of ``security.AuditOutcome``."""

    REFUSED = "REFUSED"
    ALLOWED = "ALLOWED"


class AuditEvent(EventModel):
    """A refusal or an administrative action seen by one of the axis' services."""

    EVENT_TYPE: ClassVar[str] = "security.audit"
    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.AuditEvent"
    KEY_FIELD: ClassVar[str] = "actor"

    action: KnownSymbol[AuditAction]
    outcome: Symbol[AuditOutcome]
    actor: NonBlank
    service: NonBlank
    target: str | None = None
    reason: str | None = None
    detail: str
    client: str | None = None
