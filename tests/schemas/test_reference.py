from lienthong.schemas.reference import (
    agencies,
    communes_2024,
    holidays,
    procedures,
    reform_2025,
    units_2024,
)


def test_units_match_the_sourced_counts() -> None:
    assert len(units_2024()) == 83
    assert len(communes_2024()) == 75
    assert {u.code for u in units_2024() if u.level == "district"} == {
        str(c) for c in range(930, 938)
    }


def test_procedures_have_legal_times_and_national_codes() -> None:
    by_code = {p.code: p for p in procedures() if p.code}
    assert by_code["1.001193"].name == "Đăng ký khai sinh"
    assert by_code["1.004222"].days == 7


def test_holidays_include_tet_2025() -> None:
    names = {h.day.isoformat(): h.name for h in holidays()}
    assert "Tết" in names["2025-01-29"]


def test_agencies_have_abbreviations_and_one_sourced_electronic_id() -> None:
    by_abbr = {a.abbr: a for a in agencies()}
    assert len(by_abbr) == len(agencies()) == 23
    assert by_abbr["SYT"].name == "Sở Y tế"
    assert by_abbr["CDC Hậu Giang"].parent == "Sở Y tế"
    assert [a.electronic_id for a in agencies() if a.electronic_id] == ["000.00.00.H30"]


def test_the_2025_reform_maps_75_communes_onto_28() -> None:
    changes = reform_2025()
    assert len(changes) == 75
    assert len({c.new_code for c in changes}) == 28
    assert {c.old_code for c in changes} == {u.code for u in communes_2024()}
    assert {c.new_name for c in changes if c.old_code == "31318"} == {"Phường Vị Thanh"}
