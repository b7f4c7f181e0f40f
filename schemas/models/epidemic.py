"""Epidemic case reports and quarantine zones, for the disease map (CDC, Sở Y tế).

Rules beyond Avro:

- a case id is pseudonymous (never shaped like an identity or phone number); disease
  codes are ICD-10; wards are commune-level GSO codes of Hậu Giang; coordinates are in
  range; the UNKNOWN symbol is for readers only;
- symptom onset is not after the report (``envelope.occurred_at``);
- a LIFTED zone has ``lifted_at``, an OPENED one has none; ``lifted_at ≥ opened_at``;
  a zone covers at least one ward, each once; its radius is positive.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import ClassVar

from lienthong.schemas.models._partial import known
from lienthong.schemas.models._types import (
    AvroInt,
    CommuneCode,
    Distinct,
    Icd10,
    KnownSymbol,
    NonBlank,
    NumberSymbol,
    Pseudonym,
    Timestamp,
)
from lienthong.schemas.models.common import EventModel, GeoPoint
from lienthong.schemas.rules.dates import not_after, not_before
from lienthong.schemas.rules.problem import Problem

NAMESPACE = "vn.haugiang.lienthong.cases"


class EpidemicCaseStatus(StrEnum):
    """Symbols of ``cases.EpidemicCaseStatus``."""

    UNKNOWN = "UNKNOWN"
    SUSPECTED = "SUSPECTED"
    CONFIRMED = "CONFIRMED"
    RECOVERED = "RECOVERED"
    DECEASED = "DECEASED"


class QuarantineZoneAction(StrEnum):
    """Symbols of ``cases.QuarantineZoneAction``."""

    UNKNOWN = "UNKNOWN"
    OPENED = "OPENED"
    LIFTED = "LIFTED"


class EpidemicCaseReport(EventModel):
    """A communicable-disease case was reported or changed state."""

    EVENT_TYPE: ClassVar[str] = "case.epidemic"
    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.EpidemicCaseReport"
    KEY_FIELD: ClassVar[str] = "case_id"

    case_id: Pseudonym
    disease_code: Icd10
    disease_name: NonBlank | None = None
    status: KnownSymbol[EpidemicCaseStatus]
    ward_code: CommuneCode
    location: GeoPoint | None = None
    reporting_facility: NonBlank
    onset_at: Timestamp | None = None

    def _problems(self) -> Iterable[Problem | None]:
        yield from super()._problems()
        if known("envelope"):
            yield not_after(
                "onset_at", self.onset_at, "envelope.occurred_at", self.envelope.occurred_at
            )


class QuarantineZone(EventModel):
    """A quarantine zone was opened or lifted."""

    EVENT_TYPE: ClassVar[str] = "case.quarantine_zone"
    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.QuarantineZone"
    KEY_FIELD: ClassVar[str] = "zone_id"

    zone_id: NonBlank
    action: KnownSymbol[QuarantineZoneAction]
    name: NonBlank
    disease_code: Icd10
    ward_codes: Distinct[CommuneCode]
    center: GeoPoint | None = None
    radius_m: AvroInt | None = None
    decision_number: NumberSymbol | None = None
    opened_at: Timestamp
    lifted_at: Timestamp | None = None

    def _problems(self) -> Iterable[Problem | None]:
        yield from super()._problems()
        if self.radius_m is not None and self.radius_m <= 0:
            yield Problem("radius_m", "positive", f"radius {self.radius_m} m is not positive")
        if known("action"):
            yield from self._lifted_by_action()
        yield not_before("lifted_at", self.lifted_at, "opened_at", self.opened_at)

    def _lifted_by_action(self) -> Iterable[Problem]:
        lifted = self.action is QuarantineZoneAction.LIFTED
        if lifted and self.lifted_at is None:
            yield Problem("lifted_at", "required_for_action", "a LIFTED zone needs lifted_at")
        if not lifted and self.lifted_at is not None:
            yield Problem("lifted_at", "forbidden_for_action", "an OPENED zone has no lifted_at")
