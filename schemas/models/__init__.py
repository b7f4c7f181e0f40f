"""Pydantic models mirroring each Avro contract, with the business rules Avro cannot say.

One module per domain; every model has ``to_avro()`` and ``from_avro(dict)``, and every
event model an ``EVENT_TYPE``, ``AVRO_NAME`` and ``KEY_FIELD``. The catalogue
(:mod:`lienthong.schemas.catalogue`) ties each to its ``.avsc``.

Ownership (enforced by the gate, ``consumers/ownership.py``): an entity — a dossier
(``MaHoSo``), a feedback case or epidemic case report (``case_id``), a document
(``document_id``) — belongs to the ``envelope.source_agency`` of the first event that
brought it to the axis, and to the agencies its events hand it to: a feedback case's
``assigned_agency``, a document's ``issuing_agency`` and ``recipient_agencies``. An
event about it from any other agency is refused with reason ``not_owner``. Dossiers are
never handed over by an event (``DonViXuLy`` names a unit); quarantine zones are not
owned.
"""

from lienthong.schemas.models._base import AvroModel
from lienthong.schemas.models.common import Envelope, EventModel, GeoPoint
from lienthong.schemas.models.document import (
    Attachment,
    Confidentiality,
    DocumentDirection,
    DocumentUrgency,
    OfficialDocument,
)
from lienthong.schemas.models.dossier import DossierLifecycle, DossierProgress
from lienthong.schemas.models.epidemic import (
    EpidemicCaseReport,
    EpidemicCaseStatus,
    QuarantineZone,
    QuarantineZoneAction,
)
from lienthong.schemas.models.feedback import FeedbackCase, FeedbackChannel, FeedbackStage
from lienthong.schemas.models.security import AuditAction, AuditEvent, AuditOutcome
from lienthong.schemas.models.violations import Violation, describe, violations

__all__ = [
    "Attachment",
    "AuditAction",
    "AuditEvent",
    "AuditOutcome",
    "AvroModel",
    "Confidentiality",
    "DocumentDirection",
    "DocumentUrgency",
    "DossierLifecycle",
    "DossierProgress",
    "Envelope",
    "EpidemicCaseReport",
    "EpidemicCaseStatus",
    "EventModel",
    "FeedbackCase",
    "FeedbackChannel",
    "FeedbackStage",
    "GeoPoint",
    "OfficialDocument",
    "QuarantineZone",
    "QuarantineZoneAction",
    "Violation",
    "describe",
    "violations",
]
