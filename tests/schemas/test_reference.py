from lienthong.schemas.reference import communes_2024, holidays, procedures, units_2024


def test_units_match_the_sourced_counts() -> None:
    assert len(units_2024()) == 83
    assert len(communes_2024()) == 75
    assert {u.code for u in units_2024() if u.level == "district"} == {
        str(c) for c in range(930, 938)
    }


def test_procedures_have_legal_times_and_national_codes() -> None:
    by_code = {p.code: p for p in procedures() if p.code}
    assert by_code["1.001193"].name == "Đăng ký khai sinh"
    assert by_code["1.004222"].working_days == 7


def test_holidays_include_tet_2025() -> None:
    names = {h.day.isoformat(): h.name for h in holidays()}
    assert "Tết" in names["2025-01-29"]
