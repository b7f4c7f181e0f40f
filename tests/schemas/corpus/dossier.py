"""Dossier lifecycle and progress examples (portal field names, statuses 1-10)."""

from __future__ import annotations

from typing import Any

from tests.schemas.corpus._build import Corpus, Example, at, changed, envelope, removed

LIFECYCLE = "vn.haugiang.lienthong.dossier.DossierLifecycle"
PROGRESS = "vn.haugiang.lienthong.dossier.DossierProgress"

# Received at the commune one-stop desk; birth registration (1.001193) is same-day.
RECEIVED: dict[str, Any] = {
    "envelope": envelope("dossier.lifecycle", LIFECYCLE, "TTHCC"),
    "MaHoSo": "H30.31336-250304-0001",
    "TrangThaiHoSo": 2,
    "TrangThaiTruoc": 1,
    "TrangThaiNoiBo": "receiving",
    "MaTTHC": "1.001193",
    "TenTTHC": "Đăng ký khai sinh",
    "MaLinhVuc": None,
    "TenLinhVuc": "Hộ tịch",
    "ChuHoSo": "Nguyễn Thị Hoà",
    "LoaiDoiTuong": 1,
    "MaDoiTuong": "093185000123",
    "SoDienThoai": "0912345678",
    "TrichYeuHoSo": "Đăng ký khai sinh cho con",
    "NgayTiepNhan": at(2025, 3, 4, 9, 0),
    "NgayHenTra": at(2025, 3, 4, 16, 30),
    "NgayTra": None,
    "DonViXuLy": "UBND xã Hoả Lựu",
    "MaDonViHanhChinh": "31336",
    "NoiDungBoSung": None,
    "NgayHenTraMoi": None,
}


def _lifecycle() -> list[Example]:
    c = Corpus("dossier.lifecycle", RECEIVED)
    b = c.base
    c.envelope_cases()
    c.valid(
        "first event: registered online",
        changed(b, TrangThaiHoSo=1, TrangThaiTruoc=None, NgayTiepNhan=None, NgayHenTra=None),
    )
    c.valid(
        "optional fields omitted",
        {k: v for k, v in b.items() if v is not None or k == "envelope"} | {"TrangThaiTruoc": 1},
    )
    c.valid(
        "business applicant with branch tax code",
        changed(b, LoaiDoiTuong=2, MaDoiTuong="6300123456-001", ChuHoSo="Công ty TNHH Mekong"),
    )
    c.valid("2025 commune code", changed(b, MaDonViHanhChinh="31321"))
    c.valid("district code", changed(b, MaDonViHanhChinh="934"))
    c.valid(
        "supplement requested",
        changed(
            b,
            TrangThaiHoSo=5,
            TrangThaiTruoc=4,
            NoiDungBoSung="Bổ sung bản sao giấy chứng sinh",
            NgayHenTraMoi=at(2025, 3, 6, 16, 30),
        ),
    )
    c.valid(
        "result returned",
        changed(b, TrangThaiHoSo=10, TrangThaiTruoc=9, NgayTra=at(2025, 3, 4, 15, 0)),
    )
    c.valid(
        "re-sync of a terminal status",
        changed(b, TrangThaiHoSo=10, TrangThaiTruoc=10, NgayTra=at(2025, 3, 4, 15, 0)),
    )
    c.valid(
        "procedure without national code",
        changed(b, MaTTHC=None, TenTTHC="Cấp giấy phép xây dựng mới đối với nhà ở riêng lẻ"),
    )
    c.valid(
        "decomposed Vietnamese is normalised",
        changed(b, ChuHoSo="Nguye\u0302\u0303n Thi\u0323 Hoa\u0300"),
    )
    # What the schema can say.
    c.avro("MaHoSo missing", removed(b, "MaHoSo"), "MaHoSo", "missing")
    c.avro("status as text", changed(b, TrangThaiHoSo="2"), "TrangThaiHoSo", "int_type")
    c.avro("status as bool", changed(b, TrangThaiHoSo=True), "TrangThaiHoSo", "int_type")
    c.avro(
        "status beyond int32", changed(b, TrangThaiHoSo=2**31), "TrangThaiHoSo", "less_than_equal"
    )
    c.avro("LoaiDoiTuong as float", changed(b, LoaiDoiTuong=1.0), "LoaiDoiTuong", "int_type")
    c.avro("ChuHoSo null", changed(b, ChuHoSo=None), "ChuHoSo", "string_type")
    c.avro(
        "NgayTiepNhan as text",
        changed(b, NgayTiepNhan="20250304090000"),
        "NgayTiepNhan",
        "datetime_type",
    )
    c.avro("MaTTHC as number", changed(b, MaTTHC=1.001193), "MaTTHC", "string_type")
    # What only the rules can say.
    c.rule(
        "status 11 is not a portal code",
        changed(b, TrangThaiHoSo=11),
        "TrangThaiHoSo",
        "dossier_status",
    )
    c.rule(
        "status 0",
        changed(b, TrangThaiHoSo=0, TrangThaiTruoc=None),
        "TrangThaiHoSo",
        "dossier_status",
    )
    c.rule(
        "registered cannot jump to processed",
        changed(b, TrangThaiHoSo=9, TrangThaiTruoc=1),
        "TrangThaiHoSo",
        "status_transition",
    )
    c.rule(
        "nothing follows result returned",
        changed(b, TrangThaiHoSo=4, TrangThaiTruoc=10),
        "TrangThaiHoSo",
        "status_transition",
    )
    c.rule(
        "first event cannot be processing",
        changed(b, TrangThaiHoSo=4, TrangThaiTruoc=None),
        "TrangThaiHoSo",
        "status_transition",
    )
    c.rule(
        "received without NgayTiepNhan",
        changed(b, NgayTiepNhan=None),
        "NgayTiepNhan",
        "required_for_status",
    )
    c.rule(
        "status 10 without NgayTra",
        changed(b, TrangThaiHoSo=10, TrangThaiTruoc=9),
        "NgayTra",
        "required_for_status",
    )
    c.rule(
        "status 5 without NoiDungBoSung",
        changed(b, TrangThaiHoSo=5, TrangThaiTruoc=4),
        "NoiDungBoSung",
        "required_for_status",
    )
    c.rule(
        "NgayHenTra before NgayTiepNhan",
        changed(b, NgayHenTra=at(2025, 3, 3, 16, 30)),
        "NgayHenTra",
        "date_order",
    )
    c.rule(
        "NgayTra before NgayTiepNhan",
        changed(b, TrangThaiHoSo=10, TrangThaiTruoc=9, NgayTra=at(2025, 3, 4, 8, 59)),
        "NgayTra",
        "date_order",
    )
    c.rule(
        "NgayHenTraMoi before NgayHenTra",
        changed(
            b,
            TrangThaiHoSo=5,
            TrangThaiTruoc=4,
            NoiDungBoSung="Bổ sung",
            NgayHenTraMoi=at(2025, 3, 4, 12, 0),
        ),
        "NgayHenTraMoi",
        "date_order",
    )
    c.rule(
        "procedure code not in the reference",
        changed(b, MaTTHC="1.999999"),
        "MaTTHC",
        "procedure_code",
    )
    c.rule(
        "unit code of another province",
        changed(b, MaDonViHanhChinh="31117"),
        "MaDonViHanhChinh",
        "unit_code",
    )
    c.rule("applicant type 3", changed(b, LoaiDoiTuong=3), "LoaiDoiTuong", "applicant_type")
    c.rule(
        "individual with a tax code",
        changed(b, MaDoiTuong="6300123456"),
        "MaDoiTuong",
        "identity_number",
    )
    c.rule("phone with spaces", changed(b, SoDienThoai="0912 345 678"), "SoDienThoai", "phone")
    c.rule("blank MaHoSo", changed(b, MaHoSo=" "), "MaHoSo", "not_blank")
    c.rule("unknown portal field", changed(b, GhiChu="x"), "GhiChu", "extra_forbidden")
    return c.examples


