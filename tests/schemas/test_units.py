"""Unit codes through the 2025 reorganization (NQ 1668/NQ-UBTVQH15)."""

from __future__ import annotations

from datetime import date

from lienthong.schemas.units import (
    REFORM_DAY,
    RetiredUnit,
    UnitOnDate,
    communes_on,
    current_unit,
    resolve_unit,
    unit_versions,
)

BEFORE, AFTER = date(2025, 6, 30), date(2025, 7, 1)


def test_versions_have_validity_dates() -> None:
    old = [v for v in unit_versions() if v.valid_to == REFORM_DAY]
    new = [v for v in unit_versions() if v.valid_from == REFORM_DAY]
    assert (len(old), len(new)) == (83, 28)  # 8 districts + 75 communes; 28 new communes
    assert all(v.successor is None for v in old if v.level == "district")
    assert len(communes_on(BEFORE)) == 75
    assert len(communes_on(AFTER)) == 28


def test_an_old_code_before_the_change_maps_to_its_successor() -> None:
    # 31318 Phường I (Vị Thanh) merged into 31321 Phường Vị Thanh (NQ 1668 art. 1 cl. 16).
    assert resolve_unit("31318", BEFORE) == UnitOnDate("31318", "31321")
    # 31321 was Phường III before, and is the new Phường Vị Thanh's code after.
    assert resolve_unit("31321", BEFORE) == UnitOnDate("31321", "31321")
    assert resolve_unit("31321", AFTER) == UnitOnDate("31321", "31321")
    # 31324 Phường IV → 31333 Phường Vị Tân.
    assert current_unit("31324", BEFORE) == "31333"


def test_a_retired_code_after_the_change_is_refused_naming_its_successor() -> None:
    found = resolve_unit("31318", AFTER)
    assert isinstance(found, RetiredUnit)
    assert found.successor == "31321"
    assert "31321 (Phường Vị Thanh)" in found.message
    assert "2025-07-01" in found.message
    assert current_unit("31318", AFTER) == "31321"


def test_a_district_code_ends_with_no_successor() -> None:
    assert resolve_unit("930", BEFORE) == UnitOnDate("930", "930")
    found = resolve_unit("930", AFTER)
    assert isinstance(found, RetiredUnit)
    assert found.successor is None
    assert "no successor" in found.message
