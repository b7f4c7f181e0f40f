"""What the views must show for a list of published events, computed independently.

Written from the events and the reference data only (not from the views' code): the
latest record of each entity wins; the SLA outcome of the realistic day's finished
dossiers follows from their procedure's legal time (all are received and returned on
the same morning, before the 15:00 cut-off).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from lienthong.schemas.calendar import VN_TZ, WorkingCalendar
from lienthong.schemas.models import (
    DossierLifecycle,
    DossierProgress,
    EpidemicCaseReport,
    EventModel,
    FeedbackCase,
    OfficialDocument,
    QuarantineZone,
    QuarantineZoneAction,
)
from lienthong.schemas.reference import communes_2024, procedures
from lienthong.schemas.sla import Period, SlaClock, classify, start
from lienthong.schemas.units import current_unit

from ..day import DAY, realistic_day

TERMINAL = {3, 7, 8, 10}
CALENDAR = WorkingCalendar()


def zone_events() -> list[EventModel]:
    """Two zones opened by Sở Y tế, one of them lifted later the same day."""
    wards = [c.code for c in communes_2024()[:3]]
    events: list[EventModel] = []
    for n, (zone, action) in enumerate(
        (("QZ-1", "OPENED"), ("QZ-2", "OPENED"), ("QZ-2", "LIFTED"))
    ):
        at = DAY + timedelta(minutes=10 * n)
        events.append(
            QuarantineZone(
                envelope=QuarantineZone.new_envelope("SYT", occurred_at=at),
                zone_id=zone,
                action=QuarantineZoneAction(action),
                name=f"Khu vực {zone}",
                disease_code="A90",
                ward_codes=wards[: 1 + n % 2],
                opened_at=DAY,
                lifted_at=at if action == "LIFTED" else None,
            )
        )
    return events


def mixed_day(seed: int = 11, scale: int = 1) -> list[EventModel]:
    """The consumers' realistic day (interleaved agencies) plus quarantine zones."""
    return realistic_day(seed, scale) + zone_events()


@dataclass
class Expected:
    """The figures every view must show."""

    status: dict[str, int] = field(default_factory=dict)
    agency: Counter[str] = field(default_factory=Counter)
    procedure: Counter[str] = field(default_factory=Counter)
    unit: Counter[str] = field(default_factory=Counter)
    unit_historical: Counter[str] = field(default_factory=Counter)
    day: Counter[str] = field(default_factory=Counter)
    outcome: Counter[str] = field(default_factory=Counter)
    overdue: set[str] = field(default_factory=set)
    steps: dict[str, int] = field(default_factory=dict)
    cases: dict[str, Counter[str]] = field(default_factory=dict)
    zones: list[str] = field(default_factory=list)
    feedback: dict[str, str] = field(default_factory=dict)
    inbox: dict[str, list[str]] = field(default_factory=dict)


def _tick(
    e: DossierLifecycle,
    first_received: dict[str, DossierLifecycle],
    clocks: dict[str, SlaClock],
    outcomes: dict[str, str],
    periods: dict[str, Period],
) -> None:
    received = first_received.get(e.MaHoSo)
    if received is None or received.NgayTiepNhan is None:
        return
    clock = clocks.get(e.MaHoSo) or start(received.NgayTiepNhan, periods[e.MaTTHC or ""], CALENDAR)
    if e.TrangThaiHoSo == 10 and e.NgayTra is not None:
        clock = clock.resume(e.NgayTra, CALENDAR)
        outcomes[e.MaHoSo] = classify(e.NgayTra, clock.due).value
    else:
        clock = clock.on_status(e.TrangThaiHoSo, e.envelope.occurred_at, CALENDAR)
    clocks[e.MaHoSo] = clock


def _unit_today(last: DossierLifecycle, received: DossierLifecycle | None) -> str:
    """The dossier's unit today: its code mapped on its receipt day (units.current_unit)."""
    if not last.MaDonViHanhChinh:
        return "unknown"
    moment = last.NgayTiepNhan or (received and received.NgayTiepNhan) or last.envelope.occurred_at
    return current_unit(last.MaDonViHanhChinh, moment.astimezone(VN_TZ).date())


def expected(events: list[EventModel]) -> Expected:
    periods = {p.code: Period.of(p) for p in procedures() if p.code}
    last: dict[str, DossierLifecycle] = {}
    first_received: dict[str, DossierLifecycle] = {}
    clocks: dict[str, SlaClock] = {}
    outcomes: dict[str, str] = {}
    steps: Counter[str] = Counter()
    case_last: dict[str, EpidemicCaseReport] = {}
    case_first: dict[str, EpidemicCaseReport] = {}
    zones: dict[str, QuarantineZone] = {}
    feedback: dict[str, FeedbackCase] = {}
    docs: dict[str, OfficialDocument] = {}
    for e in events:
        if isinstance(e, DossierLifecycle):
            last[e.MaHoSo] = e
            _tick(e, first_received, clocks, outcomes, periods)
            if e.NgayTiepNhan is not None:
                first_received.setdefault(e.MaHoSo, e)
        elif isinstance(e, DossierProgress):
            steps[e.MaHoSo] += 1
        elif isinstance(e, EpidemicCaseReport):
            case_last[e.case_id] = e
            case_first.setdefault(e.case_id, e)
        elif isinstance(e, QuarantineZone):
            zones[e.zone_id] = e
        elif isinstance(e, FeedbackCase):
            feedback[e.case_id] = e
        elif isinstance(e, OfficialDocument):
            docs[e.document_id] = e
    out = Expected(steps=dict(steps))
    out.status = dict(Counter(str(d.TrangThaiHoSo) for d in last.values()))
    for number, d in last.items():
        out.agency[d.envelope.source_agency] += 1
        out.procedure[d.MaTTHC or "unknown"] += 1
        received = first_received.get(number)
        out.unit_historical[d.MaDonViHanhChinh or "unknown"] += 1
        out.unit[_unit_today(d, received)] += 1
        day = (
            received.NgayTiepNhan.astimezone(VN_TZ).date().isoformat()
            if received and received.NgayTiepNhan
            else "not_received"
        )
        out.day[day] += 1
        if d.TrangThaiHoSo == 10:
            out.outcome[outcomes[number]] += 1
        elif d.TrangThaiHoSo not in TERMINAL and received is not None:
            out.overdue.add(number)  # the day is in 2025: every open clock has run out
    for case_id, c in case_last.items():
        first = case_first[case_id]
        key = f"{first.ward_code}|{first.envelope.occurred_at.astimezone(VN_TZ).date()}"
        out.cases.setdefault(key, Counter())[str(c.status)] += 1
    out.zones = sorted(z for z, e in zones.items() if e.action == "OPENED")
    out.feedback = {k: str(v.stage) for k, v in feedback.items()}
    for doc_id, doc in docs.items():
        for agency in doc.recipient_agencies:
            out.inbox.setdefault(agency, []).append(doc_id)
    return out
