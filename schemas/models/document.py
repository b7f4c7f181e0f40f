"""Official documents (văn bản đi/đến) of the document management system.

Rules beyond Avro:

- number and symbol as Nghị định 30/2020/NĐ-CP writes them (e.g. ``123/QĐ-UBND``);
  issuing and recipient agencies are agency codes, recipients at least one and distinct;
  digests are SHA-256 hex; sizes are not negative; UNKNOWN symbols are for readers only;
- the signing day is not after the issuing day, compared as Vietnamese calendar days
  (an issuing date is a day; a signature has a time);
- a RECEIVED document has ``received_at``, on or after the issuing day.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from lienthong.schemas.models._base import AvroModel
from lienthong.schemas.models._types import (
    AgencyCode,
    AvroLong,
    Distinct,
    KnownSymbol,
    NonBlank,
    NumberSymbol,
    Sha256,
    Timestamp,
)
from lienthong.schemas.models.common import EventModel
from lienthong.schemas.rules.dates import not_after_day, not_before_day
from lienthong.schemas.rules.problem import Problem

NAMESPACE = "vn.haugiang.lienthong.document"


class DocumentDirection(StrEnum):
    """Symbols of ``document.DocumentDirection``."""

    UNKNOWN = "UNKNOWN"
    ISSUED = "ISSUED"
    RECEIVED = "RECEIVED"


class DocumentUrgency(StrEnum):
    """Symbols of ``document.DocumentUrgency`` (độ khẩn)."""

    UNKNOWN = "UNKNOWN"
    NORMAL = "NORMAL"
    URGENT = "URGENT"
    VERY_URGENT = "VERY_URGENT"
    FLASH = "FLASH"


class Confidentiality(StrEnum):
    """Symbols of ``document.Confidentiality`` (độ mật)."""

    UNKNOWN = "UNKNOWN"
    UNCLASSIFIED = "UNCLASSIFIED"
    CONFIDENTIAL = "CONFIDENTIAL"
    # Secrecy levels, not credentials (ruff's S105 matches the word).
    SECRET = "SECRET"  # noqa: S105
    TOP_SECRET = "TOP_SECRET"  # noqa: S105


class Attachment(AvroModel):
    """A file of a document, identified by its SHA-256 digest (``document.Attachment``)."""

    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.Attachment"

    file_name: NonBlank
    sha256: Sha256
    size_bytes: AvroLong | None = None

    def _problems(self) -> Iterable[Problem | None]:
        if self.size_bytes is not None and self.size_bytes < 0:
            yield Problem("size_bytes", "not_negative", f"size {self.size_bytes} is negative")


class OfficialDocument(EventModel):
    """An official document was issued or received."""

    EVENT_TYPE: ClassVar[str] = "document.official"
    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.OfficialDocument"
    KEY_FIELD: ClassVar[str] = "document_id"

    document_id: NonBlank
    direction: KnownSymbol[DocumentDirection]
    number_symbol: NumberSymbol
    document_type: NonBlank | None = None
    issuing_agency: AgencyCode
    issuing_agency_name: NonBlank | None = None
    recipient_agencies: Distinct[AgencyCode]
    subject: NonBlank
    signed_at: Timestamp
    issued_at: Timestamp
    received_at: Timestamp | None = None
    urgency: KnownSymbol[DocumentUrgency]
    confidentiality: KnownSymbol[Confidentiality]
    attachments: list[Attachment] = Field(default_factory=list)
    signature_present: bool

    def _problems(self) -> Iterable[Problem | None]:
        yield from super()._problems()
        yield not_after_day("signed_at", self.signed_at, "issued_at", self.issued_at)
        if self.direction is DocumentDirection.RECEIVED and self.received_at is None:
            yield Problem(
                "received_at", "required_for_direction", "a RECEIVED document needs received_at"
            )
        yield not_before_day("received_at", self.received_at, "issued_at", self.issued_at)