STEP: dict[str, Any] = {
    "envelope": envelope("dossier.progress", PROGRESS, "TTHCC"),
    "MaHoSo": "H30.31336-250304-0001",
    "NguoiXuLy": "Trần Văn Bình",
    "ChucDanh": "Công chức Tư pháp - Hộ tịch",
    "ThoiDiemXuLy": at(2025, 3, 4, 10, 15),
    "PhongBanXuLy": "Bộ phận Một cửa",
    "NoiDungXuLy": "Chuyển hồ sơ cho công chức Tư pháp - Hộ tịch",
    "TrangThai": 4,
    "NgayBatDau": at(2025, 3, 4, 9, 0),
    "NgayKetThucTheoQuyDinh": at(2025, 3, 4, 16, 30),
}


def _progress() -> list[Example]:
    c = Corpus("dossier.progress", STEP)
    b = c.base
    c.envelope_cases()
    c.valid(
        "without optional fields",
        removed(removed(removed(b, "ChucDanh"), "NgayBatDau"), "NgayKetThucTheoQuyDinh"),
    )
    c.avro("NguoiXuLy missing", removed(b, "NguoiXuLy"), "NguoiXuLy", "missing")
    c.avro("TrangThai as text", changed(b, TrangThai="4"), "TrangThai", "int_type")
    c.avro("ThoiDiemXuLy null", changed(b, ThoiDiemXuLy=None), "ThoiDiemXuLy", "datetime_type")
    c.rule("TrangThai 12", changed(b, TrangThai=12), "TrangThai", "dossier_status")
    c.rule(
        "handled before it started",
        changed(b, ThoiDiemXuLy=at(2025, 3, 4, 8, 0)),
        "ThoiDiemXuLy",
        "date_order",
    )
    c.rule(
        "due before it started",
        changed(b, NgayKetThucTheoQuyDinh=at(2025, 3, 3, 16, 30)),
        "NgayKetThucTheoQuyDinh",
        "date_order",
    )
    c.rule("blank NoiDungXuLy", changed(b, NoiDungXuLy=""), "NoiDungXuLy", "not_blank")
    return c.examples


EXAMPLES: tuple[Example, ...] = (*_lifecycle(), *_progress())
