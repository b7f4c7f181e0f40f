"""The views' pure functions: dossier state, the SLA clock applied, aggregates, masks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from lienthong.consumers.views.dossiers import (
    APPLIED_IDS,
    apply_lifecycle,
    apply_overdue,
    apply_progress,
    becomes_overdue,
    calendar,
    ms,
    overdue_event,
)
from lienthong.consumers.views.entities import apply_document, apply_epidemic, apply_zone
from lienthong.consumers.views.query import (
    active_zones,
    case_stats,
    dossier_stats,
    inbox,
    mask_id,
    mask_phone,
    merge_rows,
    overdue_list,
    page,
    portal_dossier,
)
from lienthong.schemas.calendar import VN_TZ

FIVE_DAYS = "1.004884"  # Đăng ký lại khai sinh: 5 working days (reference/procedures.csv)
NOW = ms(datetime(2030, 1, 1, tzinfo=UTC)) or 0


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=VN_TZ)


def envelope(at: datetime, agency: str = "TTHCC", event_id: str | None = None) -> dict[str, Any]:
    return {"event_id": event_id or str(uuid.uuid4()), "occurred_at": at, "source_agency": agency}


def lifecycle(status: int, at: datetime, **fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "envelope": envelope(at, event_id=fields.pop("event_id", None)),
        "MaHoSo": "H30.01-260302-0001",
        "TrangThaiHoSo": status,
        "MaTTHC": FIVE_DAYS,
        "TenTTHC": "Đăng ký lại khai sinh",
        "ChuHoSo": "Nguyễn Văn A",
        "LoaiDoiTuong": 1,
        "MaDoiTuong": "093012000123",
        "SoDienThoai": "0912345678",
        "DonViXuLy": "UBND phường I",
        "MaDonViHanhChinh": "31117",
        "NgayTiepNhan": at if status == 2 else None,
    }
    record.update(fields)
    return record


def run(*records: dict[str, Any]) -> dict[str, Any]:
    state: dict[str, Any] | None = None
    for record in records:
        state = apply_lifecycle(state, record) or state
    assert state is not None
    return state


def due_local(state: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(state["sla"]["due"] / 1000, UTC).astimezone(VN_TZ)


def end_of(y: int, mo: int, d: int) -> datetime:
    """24:00 of that day, where a period in days ends (Civil Code art. 148(4))."""
    return vn(y, mo, d) + timedelta(days=1)


def test_due_counts_working_days_across_tet() -> None:
    # Thu 12/2/2026, 5 working days; off Sat 14 – Sun 22 (Tết Bính Ngọ): Fri 13 = 1,
    # Mon 23 = 2, Tue 24 = 3, Wed 25 = 4, Thu 26 = 5 → 24:00 Thu 26/2.
    state = run(lifecycle(2, vn(2026, 2, 12, 9)))
    assert due_local(state) == end_of(2026, 2, 26)


def test_makeup_saturday_is_a_working_day() -> None:
    # Fri 9/1/2026: Sat 10/1 is worked (make-up for Fri 2/1) = 1, Mon 12 … Thu 15 = 5
    # → 24:00 Thu 15 instead of Fri 16.
    state = run(lifecycle(2, vn(2026, 1, 9, 9)))
    assert due_local(state) == end_of(2026, 1, 15)


def test_no_cutoff_where_none_is_sourced() -> None:
    # Đăng ký lại khai sinh has no sourced cut-off: Mon 2/3/2026 at 14:00 or 16:00, the
    # day of receipt is Mon; Tue 3 = 1 … Mon 9 = 5 → 24:00 Mon 9/3. Received Tue 3/3
    # 07:00 instead: Wed 4 = 1 … Tue 10 = 5 → 24:00 Tue 10/3.
    assert due_local(run(lifecycle(2, vn(2026, 3, 2, 16)))) == end_of(2026, 3, 9)
    assert due_local(run(lifecycle(2, vn(2026, 3, 2, 14)))) == end_of(2026, 3, 9)
    opens = calendar().hours.opens
    next_morning = run(lifecycle(2, vn(2026, 3, 3, opens.hour, opens.minute)))
    assert due_local(next_morning) == end_of(2026, 3, 10)


def test_supplement_request_pauses_the_clock() -> None:
    state = run(
        lifecycle(2, vn(2026, 3, 2, 9)),
        lifecycle(
            5, vn(2026, 3, 3, 9), NoiDungBoSung="Bổ sung bản sao", NgayTiepNhan=vn(2026, 3, 2, 9)
        ),
    )
    assert state["sla"]["paused_since"] is not None
    assert not becomes_overdue(state, NOW)  # paused before its due: not late, ever
    resumed = apply_lifecycle(
        apply_lifecycle(
            apply_lifecycle(None, lifecycle(2, vn(2026, 3, 2, 9))),
            lifecycle(
                5, vn(2026, 3, 3, 9), NoiDungBoSung="Bổ sung", NgayTiepNhan=vn(2026, 3, 2, 9)
            ),
        ),
        lifecycle(4, vn(2026, 3, 5, 9), NgayTiepNhan=vn(2026, 3, 2, 9)),
    )
    assert resumed is not None
    # Due 24:00 Mon 9/3; paused Tue 3 → resumed Thu 5: Wed 4 and Thu 5 lost (2 working
    # days) → Tue 10, Wed 11 → 24:00 Wed 11/3.
    assert due_local(resumed) == end_of(2026, 3, 11)
    assert resumed["sla"]["paused_since"] is None


@pytest.mark.parametrize(
    ("returned", "outcome"),
    [
        (vn(2026, 3, 5, 10), "early"),  # before Mon 9/3, the due day
        (vn(2026, 3, 9, 16), "on_time"),  # on the due day, before 24:00
        (vn(2026, 3, 10, 8), "overdue"),  # after 24:00 Mon 9/3
    ],
)
def test_outcome_when_the_result_is_returned(returned: datetime, outcome: str) -> None:
    received = vn(2026, 3, 2, 9)
    state = run(
        lifecycle(2, received),
        lifecycle(10, returned, NgayTiepNhan=received, NgayTra=returned),
    )
    assert state["sla"]["outcome"] == outcome
    assert not becomes_overdue(state, NOW)


def test_the_same_event_applies_once() -> None:
    first = lifecycle(2, vn(2026, 3, 2, 9))
    state = apply_lifecycle(None, first)
    assert state is not None
    assert apply_lifecycle(state, first) is None
    assert len(state["applied"]) == 1


def test_applied_ids_are_bounded() -> None:
    state = run(
        *(lifecycle(4, vn(2026, 3, 2, 9), NgayTiepNhan=vn(2026, 3, 2, 9)) for _ in range(100))
    )
    assert len(state["applied"]) == APPLIED_IDS


def test_progress_before_lifecycle_keeps_steps_in_time_order() -> None:
    def step(hour: int) -> dict[str, Any]:
        return {
            "envelope": envelope(vn(2026, 3, 2, hour)),
            "MaHoSo": "H30.01-260302-0001",
            "NguoiXuLy": "Trần Văn Tư",
            "ThoiDiemXuLy": vn(2026, 3, 2, hour),
            "PhongBanXuLy": "Phòng Tư pháp",
            "NoiDungXuLy": f"bước {hour}",
            "TrangThai": 4,
        }

    state = apply_progress(None, step(11))
    state = apply_progress(state, step(10))
    state = apply_lifecycle(state, lifecycle(2, vn(2026, 3, 2, 9)))
    assert state is not None
    assert [s["content"] for s in state["steps"]] == ["bước 10", "bước 11"]
    assert state["status"] == 2


def test_overdue_is_announced_once() -> None:
    state = run(lifecycle(2, vn(2026, 3, 2, 9)))  # due 24:00 Mon 9/3
    assert not becomes_overdue(state, ms(vn(2026, 3, 9, 23, 59)) or 0)
    later = ms(vn(2026, 3, 10, 0, 1)) or 0
    assert becomes_overdue(state, later)
    event = overdue_event(state, later)
    assert overdue_event(state, later + 5000)["event_id"] == event["event_id"]
    marked = apply_overdue(state, event)
    assert marked is not None
    assert not becomes_overdue(marked, later)
    assert apply_overdue(marked, event) is None
    assert [r["MaHoSo"] for r in overdue_list([marked], later)] == [state["ma_ho_so"]]


def test_masks() -> None:
    assert mask_id("093012000123") == "********0123"
    assert mask_phone("0912345678") == "091****678"
    assert mask_id(None) is None
    view = portal_dossier(run(lifecycle(2, vn(2026, 3, 2, 9))), NOW)
    assert view["id_number"] == "********0123"
    assert view["phone"] == "091****678"
    assert "applied" not in view


def test_stats_and_merge() -> None:
    a = run(lifecycle(2, vn(2026, 3, 2, 9)))
    b = run(lifecycle(2, vn(2026, 3, 3, 9), MaHoSo="X-2"))
    rows = dossier_stats([a, b], "day", NOW)
    assert rows["2026-03-02"]["dossiers"] == 1
    assert rows["2026-03-03"]["open_overdue"] == 1
    merged = merge_rows([dossier_stats([a], "agency", NOW), dossier_stats([b], "agency", NOW)])
    assert merged["TTHCC"]["dossiers"] == 2
    assert merged["TTHCC"]["status"] == {"2": 2}
    with pytest.raises(ValueError, match="by must be"):
        dossier_stats([a], "colour", NOW)


def test_cases_zones_inbox_and_paging() -> None:
    case = {
        "envelope": envelope(vn(2026, 3, 2, 9), "CDC Hậu Giang"),
        "case_id": "SXH-1",
        "disease_code": "A90",
        "status": "SUSPECTED",
        "ward_code": "31117",
        "reporting_facility": "TTYT",
    }
    state = apply_epidemic(None, case)
    state = apply_epidemic(
        state, {**case, "envelope": envelope(vn(2026, 3, 3, 9)), "status": "CONFIRMED"}
    )
    assert state is not None
    assert case_stats([state]) == {"31117|2026-03-02": {"cases": 1, "status": {"CONFIRMED": 1}}}
    zone = {
        "envelope": envelope(vn(2026, 3, 2, 9), "SYT"),
        "zone_id": "Z1",
        "name": "Khu vực chợ",
        "action": "OPENED",
        "disease_code": "A90",
        "ward_codes": ["31117"],
        "opened_at": vn(2026, 3, 2, 9),
    }
    opened = apply_zone(None, zone)
    assert opened is not None
    assert [z["zone_id"] for z in active_zones([opened])] == ["Z1"]
    lifted = apply_zone(opened, {**zone, "envelope": envelope(vn(2026, 3, 9)), "action": "LIFTED"})
    assert active_zones([lifted or {}]) == []
    doc = apply_document(
        None,
        {
            "envelope": envelope(vn(2026, 3, 2, 9), "000.00.00.H30"),
            "document_id": "VB-1",
            "direction": "ISSUED",
            "number_symbol": "1/QĐ-UBND",
            "issuing_agency": "000.00.00.H30",
            "recipient_agencies": ["SYT", "STC"],
            "subject": "Kế hoạch",
            "signed_at": vn(2026, 3, 2),
            "issued_at": vn(2026, 3, 2),
            "urgency": "NORMAL",
            "confidentiality": "UNCLASSIFIED",
            "signature_present": True,
        },
    )
    assert doc is not None
    assert [d["document_id"] for d in inbox([doc], "SYT")] == ["VB-1"]
    assert inbox([doc], "SXD") == []
    assert page(list(range(5)), 2, 2) == {
        "items": [2, 3], "total": 5, "limit": 2, "offset": 2, "next_offset": 4,
    }  # fmt: skip
