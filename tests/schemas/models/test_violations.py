"""Validation errors as data, without the offending (possibly personal) values."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from lienthong.schemas.models import DossierLifecycle, Violation, describe, violations
from tests.schemas.corpus._build import changed
from tests.schemas.corpus.dossier import RECEIVED


def _violations(record: object) -> list[Violation]:
    with pytest.raises(ValidationError) as caught:
        DossierLifecycle.model_validate(record)
    return violations(caught.value)


def test_each_violation_names_field_rule_and_reason() -> None:
    found = _violations(changed(RECEIVED, SoDienThoai="0912 345 678", envelope__trace_id="x"))
    assert [(v["field"], v["rule"]) for v in found] == [
        ("envelope.trace_id", "trace_id"),
        ("SoDienThoai", "phone"),
    ]
    assert all(set(v) == {"field", "rule", "message"} for v in found)
    assert "W3C trace-id" in found[0]["message"]


def test_type_errors_use_pydantics_stable_types() -> None:
    found = _violations(changed(RECEIVED, TrangThaiHoSo="2"))
    assert found == [
        {"field": "TrangThaiHoSo", "rule": "int_type", "message": "Input should be a valid integer"}
    ]


def test_personal_data_does_not_leak_into_violations() -> None:
    found = _violations(changed(RECEIVED, MaDoiTuong="6300123456"))
    found += _violations(changed(RECEIVED, SoDienThoai="0912-345-678"))
    assert [v["rule"] for v in found] == ["identity_number", "phone"]
    assert "6300123456" not in str(found)  # the rule says what is expected, not the value
    assert "345" not in str(found)


def test_a_record_that_is_not_a_mapping_is_a_whole_record_violation() -> None:
    found = _violations(["not", "a", "record"])
    assert found[0]["field"] == ""
    assert describe(violations(ValidationError.from_exception_data("x", []))) == ""
    with pytest.raises(ValidationError) as caught:
        DossierLifecycle.model_validate(42)
    assert describe(violations(caught.value)).startswith("(event): ")
