"""Dossier current state and its legal SLA clock (pure: no Kafka, no faust).

A table value is a plain JSON-able dict (:data:`DossierState`), so the changelog holds
readable JSON and replaying the same events gives the same bytes. Every ``apply_*``
function takes the previous state (or ``None``) and one decoded canonical record and
returns the new state, or ``None`` when the event was already applied (idempotent by
``event_id``; see :func:`seen`).

Times are epoch milliseconds (UTC) in the state: cheaper to store and compare than
datetimes, and the SLA clock converts only where it needs calendars.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from lienthong.schemas.calendar import VN_TZ, CalendarSettings, WorkingCalendar
from lienthong.schemas.reference import DayUnit, procedures
from lienthong.schemas.rules.dossier_codes import STATUSES, StatusCode
from lienthong.schemas.sla import Period, SlaClock, classify, start
from lienthong.schemas.units import current_unit

DossierState = dict[str, Any]
APPLIED_IDS = 64
"""Event ids remembered per entity. Records of one entity arrive in order on one
partition; a redelivery after a crash replays at most the batches not yet committed, far
fewer than 64 events of one entity, so a duplicate always meets its id here."""
MAX_STEPS = 200
"""Handling steps kept per dossier (the portal shows the latest ones)."""
OVERDUE_EVENT_TYPE = "dossier.overdue"
_OVERDUE_NS = uuid.UUID("6f1d3c1e-4b1a-5e0c-9d38-0b6c2f7a9e11")


def ms(moment: datetime | int | None) -> int | None:
    """Epoch milliseconds of a decoded Avro timestamp (datetime) or an int."""
    if moment is None:
        return None
    if isinstance(moment, int):
        return moment
    return int(moment.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1000, UTC)


def local_day(value: int | None) -> str | None:
    """The Vietnamese calendar day (YYYY-MM-DD) of an epoch-ms time."""
    if value is None:
        return None
    return from_ms(value).astimezone(VN_TZ).date().isoformat()


def seen(state: Mapping[str, Any] | None, event_id: str) -> bool:
    """Whether ``event_id`` was already applied to this entity."""
    return state is not None and event_id in state.get("applied", ())


def remember(state: dict[str, Any], event_id: str) -> None:
    """Add ``event_id`` to the entity's bounded window of applied ids."""
    ids = [*state.get("applied", ()), event_id]
    state["applied"] = ids[-APPLIED_IDS:]


@cache
def calendar() -> WorkingCalendar:
    """The public-sector calendar: reference holidays, ``LIENTHONG_OFFICE_HOURS``."""
    return WorkingCalendar(office_hours=CalendarSettings().hours())


@cache
def periods() -> dict[str, Period]:
    """Legal processing period by MaTTHC (days, unit, cut-off), from procedures.csv."""
    return {p.code: Period.of(p) for p in procedures() if p.code}


def _empty(ma_ho_so: str) -> DossierState:
    return {
        "ma_ho_so": ma_ho_so,
        "status": None,
        "steps": [],
        "sla": {"due": None, "paused_since": None, "outcome": None, "overdue_emitted": False},
        "applied": [],
    }


def is_open(state: Mapping[str, Any]) -> bool:
    """Not yet in a terminal status (3, 7, 8, 10): the clock can still run out."""
    status = state.get("status")
    return status is not None and not STATUSES[StatusCode(status)].terminal


def _clock(sla: Mapping[str, Any]) -> SlaClock | None:
    if sla["due"] is None:
        return None
    paused, started, unit = sla["paused_since"], sla.get("started"), sla.get("unit")
    return SlaClock(
        due=from_ms(sla["due"]),
        paused_since=None if paused is None else from_ms(paused),
        started=None if started is None else from_ms(started),
        unit=None if unit is None else DayUnit(unit),
    )


def _store_clock(sla: dict[str, Any], clock: SlaClock) -> None:
    sla["due"] = ms(clock.due)
    sla["paused_since"] = ms(clock.paused_since)
    sla["started"] = ms(clock.started)
    sla["unit"] = None if clock.unit is None else clock.unit.value


def _start_clock(state: DossierState) -> None:
    """Start the clock once the dossier is received and its legal time is known."""
    sla = state["sla"]
    received = state.get("received_at")
    if sla["due"] is not None or received is None:
        return
    period = periods().get(state.get("procedure") or "")
    if period is not None:
        _store_clock(sla, start(from_ms(received), period, calendar()))
    elif state.get("appointment_at") is not None:
        # A procedure outside the reference: trust the appointment the desk gave.
        sla["due"] = state["appointment_at"]


def _advance_clock(state: DossierState, status: int, at_ms: int) -> None:
    sla = state["sla"]
    clock = _clock(sla)
    if clock is None:
        return
    cal = calendar()
    if status == StatusCode.RESULT_RETURNED and state.get("returned_at") is not None:
        finished = from_ms(state["returned_at"])
        clock = clock.resume(finished, cal)
        _store_clock(sla, clock)
        sla["outcome"] = classify(finished, clock.due).value
        return
    _store_clock(sla, clock.on_status(status, from_ms(at_ms), cal))


def _current_unit(state: DossierState, at_ms: int) -> str | None:
    """The unit today of the dossier's unit code, on its receipt day (else the event's):
    the same mapping the gate writes in ``lt.unit_current``, so a replay gives the same."""
    original = state.get("unit_code_original")
    if not original:
        return None
    day = from_ms(state.get("received_at") or at_ms).astimezone(VN_TZ).date()
    return current_unit(original, day)


