"""The status table is the reference document's table."""

from __future__ import annotations

import re
from importlib import resources

from lienthong.schemas.rules.dossier_codes import (
    APPLICANT_TYPES,
    STATUSES,
    StatusCode,
    applicant_type_problem,
    status_label,
    status_problem,
)


def _reference_table() -> dict[int, str]:
    text = (
        resources.files("lienthong.schemas")
        .joinpath("reference", "dossier_status_codes.md")
        .read_text("utf-8")
    )
    return {int(code): label for code, label in re.findall(r"^\| (\d+) \| ([^|]+?) \|", text, re.M)}


def test_codes_and_labels_come_from_the_reference() -> None:
    assert {code: row.label_vi for code, row in STATUSES.items()} == _reference_table()


def test_flags_follow_section_4_of_the_reference() -> None:
    assert {c for c, r in STATUSES.items() if r.pauses_clock} == {5, 6}
    assert {c for c, r in STATUSES.items() if r.received} == {2, 4, 5, 6, 9, 10}
    assert all(row.code == code == row.code.value for code, row in STATUSES.items())


def test_names_labels_and_problems() -> None:
    assert StatusCode.SUPPLEMENT_REQUESTED.value == 5
    assert status_label(StatusCode.RESULT_RETURNED) == "Đã trả kết quả"
    assert status_label(11) == "không rõ (11)"
    assert status_problem(10) is None
    assert "1, 2, 3, 4, 5, 6, 7, 8, 9, 10" in (status_problem(11) or "")
    assert dict(APPLICANT_TYPES) == {1: "Cá nhân", 2: "Doanh nghiệp"}
    assert applicant_type_problem(2) is None
    assert applicant_type_problem(0)
