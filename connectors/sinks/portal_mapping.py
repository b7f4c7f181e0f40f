"""Dossier events → the national public-service portal's payloads (pure functions).

The portal (Cổng Dịch vụ công quốc gia) takes two services, as the OpenCPS reference
implementation calls them (``reference/dossier_status_codes.md`` §2):

- ``DongBoHoSoMC``: the whole dossier, ``{"service", "isUpdating": "True"|"False",
  "data": [item, …]}`` — from ``dossier.lifecycle`` events;
- ``CapNhatTienDoHoSoMC``: a processing step, ``{"service", "data": [item, …]}`` —
  from ``dossier.progress`` events.

Dates are ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh (events carry UTC instants). Codes are
sent as text, as the one-stop systems in the reference send them (``"TrangThaiHoSo":
"3"``). Absent optional fields are left out rather than sent empty.

Status codes go through a mapping table, never literals: by default each of the 1–10
codes of :data:`~lienthong.schemas.rules.dossier_codes.STATUSES` maps to itself; a site
overrides single codes (one DVCQG channel wants 11 for "not received", §3.1) and may map
its one-stop system's own statuses (``TrangThaiNoiBo``, as OpenCPS's
``DossierStatusMapping`` does), which then take precedence. A code with no mapping is
an error (:class:`UnmappedStatus`), not a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from lienthong.schemas.rules.dossier_codes import STATUSES

DONG_BO = "DongBoHoSoMC"
TIEN_DO = "CapNhatTienDoHoSoMC"
SERVICES = {"dossier.lifecycle": DONG_BO, "dossier.progress": TIEN_DO}
"""Which portal service each dossier event type feeds."""

PORTAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
PORTAL_TIME_FORMAT = "%Y%m%d%H%M%S"

DEFAULT_STATUS_MAP: Mapping[int, int] = {code: code for code in STATUSES}
"""Local TrangThaiHoSo → national code: the identity over the portal's own 1–10 table."""


class UnmappedStatus(ValueError):
    """A dossier status has no national code in the mapping table."""


def portal_time(value: datetime | int | None) -> str | None:
    """An instant as the portal writes it: ``yyyyMMddHHmmss`` in Asia/Ho_Chi_Minh."""
    if value is None:
        return None
    if isinstance(value, int):  # epoch milliseconds, as Avro may hand it
        value = datetime.fromtimestamp(value / 1000, UTC)
    if value.tzinfo is None:
        raise ValueError("a naive datetime has no instant: events carry UTC instants")
    return value.astimezone(PORTAL_TZ).strftime(PORTAL_TIME_FORMAT)


@dataclass(frozen=True)
class StatusMapping:
    """The local → national status table of one site (see the module docstring)."""

    codes: Mapping[int, int] = field(default_factory=lambda: dict(DEFAULT_STATUS_MAP))
    internal: Mapping[str, int] = field(default_factory=dict)

    @classmethod
    def with_overrides(
        cls, overrides: Mapping[int, int], internal: Mapping[str, int] | None = None
    ) -> StatusMapping:
        return cls({**DEFAULT_STATUS_MAP, **overrides}, dict(internal or {}))

    def national(self, local: int, internal: str | None = None) -> int:
        """The national code for a local status (internal status first, if mapped)."""
        if internal is not None and internal in self.internal:
            return self.internal[internal]
        try:
            return self.codes[local]
        except KeyError:
            known = ", ".join(str(c) for c in sorted(self.codes))
            raise UnmappedStatus(
                f"status {local} has no national code (mapped: {known}); add it to "
                "status_map in the connector's config"
            ) from None


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _without_none(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if v is not None}


def dong_bo_item(record: Mapping[str, Any], mapping: StatusMapping) -> dict[str, Any]:
    """A DongBoHoSoMC ``data`` item from a decoded ``dossier.lifecycle`` record."""
    status = mapping.national(record["TrangThaiHoSo"], record.get("TrangThaiNoiBo"))
    item = {
        "MaHoSo": record["MaHoSo"],
        "MaTTHC": record.get("MaTTHC"),
        "TenTTHC": record["TenTTHC"],
        "MaLinhVuc": record.get("MaLinhVuc"),
        "TenLinhVuc": record.get("TenLinhVuc"),
        "ChuHoSo": record["ChuHoSo"],
        "LoaiDoiTuong": _text(record["LoaiDoiTuong"]),
        "MaDoiTuong": record.get("MaDoiTuong"),
        "SoDienThoai": record.get("SoDienThoai"),
        "TrichYeuHoSo": record.get("TrichYeuHoSo"),
        "NgayTiepNhan": portal_time(record.get("NgayTiepNhan")),
        "NgayHenTra": portal_time(record.get("NgayHenTra")),
        "TrangThaiHoSo": str(status),
        "NgayTra": portal_time(record.get("NgayTra")),
        "DonViXuLy": record["DonViXuLy"],
    }
    if record.get("NoiDungBoSung") is not None:
        supplement = {
            "NoiDungBoSung": record["NoiDungBoSung"],
            "NgayHenTraMoi": portal_time(record.get("NgayHenTraMoi")),
        }
        item["DanhSachHoSoBoSung"] = [_without_none(supplement)]
    return _without_none(item)


def tien_do_item(record: Mapping[str, Any], mapping: StatusMapping) -> dict[str, Any]:
    """A CapNhatTienDoHoSoMC ``data`` item from a decoded ``dossier.progress`` record."""
    return _without_none(
        {
            "MaHoSo": record["MaHoSo"],
            "NguoiXuLy": record["NguoiXuLy"],
            "ChucDanh": record.get("ChucDanh"),
            "ThoiDiemXuLy": portal_time(record["ThoiDiemXuLy"]),
            "PhongBanXuLy": record["PhongBanXuLy"],
            "NoiDungXuLy": record["NoiDungXuLy"],
            "TrangThai": str(mapping.national(record["TrangThai"])),
            "NgayBatDau": portal_time(record.get("NgayBatDau")),
            "NgayKetThucTheoQuyDinh": portal_time(record.get("NgayKetThucTheoQuyDinh")),
        }
    )


def item_for(event_type: str, record: Mapping[str, Any], mapping: StatusMapping) -> dict[str, Any]:
    """The portal item of a dossier event; KeyError for another event type."""
    if SERVICES[event_type] == DONG_BO:
        return dong_bo_item(record, mapping)
    return tien_do_item(record, mapping)


def request_body(service: str, items: list[dict[str, Any]], *, updating: bool) -> dict[str, Any]:
    """The request for ``items`` of one service (``isUpdating`` only for DongBoHoSoMC)."""
    body: dict[str, Any] = {"service": service}
    if service == DONG_BO:
        body["isUpdating"] = "True" if updating else "False"
    body["data"] = items
    return body


def acknowledged(status: int, body: Any) -> tuple[bool, str]:
    """Whether the portal acknowledged a request, and its own words.

    An acknowledgement is HTTP 200 with ``error_code`` 0 in the JSON reply (the
    integration services' convention); anything else — an error code, an HTML error
    page, a timeout — means "not acknowledged: send again".
    """
    if status != 200:
        return False, f"HTTP {status}"
    if not isinstance(body, Mapping) or "error_code" not in body:
        return False, "the reply has no error_code"
    message = str(body.get("message", ""))
    return str(body["error_code"]) == "0", f"error_code {body['error_code']}: {message}"
