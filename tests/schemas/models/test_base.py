"""What every model does: NFC text, strictness, all problems at once, immutability."""

from __future__ import annotations

import json
import unicodedata
from typing import Any

import pytest
from pydantic import ValidationError

from lienthong.schemas.catalogue import event_type
from lienthong.schemas.models import EpidemicCaseReport, OfficialDocument, violations
from tests.schemas.corpus import EXAMPLES, Example
from tests.schemas.corpus.document import ISSUED
from tests.schemas.corpus.epidemic import DENGUE_CASE


def _nfd(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, list):
        return [_nfd(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfd(v) for k, v in value.items()}
    return value


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    return []


def test_every_string_is_stored_nfc_even_in_lists_and_nested_records() -> None:
    decomposed = _nfd(ISSUED)
    assert decomposed["recipient_agencies"][1] != "CDC Hậu Giang"  # really decomposed
    document = OfficialDocument.from_avro(decomposed)
    assert document == OfficialDocument.from_avro(ISSUED)
    strings = _strings(document.to_avro())
    assert all(unicodedata.is_normalized("NFC", s) for s in strings)
    assert "CDC Hậu Giang" in document.recipient_agencies  # matched the reference after NFC


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind == "valid"], ids=lambda e: e.id)
def test_decomposed_text_is_stored_nfc_from_python_and_from_json(example: Example) -> None:
    # Each string field normalises itself: JSON input (the gateway's) as well as dicts.
    model = event_type(example.event_type).model
    expected = model.from_avro(example.record)
    assert model.from_avro(_nfd(example.record)) == expected
    decomposed_json = json.dumps(_nfd(json.loads(expected.model_dump_json())), ensure_ascii=False)
    assert model.model_validate_json(decomposed_json) == expected


def test_field_errors_and_cross_field_rules_are_reported_together() -> None:
    record = DENGUE_CASE | {
        "envelope": DENGUE_CASE["envelope"] | {"event_type": "case.feedback"},
        "status": "UNKNOWN",
        "onset_at": DENGUE_CASE["envelope"]["occurred_at"].replace(year=2026),
    }
    with pytest.raises(ValidationError) as caught:
        EpidemicCaseReport.from_avro(record)
    found = [(v["field"], v["rule"]) for v in violations(caught.value)]
    # The field's own error first, then every cross-field rule, each on its own field.
    assert found == [
        ("status", "reserved_symbol"),
        ("envelope.event_type", "event_type"),
        ("onset_at", "date_order"),
    ]
    record["status"] = "CONFIRMED"
    with pytest.raises(ValidationError) as caught:
        EpidemicCaseReport.from_avro(record)
    found = [(v["field"], v["rule"]) for v in violations(caught.value)]
    assert found == [("envelope.event_type", "event_type"), ("onset_at", "date_order")]


def test_rules_that_need_a_failed_field_are_not_judged() -> None:
    # A bad envelope: the rules comparing with it (event type, onset before occurrence)
    # cannot be judged and are not reported; the field error is.
    record = DENGUE_CASE | {
        "envelope": DENGUE_CASE["envelope"] | {"occurred_at": 5},
        "onset_at": DENGUE_CASE["envelope"]["occurred_at"].replace(year=2026),
    }
    with pytest.raises(ValidationError) as caught:
        EpidemicCaseReport.from_avro(record)
    assert [(v["field"], v["rule"]) for v in violations(caught.value)] == [
        ("envelope.occurred_at", "date_range")
    ]


def test_field_and_rule_errors_come_together_from_json_too() -> None:
    document = json.loads(OfficialDocument.from_avro(ISSUED).model_dump_json())
    document["issuing_agency"] = "not an agency"
    document["signed_at"] = "2025-12-31T00:00:00Z"  # after issued_at: a cross-field rule
    with pytest.raises(ValidationError) as caught:
        OfficialDocument.model_validate_json(json.dumps(document))
    found = [(v["field"], v["rule"]) for v in violations(caught.value)]
    assert found == [("issuing_agency", "agency_code"), ("signed_at", "date_order")]


def test_models_are_immutable() -> None:
    case = EpidemicCaseReport.from_avro(DENGUE_CASE)
    with pytest.raises(ValidationError, match="frozen"):
        case.case_id = "other"  # type: ignore[misc]
