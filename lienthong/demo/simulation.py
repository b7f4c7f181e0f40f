"""A realistic day on the axis, built from the reference data (the demo's simulator and the tests).

Agencies (reference/agencies.csv): the one-stop centre (TTHCC) sends dossier lifecycles
and progress steps, CDC Hậu Giang and Sở Y tế (SYT) epidemic case reports, the office of
the People's Committee (VP UBND tỉnh) feedback cases, the People's Committee (UBND tỉnh,
000.00.00.H30) official documents. Procedures and communes come from the reference.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from lienthong.schemas.calendar import VN_TZ
from lienthong.schemas.models import (
    Attachment,
    Confidentiality,
    DocumentDirection,
    DocumentUrgency,
    DossierLifecycle,
    DossierProgress,
    EpidemicCaseReport,
    EpidemicCaseStatus,
    EventModel,
    FeedbackCase,
    FeedbackChannel,
    FeedbackStage,
    OfficialDocument,
)
from lienthong.schemas.reference import procedures
from lienthong.schemas.units import UnitVersion, communes_on

DOSSIER_AGENCY = "TTHCC"
CASE_AGENCIES = ("CDC Hậu Giang", "SYT")
FEEDBACK_AGENCY = "VP UBND tỉnh"
DOCUMENT_AGENCY = "000.00.00.H30"
DAY = datetime(2025, 3, 4, 1, 0, tzinfo=UTC)  # 08:00 in Hậu Giang
# Legal paths through the portal's status table (reference/dossier_status_codes.md).
PATHS = ((1, 2, 4, 9, 10), (2, 4, 5, 4, 9, 10), (2, 9, 10), (1, 3), (2, 6, 4, 9))


@dataclass
class Day:
    """The day's events in publishing order, with what the worker must make of each."""

    events: list[EventModel] = field(default_factory=list)

    def add(self, event: EventModel) -> None:
        self.events.append(event)


def _communes(start: datetime) -> tuple[UnitVersion, ...]:
    """The communes whose codes are valid on the simulated day (old before 1 July 2025)."""
    return communes_on(start.astimezone(VN_TZ).date())


def _envelope_time(start: datetime, n: int) -> datetime:
    return start + timedelta(seconds=37 * n)


def dossier_events(rng: random.Random, count: int, start: datetime = DAY) -> Iterator[EventModel]:
    """Dossiers following legal paths, each with a progress step now and then."""
    coded = [p for p in procedures() if p.code]
    communes = _communes(start)
    for n in range(count):
        procedure, unit = rng.choice(coded), rng.choice(communes)
        number = f"{unit.code}-{start:%y%m%d%H%M%S}-{n:04d}"
        path = PATHS[n % len(PATHS)]
        previous: int | None = None
        for step, status in enumerate(path):
            at = _envelope_time(start, n * 10 + step)
            yield DossierLifecycle(
                envelope=DossierLifecycle.new_envelope(DOSSIER_AGENCY, occurred_at=at),
                MaHoSo=number,
                TrangThaiHoSo=status,
                TrangThaiTruoc=previous,
                MaTTHC=procedure.code,
                TenTTHC=procedure.name,
                ChuHoSo="Nguyễn Thị Bé Ba",
                LoaiDoiTuong=1 + n % 2,
                NgayTiepNhan=at if status != 1 else None,
                NgayTra=at if status == 10 else None,
                NoiDungBoSung="Bổ sung bản sao giấy khai sinh" if status == 5 else None,
                DonViXuLy=unit.name,
                MaDonViHanhChinh=unit.code,
            )
            if status == 4:
                yield DossierProgress(
                    envelope=DossierProgress.new_envelope(DOSSIER_AGENCY, occurred_at=at),
                    MaHoSo=number,
                    NguoiXuLy="Trần Văn Tư",
                    ThoiDiemXuLy=at,
                    PhongBanXuLy="Phòng Tư pháp",
                    NoiDungXuLy="Thẩm định hồ sơ",
                    TrangThai=4,
                )
            previous = status


def case_events(rng: random.Random, count: int, start: datetime = DAY) -> Iterator[EventModel]:
    """Dengue case reports from CDC and Sở Y tế across the communes."""
    communes = _communes(start)
    for n in range(count):
        agency = CASE_AGENCIES[n % 2]
        yield EpidemicCaseReport(
            envelope=EpidemicCaseReport.new_envelope(agency, occurred_at=_envelope_time(start, n)),
            case_id=f"SXH-{start:%y%m%d%H%M%S}-{n:05d}",
            disease_code="A90",
            disease_name="Sốt xuất huyết Dengue",
            status=(EpidemicCaseStatus.SUSPECTED, EpidemicCaseStatus.CONFIRMED)[n % 2],
            ward_code=rng.choice(communes).code,
            reporting_facility="Trung tâm Y tế thành phố Vị Thanh",
        )


