"""Code formats and the reference code sets."""

from __future__ import annotations

import pytest

from lienthong.schemas.reference import reform_2025
from lienthong.schemas.rules import codes


def test_code_sets_have_the_sourced_sizes() -> None:
    assert len(codes.agency_abbreviations()) == 23
    assert len(codes.procedure_codes()) == 19
    # The 28 new codes of 2025 reuse old commune codes (CV 1027/CTK-CSCL).
    assert {c.new_code for c in reform_2025()} <= codes.commune_codes()
    assert len(codes.commune_codes()) == 75
    assert len(codes.unit_codes()) == 83


@pytest.mark.parametrize("code", ["000.00.00.H30", "000.00.01.H22", "SYT", "CDC Hậu Giang"])
def test_agency_codes_accepted(code: str) -> None:
    assert codes.agency_code_problem(code) is None


@pytest.mark.parametrize("code", ["000.00.00.G12", "000.00.00.H3", "Sở Y tế", "syt", ""])
def test_agency_codes_refused(code: str) -> None:
    assert "agencies.csv" in (codes.agency_code_problem(code) or "")


def test_procedure_and_unit_codes() -> None:
    assert codes.procedure_code_problem("1.001193") is None
    assert codes.procedure_code_problem("1.001194")
    assert codes.unit_code_problem("930") is None
    assert codes.unit_code_problem("31321") is None
    assert codes.commune_code_problem("930")  # a district is not a commune
    assert codes.unit_code_problem("93")  # the province itself is not a unit here


@pytest.mark.parametrize(
    ("check", "good", "bad"),
    [
        (codes.trace_id_problem, "4bf92f3577b34da6a3ce929d0e0e4736", "4bf92f3577b34da6"),
        (codes.icd10_problem, "U07.1", "A9"),
        (codes.phone_problem, "+84912345678", "912345678"),
        (codes.phone_problem, "02933876543", "0912.345.678"),
        (codes.pseudonym_problem, "HG-2025-000123", "has space"),
        (codes.pseudonym_problem, "CASE:1", "093185000123"),
        (codes.sha256_problem, "0" * 64, "g" * 64),
        (codes.number_symbol_problem, "1668/NQ-UBTVQH15", "123/"),
        (codes.number_symbol_problem, "202/2025/QH15", "Số 123/QĐ-UBND"),
        (codes.number_symbol_problem, "6150/TB-LĐTBXH", "123/QĐ UBND"),
        (codes.not_blank_problem, "x", " \t"),
    ],
)
def test_formats(check: object, good: str, bad: str) -> None:
    assert callable(check)
    assert check(good) is None
    assert check(bad)


def test_identity_numbers_depend_on_the_applicant_type() -> None:
    assert codes.identity_number_problem("093185000123", 1) is None
    assert codes.identity_number_problem("361234567", 1) is None
    assert codes.identity_number_problem("6300123456", 1)
    assert codes.identity_number_problem("6300123456", 2) is None
    assert codes.identity_number_problem("6300123456-001", 2) is None
    assert codes.identity_number_problem("093185000123", 2)


def test_schema_refs() -> None:
    name = "vn.haugiang.lienthong.dossier.DossierLifecycle"
    assert codes.schema_ref_problem(name, name) is None
    assert codes.schema_ref_problem(f"{name}@12", name) is None
    assert codes.schema_ref_problem(f"{name}@", name)
    assert codes.schema_ref_problem(f"{name}@v2", name)
    assert codes.schema_ref_problem(f"{name}@0", name)
    assert codes.schema_ref_problem("DossierLifecycle", name)
