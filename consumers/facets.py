"""What the gate vouches for about a valid event: its facets, and its status rules.

Facets are the fields routing may decide on (event type, agency, administrative unit
and district, status, recipients, confidentiality, …). The gate computes them once from
the validated payload and writes them as trusted headers, so that nothing after it has
to open the payload to route. Pure functions of a model; no I/O.

Status tracking per event type (the table in :data:`STATUS_TRACKS`) says which field is
an entity's status and which changes are legal against the last known status:

- ``dossier.lifecycle``: ``TrangThaiHoSo``, by the portal's transition table
  (:func:`lienthong.schemas.rules.transitions.transition_problem`);
- ``case.feedback``: ``stage`` only moves forward (received → assigned → answered →
  published), a repeat being a harmless re-sync.

Other types carry a status header but no transition rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from functools import cache
from types import MappingProxyType

from lienthong.schemas import headers as h
from lienthong.schemas.calendar import VN_TZ
from lienthong.schemas.models import (
    DossierLifecycle,
    DossierProgress,
    EpidemicCaseReport,
    EventModel,
    FeedbackCase,
    FeedbackStage,
    OfficialDocument,
    QuarantineZone,
)
from lienthong.schemas.reference import units_2024
from lienthong.schemas.rules.transitions import transition_problem
from lienthong.schemas.units import current_unit

TransitionCheck = Callable[[str | None, str], str | None]
"""(last known status or None, new status) → why that is illegal, or None."""


@dataclass(frozen=True)
class StatusTrack:
    """Which field holds an entity's status, and the rule for changing it (if any)."""

    field: str
    check: TransitionCheck | None = None


def _dossier_transition(previous: str | None, new: str) -> str | None:
    try:
        return transition_problem(None if previous is None else int(previous), int(new))
    except ValueError:
        return f"status {new!r} (after {previous!r}) is not a portal status code"


_STAGE_ORDER = {stage.value: n for n, stage in enumerate(FeedbackStage)}


def _feedback_stage(previous: str | None, new: str) -> str | None:
    if previous is None or new == previous:
        return None
    if _STAGE_ORDER.get(new, -1) < _STAGE_ORDER.get(previous, -1):
        return f"a feedback case cannot go back from {previous} to {new}"
    return None


STATUS_TRACKS: Mapping[str, StatusTrack] = MappingProxyType(
    {
        DossierLifecycle.EVENT_TYPE: StatusTrack("TrangThaiHoSo", _dossier_transition),
        DossierProgress.EVENT_TYPE: StatusTrack("TrangThai"),
        EpidemicCaseReport.EVENT_TYPE: StatusTrack("status"),
        QuarantineZone.EVENT_TYPE: StatusTrack("action"),
        FeedbackCase.EVENT_TYPE: StatusTrack("stage", _feedback_stage),
        OfficialDocument.EVENT_TYPE: StatusTrack("direction"),
    }
)


@cache
def _district_of() -> Mapping[str, str]:
    # A commune's district, and a district is its own: routing by district then works
    # whichever level an agency codes its events at.
    table = {u.code: u.district_code or u.code for u in units_2024()}
    return MappingProxyType(table)


def _text(value: object) -> str:
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _millis(value: datetime) -> int:
    return int(value.timestamp() * 1000)


# Built per event: slots, not frozen (frozen costs ~1 µs more per object); never mutated.
@dataclass(slots=True)
class Facets:
    """The trusted facts about one valid event, as routing sees them."""

    event_id: str
    event_type: str
    agency: str
    trace_id: str
    occurred_at_ms: int
    key: str
    status: str | None = None
    units: tuple[str, ...] = ()
    current_units: tuple[str, ...] = ()  # the units today (2025 reorganization applied)
    districts: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()
    confidentiality: str | None = None

    def header_pairs(self) -> list[tuple[str, str | None]]:
        """The trusted ``lt.*`` headers carrying these facets."""
        return [
            (h.EVENT_ID, self.event_id),
            (h.EVENT_TYPE, self.event_type),
            (h.AGENCY, self.agency),
            (h.TRACE_ID, self.trace_id),
            (h.OCCURRED_AT, str(self.occurred_at_ms)),
            (h.STATUS, self.status),
            (h.UNIT, ",".join(self.units) or None),
            (h.UNIT_CURRENT, ",".join(self.current_units) or None),
            (h.DISTRICT, ",".join(self.districts) or None),
            (h.RECIPIENTS, ",".join(self.recipients) or None),
            (h.CONFIDENTIALITY, self.confidentiality),
        ]


UNIT_FIELDS: Mapping[type[EventModel], str] = MappingProxyType(
    {
        DossierLifecycle: "MaDonViHanhChinh",
        EpidemicCaseReport: "ward_code",
        QuarantineZone: "ward_codes",
        FeedbackCase: "ward_code",
    }
)
"""The field holding an event type's administrative unit codes (what :func:`_units` reads)."""


def legal_day(event: EventModel) -> date:
    """The local day whose units an event's codes name: a dossier's receipt, else when
    the event happened (a later event of a dossier received before 1 July 2025 carries
    NgayTiepNhan to keep its old unit code)."""
    moment = event.envelope.occurred_at
    if isinstance(event, DossierLifecycle) and event.NgayTiepNhan is not None:
        moment = event.NgayTiepNhan
    return moment.astimezone(VN_TZ).date()


def _units(event: EventModel) -> tuple[str, ...]:
    if isinstance(event, DossierLifecycle):
        return (event.MaDonViHanhChinh,) if event.MaDonViHanhChinh else ()
    if isinstance(event, EpidemicCaseReport):
        return (event.ward_code,)
    if isinstance(event, QuarantineZone):
        return tuple(event.ward_codes)
    if isinstance(event, FeedbackCase):
        return (event.ward_code,) if event.ward_code else ()
    return ()


def status_of(event: EventModel) -> str | None:
    """The entity status an event carries, as text (``None`` for untracked types)."""
    track = STATUS_TRACKS.get(event.EVENT_TYPE)
    if track is None:
        return None
    value = getattr(event, track.field, None)
    return None if value is None else _text(value)


def facets_of(event: EventModel) -> Facets:
    """The facets of a validated event."""
    envelope = event.envelope
    units = _units(event)
    district_of = _district_of()
    districts = tuple(dict.fromkeys(district_of[u] for u in units if u in district_of))
    recipients: tuple[str, ...] = ()
    confidentiality = None
    if isinstance(event, OfficialDocument):
        recipients = tuple(event.recipient_agencies)
        confidentiality = _text(event.confidentiality)
    return Facets(
        event_id=str(envelope.event_id),
        event_type=envelope.event_type,
        agency=envelope.source_agency,
        trace_id=envelope.trace_id,
        occurred_at_ms=_millis(envelope.occurred_at),
        key=event.key(),
        status=status_of(event),
        units=units,
        current_units=tuple(dict.fromkeys(current_unit(u, legal_day(event)) for u in units)),
        districts=districts,
        recipients=recipients,
        confidentiality=confidentiality,
    )


def transition_problem_for(event_type: str, previous: str | None, new: str | None) -> str | None:
    """Why ``new`` may not follow ``previous`` for an entity of ``event_type`` (or None)."""
    track = STATUS_TRACKS.get(event_type)
    if track is None or track.check is None or new is None:
        return None
    return track.check(previous, new)