def feedback_events(rng: random.Random, count: int, start: datetime = DAY) -> Iterator[EventModel]:
    """Citizen feedback cases, received then assigned."""
    communes = _communes(start)
    for n in range(count):
        at = _envelope_time(start, n)
        common: dict[str, Any] = {
            "case_id": f"PAKN-{start:%y%m%d%H%M%S}-{n:05d}",
            "channel": FeedbackChannel.HOTLINE,
            "title": "Đèn đường hư",
            "content": "Đèn đường trước chợ không sáng.",
            "ward_code": rng.choice(communes).code,
            "received_at": at,
        }
        yield FeedbackCase(
            envelope=FeedbackCase.new_envelope(FEEDBACK_AGENCY, occurred_at=at),
            stage=FeedbackStage.RECEIVED,
            **common,
        )
        yield FeedbackCase(
            envelope=FeedbackCase.new_envelope(
                FEEDBACK_AGENCY, occurred_at=at + timedelta(hours=1)
            ),
            stage=FeedbackStage.ASSIGNED,
            assigned_agency="SXD",
            assigned_at=at + timedelta(hours=1),
            **common,
        )


def document_events(count: int, start: datetime = DAY) -> Iterator[EventModel]:
    """Decisions of the People's Committee sent to departments."""
    for n in range(count):
        at = _envelope_time(start, n)
        yield OfficialDocument(
            envelope=OfficialDocument.new_envelope(DOCUMENT_AGENCY, occurred_at=at),
            document_id=f"VB-{start:%y%m%d%H%M%S}-{n:05d}",
            direction=DocumentDirection.ISSUED,
            number_symbol=f"{100 + n}/QĐ-UBND",
            issuing_agency=DOCUMENT_AGENCY,
            recipient_agencies=["SYT", "STC"] if n % 2 else ["SXD"],
            subject="Về việc phê duyệt kế hoạch",
            signed_at=at,
            issued_at=at,
            urgency=DocumentUrgency.NORMAL,
            confidentiality=Confidentiality.UNCLASSIFIED if n % 5 else Confidentiality.CONFIDENTIAL,
            attachments=[
                Attachment(file_name="qd.pdf", sha256=hashlib.sha256(str(n).encode()).hexdigest())
            ],
            signature_present=True,
        )


def realistic_day(seed: int = 7, scale: int = 1, start: datetime = DAY) -> list[EventModel]:
    """Valid events of every type from five agencies, interleaved as a day would be."""
    rng = random.Random(seed)
    streams = [
        list(dossier_events(rng, 24 * scale, start)),
        list(case_events(rng, 20 * scale, start)),
        list(feedback_events(rng, 10 * scale, start)),
        list(document_events(12 * scale, start)),
    ]
    merged: list[EventModel] = []
    while any(streams):
        for stream in streams:
            if stream:
                merged.append(stream.pop(0))
    return merged


def new_id() -> uuid.UUID:
    return uuid.uuid4()


def dossier_payload(number: str, step: int, *, status: int = 2) -> dict[str, Any]:
    """A dossier.lifecycle row (no envelope) as an agency system stores it (outbox, files)."""
    previous = {2: 1, 4: 2, 9: 4, 10: 9}.get(status, 1)
    payload: dict[str, Any] = {
        "MaHoSo": number,
        "TrangThaiHoSo": status,
        "TrangThaiTruoc": previous,
        "TenTTHC": "Đăng ký khai sinh",
        "MaTTHC": "1.001193",
        "ChuHoSo": "Nguyễn Văn A",
        "LoaiDoiTuong": 1,
        "NgayTiepNhan": "2025-03-04T01:02:03Z",
        "NgayHenTra": "2025-03-11T10:00:00Z",
        "DonViXuLy": "UBND xã Hoả Lựu",
        "TrichYeuHoSo": f"step {step}",
        "occurred_at": f"2025-03-04T{1 + step // 3600 % 20:02d}:{step // 60 % 60:02d}:"
        f"{step % 60:02d}Z",
    }
    if status == 10:
        payload["NgayTra"] = "2025-03-10T09:00:00Z"
    return payload