def apply_lifecycle(state: DossierState | None, record: Mapping[str, Any]) -> DossierState | None:
    """The dossier after a ``dossier.lifecycle`` record (None: already applied)."""
    envelope = record["envelope"]
    event_id = str(envelope["event_id"])
    if seen(state, event_id):
        return None
    new = _copy(state) if state is not None else _empty(record["MaHoSo"])
    at = ms(envelope["occurred_at"]) or 0
    status = int(record["TrangThaiHoSo"])
    new.update(
        status=status,
        status_label=STATUSES[StatusCode(status)].label_vi,
        procedure=record.get("MaTTHC"),
        procedure_name=record.get("TenTTHC"),
        field=record.get("TenLinhVuc") or record.get("MaLinhVuc"),
        applicant=record.get("ChuHoSo"),
        applicant_type=record.get("LoaiDoiTuong"),
        id_number=record.get("MaDoiTuong"),
        phone=record.get("SoDienThoai"),
        summary=record.get("TrichYeuHoSo"),
        unit_name=record.get("DonViXuLy"),
        unit_code_original=record.get("MaDonViHanhChinh"),
        agency=envelope["source_agency"],
        updated_at=at,
    )
    # Dates once known stay known: a later re-sync without them does not erase them.
    for key, source in (
        ("received_at", "NgayTiepNhan"),
        ("appointment_at", "NgayHenTra"),
        ("returned_at", "NgayTra"),
    ):
        value = ms(record.get(source))
        if value is not None:
            new[key] = value
        new.setdefault(key, None)
    new["unit_code"] = _current_unit(new, at)
    if record.get("NoiDungBoSung") is not None:
        new["supplement"] = {
            "content": record["NoiDungBoSung"],
            "new_appointment_at": ms(record.get("NgayHenTraMoi")),
        }
    _start_clock(new)
    _advance_clock(new, status, at)
    remember(new, event_id)
    return new


def apply_progress(state: DossierState | None, record: Mapping[str, Any]) -> DossierState | None:
    """The dossier after a ``dossier.progress`` step (it may arrive before the lifecycle)."""
    envelope = record["envelope"]
    event_id = str(envelope["event_id"])
    if seen(state, event_id):
        return None
    new = _copy(state) if state is not None else _empty(record["MaHoSo"])
    step = {
        "at": ms(record["ThoiDiemXuLy"]),
        "handler": record["NguoiXuLy"],
        "title": record.get("ChucDanh"),
        "department": record["PhongBanXuLy"],
        "content": record["NoiDungXuLy"],
        "status": int(record["TrangThai"]),
        "due_at": ms(record.get("NgayKetThucTheoQuyDinh")),
    }
    # The two topics are not ordered with each other: keep steps sorted by their time.
    new["steps"] = sorted([*new["steps"], step], key=lambda s: s["at"] or 0)[-MAX_STEPS:]
    remember(new, event_id)
    return new


def _copy(state: DossierState) -> DossierState:
    new = dict(state)
    new["sla"] = dict(state["sla"])
    return new


def becomes_overdue(state: Mapping[str, Any], now_ms: int) -> bool:
    """Open, past its due time (paused time not counted), and not yet announced."""
    sla = state["sla"]
    if sla["overdue_emitted"] or not is_open(state):
        return False
    clock = _clock(sla)
    return clock is not None and clock.is_overdue(from_ms(now_ms))


def is_overdue_now(state: Mapping[str, Any], now_ms: int) -> bool:
    """Open and past its due time now (announced or not)."""
    clock = _clock(state["sla"])
    return is_open(state) and clock is not None and clock.is_overdue(from_ms(now_ms))


def overdue_event(state: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    """The one overdue event of a dossier's due time.

    Its ``event_id`` is derived from (MaHoSo, due): re-announcing the same lateness after
    a crash carries the same id, so idempotent readers (and :func:`apply_overdue`) see
    one event.
    """
    due = state["sla"]["due"]
    return {
        "event_id": str(uuid.uuid5(_OVERDUE_NS, f"{state['ma_ho_so']}|{due}")),
        "event_type": OVERDUE_EVENT_TYPE,
        "MaHoSo": state["ma_ho_so"],
        "agency": state.get("agency"),
        "procedure": state.get("procedure"),
        "unit_code": state.get("unit_code"),
        "status": state.get("status"),
        "due_at": due,
        "detected_at": now_ms,
    }


def apply_overdue(state: DossierState | None, record: Mapping[str, Any]) -> DossierState | None:
    """Mark the dossier's lateness as announced (None: already marked or unknown)."""
    if state is None or state["sla"]["overdue_emitted"]:
        return None
    new = _copy(state)
    new["sla"]["overdue_emitted"] = True
    new["sla"]["overdue_at"] = record["detected_at"]
    return new


def due_candidate(state: Mapping[str, Any]) -> int | None:
    """When an open, unannounced dossier may first become overdue (ms); else ``None``.

    A paused clock is not overdue while paused and its due time moves on resume; the
    stored due time is still the earliest moment to look again.
    """
    sla = state["sla"]
    if sla["overdue_emitted"] or sla["due"] is None or not is_open(state):
        return None
    due: int = sla["due"]
    return due
