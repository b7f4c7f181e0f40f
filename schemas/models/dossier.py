"""Dossier events of the one-stop-shop system, aligned with the national portal's sync.

Field names are the portal's (DongBoHoSoMC, CapNhatTienDoHoSoMC) so that the portal-sync
connector maps them one to one; see ``reference/dossier_status_codes.md``.

Rules beyond Avro:

- status codes (TrangThaiHoSo, TrangThaiTruoc, TrangThai) are in the portal's table,
  and TrangThaiTruoc → TrangThaiHoSo is a legal transition (:mod:`..rules.transitions`);
- LoaiDoiTuong is 1 or 2; MaDoiTuong fits it (personal id or tax code); SoDienThoai is
  a phone number; MaTTHC is a national code in the reference; MaDonViHanhChinh is a GSO
  code of Hậu Giang;
- NgayTiepNhan is known once the dossier is received; NgayHenTra, NgayTra and
  NgayHenTraMoi are not before it; NgayHenTraMoi is not before NgayHenTra (the clock
  only pauses); NgayTra is known at status 10; NoiDungBoSung is given at status 5;
- for a progress step, NgayBatDau ≤ ThoiDiemXuLy and NgayBatDau ≤ NgayKetThucTheoQuyDinh.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import ClassVar

from lienthong.schemas.models._partial import known
from lienthong.schemas.models._types import (
    ApplicantType,
    DossierStatusCode,
    NonBlank,
    Phone,
    ProcedureCode,
    Timestamp,
    UnitCode,
)
from lienthong.schemas.models.common import EventModel
from lienthong.schemas.rules import codes
from lienthong.schemas.rules.dates import not_before
from lienthong.schemas.rules.dossier_codes import STATUSES, StatusCode
from lienthong.schemas.rules.problem import Problem
from lienthong.schemas.rules.transitions import transition_problem

NAMESPACE = "vn.haugiang.lienthong.dossier"


class DossierLifecycle(EventModel):
    """A dossier changed status or was re-synchronised (DongBoHoSoMC)."""

    EVENT_TYPE: ClassVar[str] = "dossier.lifecycle"
    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.DossierLifecycle"
    KEY_FIELD: ClassVar[str] = "MaHoSo"

    MaHoSo: NonBlank
    TrangThaiHoSo: DossierStatusCode
    TrangThaiTruoc: DossierStatusCode | None = None
    TrangThaiNoiBo: NonBlank | None = None
    MaTTHC: ProcedureCode | None = None
    TenTTHC: NonBlank
    MaLinhVuc: NonBlank | None = None
    TenLinhVuc: NonBlank | None = None
    ChuHoSo: NonBlank
    LoaiDoiTuong: ApplicantType
    MaDoiTuong: NonBlank | None = None
    SoDienThoai: Phone | None = None
    TrichYeuHoSo: NonBlank | None = None
    NgayTiepNhan: Timestamp | None = None
    NgayHenTra: Timestamp | None = None
    NgayTra: Timestamp | None = None
    DonViXuLy: NonBlank
    MaDonViHanhChinh: UnitCode | None = None
    NoiDungBoSung: NonBlank | None = None
    NgayHenTraMoi: Timestamp | None = None

    def _problems(self) -> Iterable[Problem | None]:
        yield from super()._problems()
        yield self._transition_problem()
        yield self._identity_problem()
        yield from self._required_by_status()
        yield not_before("NgayHenTra", self.NgayHenTra, "NgayTiepNhan", self.NgayTiepNhan)
        yield not_before("NgayTra", self.NgayTra, "NgayTiepNhan", self.NgayTiepNhan)
        yield not_before("NgayHenTraMoi", self.NgayHenTraMoi, "NgayTiepNhan", self.NgayTiepNhan)
        yield not_before("NgayHenTraMoi", self.NgayHenTraMoi, "NgayHenTra", self.NgayHenTra)

    def _transition_problem(self) -> Problem | None:
        if not known("TrangThaiTruoc", "TrangThaiHoSo"):
            return None
        problem = transition_problem(self.TrangThaiTruoc, self.TrangThaiHoSo)
        return Problem("TrangThaiHoSo", "status_transition", problem) if problem else None

    def _identity_problem(self) -> Problem | None:
        if self.MaDoiTuong is None:
            return None
        problem = codes.identity_number_problem(self.MaDoiTuong, self.LoaiDoiTuong)
        return Problem("MaDoiTuong", "identity_number", problem) if problem else None

    def _required_by_status(self) -> Iterator[Problem]:
        if not known("TrangThaiHoSo"):
            return
        status = self.TrangThaiHoSo
        for field in _REQUIRED_BY_STATUS[status]:
            if getattr(self, field) is None:
                yield Problem(
                    field,
                    "required_for_status",
                    f"{field} is required with TrangThaiHoSo {status} "
                    f"({STATUSES[status].label_vi})",
                )


def _required_fields(status: int) -> tuple[str, ...]:
    required = {
        "NgayTiepNhan": STATUSES[status].received,
        "NgayTra": status == StatusCode.RESULT_RETURNED,
        "NoiDungBoSung": status == StatusCode.SUPPLEMENT_REQUESTED,
    }
    return tuple(field for field, needed in required.items() if needed)


# Which fields each status requires, worked out once instead of for every event.
_REQUIRED_BY_STATUS: dict[int, tuple[str, ...]] = {s: _required_fields(s) for s in STATUSES}


class DossierProgress(EventModel):
    """One processing step of a dossier (CapNhatTienDoHoSoMC)."""

    EVENT_TYPE: ClassVar[str] = "dossier.progress"
    AVRO_NAME: ClassVar[str] = f"{NAMESPACE}.DossierProgress"
    KEY_FIELD: ClassVar[str] = "MaHoSo"

    MaHoSo: NonBlank
    NguoiXuLy: NonBlank
    ChucDanh: NonBlank | None = None
    ThoiDiemXuLy: Timestamp
    PhongBanXuLy: NonBlank
    NoiDungXuLy: NonBlank
    TrangThai: DossierStatusCode
    NgayBatDau: Timestamp | None = None
    NgayKetThucTheoQuyDinh: Timestamp | None = None

    def _problems(self) -> Iterable[Problem | None]:
        yield from super()._problems()
        yield not_before("ThoiDiemXuLy", self.ThoiDiemXuLy, "NgayBatDau", self.NgayBatDau)
        yield not_before(
            "NgayKetThucTheoQuyDinh", self.NgayKetThucTheoQuyDinh, "NgayBatDau", self.NgayBatDau
        )
