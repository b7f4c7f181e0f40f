"""Sourced reference data for Hậu Giang: units, agencies, procedures, holidays.

The CSV files under ``reference/`` are copies of the project's research (each names its
sources in ``reference/SOURCES.md`` or a ``sources`` column). Codes used anywhere in
lienthong come from here; none are invented.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from enum import StrEnum
from functools import cache
from importlib import resources


def _rows(name: str) -> list[dict[str, str]]:
    text = resources.files("lienthong.schemas").joinpath("reference", name).read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@dataclass(frozen=True)
class AdminUnit:
    """An administrative unit of Hậu Giang as coded by the GSO (valid 2021-02 to 2025-06)."""

    level: str  # "district" or "commune"
    code: str
    name: str
    type: str
    district_code: str | None


class DayUnit(StrEnum):
    """How a legal period's days are counted (``don_vi_thoi_han`` in procedures.csv)."""

    WORKING = "working"  # "ngày làm việc": only the public sector's working days
    CALENDAR = "calendar"  # "ngày": every day (Civil Code arts. 144-148)


@dataclass(frozen=True)
class Procedure:
    """An administrative procedure (thủ tục hành chính) and its legal processing time.

    ``days`` is counted in ``day_unit`` (each row names the source of its unit);
    ``cutoff`` is the hour after which a receipt counts as the next working day's, only
    where a source sets one for the procedure (``can_cu_gio_cat``), else ``None``.
    """

    code: str | None  # MaTTHC, the national procedure code (None where no source gave it)
    name: str
    field: str  # lĩnh vực
    level: str  # cấp thực hiện
    days: Decimal  # 0 means "the same day"
    day_unit: DayUnit = DayUnit.WORKING
    cutoff: time | None = None


@dataclass(frozen=True)
class Holiday:
    """A day off (or an announced make-up working day) for the public sector."""

    day: date
    name: str
    status: str  # statutory, announced_makeup_workday, ...


@cache
def units_2024() -> tuple[AdminUnit, ...]:
    """The 8 district-level and 75 commune-level units before the 2025 reform."""
    return tuple(
        AdminUnit(
            level=r["level"],
            code=r["code"],
            name=r["name"],
            type=r["type"],
            district_code=r["district_code"] or None,
        )
        for r in _rows("haugiang_units_2024.csv")
    )


@cache
def communes_2024() -> tuple[AdminUnit, ...]:
    """Commune-level units (xã, phường, thị trấn) before the 2025 reform."""
    return tuple(u for u in units_2024() if u.level == "commune")


@cache
def procedures() -> tuple[Procedure, ...]:
    """Common procedures with their legal processing times, units and cut-offs."""
    return tuple(
        Procedure(
            code=r["ma_tthc"] or None,
            name=r["ten_thu_tuc"],
            field=r["linh_vuc"],
            level=r["cap_thuc_hien"],
            days=Decimal(r["thoi_han_so_ngay"] or "0"),
            day_unit=DayUnit(r["don_vi_thoi_han"]),
            cutoff=time.fromisoformat(r["gio_cat_nhan"]) if r["gio_cat_nhan"] else None,
        )
        for r in _rows("procedures.csv")
    )


@cache
def holidays() -> tuple[Holiday, ...]:
    """Public-sector holidays, swaps and announced make-up working days, 2025–2027."""
    return tuple(
        Holiday(day=date.fromisoformat(r["date"]), name=r["holiday_vi"], status=r["status"])
        for r in _rows("holidays_vn_2025_2027.csv")
    )


@dataclass(frozen=True)
class Agency:
    """A provincial agency of Hậu Giang (2021–2025) as named in ``reference/agencies.csv``.

    ``electronic_id`` is the QĐ 20/2020/QĐ-TTg electronic identifier where a source gave
    one (only the provincial People's Committee, 000.00.00.H30, has one in the reference).
    """

    name: str
    abbr: str  # abbr_vi, the Vietnamese abbreviation used in documents
    kind: str
    parent: str | None
    electronic_id: str | None

    @property
    def code(self) -> str:
        """What the axis calls it (envelopes, topics, the agencies file): the electronic
        id where the reference gives one, else the abbreviation."""
        return self.electronic_id or self.abbr


@dataclass(frozen=True)
class UnitChange2025:
    """One old commune-level unit and the new unit it merged into on 1 Jul 2025."""

    old_code: str
    old_name: str
    new_code: str
    new_name: str
    new_type: str


@cache
def agencies() -> tuple[Agency, ...]:
    """Provincial agencies with their abbreviations and, where sourced, electronic ids."""
    return tuple(
        Agency(
            name=r["name_vi"],
            abbr=r["abbr_vi"],
            kind=r["kind"],
            parent=r["parent"] or None,
            electronic_id=r["electronic_id_qd20_2020"] or None,
        )
        for r in _rows("agencies.csv")
    )


@cache
def reform_2025() -> tuple[UnitChange2025, ...]:
    """The 75 old commune-level units mapped to the 28 new ones (NQ 1668/NQ-UBTVQH15)."""
    return tuple(
        UnitChange2025(
            old_code=r["old_code"],
            old_name=r["old_name"],
            new_code=r["new_code"],
            new_name=r["new_name"],
            new_type=r["new_type"],
        )
        for r in _rows("haugiang_old_to_new_2025.csv")
    )
