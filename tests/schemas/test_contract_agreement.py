"""Each model and its .avsc accept and reject the same records, except by business rules.

For every example of the corpus: (a) does the model accept it (``from_avro``), and
(b) does fastavro's ``validate`` accept the same model-free dict. Where the schema can
tell (types, required fields, enum symbols) the two agree; where only a business rule
can, the schema accepts and the model rejects, and the corpus says so.
"""

from __future__ import annotations

from collections import Counter

import pytest
from fastavro.validation import validate
from pydantic import ValidationError

from lienthong.schemas.catalogue import catalogue, event_type
from lienthong.schemas.models import Violation, violations
from tests.schemas.corpus import EXAMPLES, Example


def _model_verdict(example: Example) -> list[Violation]:
    try:
        event_type(example.event_type).model.from_avro(example.record)
    except ValidationError as exc:
        return violations(exc)
    return []


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda e: e.id)
def test_model_and_schema_agree(example: Example) -> None:
    schema = event_type(example.event_type).parsed_schema
    avro_accepts = validate(example.record, schema, raise_errors=False)
    found = _model_verdict(example)

    expected = {"valid": (True, True), "avro": (False, False), "rule": (True, False)}
    assert (avro_accepts, not found) == expected[example.kind], found


@pytest.mark.parametrize("example", [e for e in EXAMPLES if e.kind != "valid"], ids=lambda e: e.id)
def test_rejections_name_the_field_and_the_rule(example: Example) -> None:
    found = _model_verdict(example)
    assert {"field": example.field, "rule": example.rule} in [
        {"field": v["field"], "rule": v["rule"]} for v in found
    ], found
    assert all(v["message"] for v in found)


@pytest.mark.parametrize("name", list(catalogue()))
def test_every_event_type_has_each_kind_of_example(name: str) -> None:
    kinds = Counter(e.kind for e in EXAMPLES if e.event_type == name)
    assert kinds["valid"] >= 2
    assert kinds["avro"] >= 5
    assert kinds["rule"] >= 5


@pytest.mark.parametrize("name", list(catalogue()))
def test_the_corpus_covers_each_avro_failure_class(name: str) -> None:
    rules = {e.rule for e in EXAMPLES if e.event_type == name and e.kind == "avro"}
    assert "missing" in rules  # a required field absent
    assert rules & {"int_type", "string_type", "float_type", "bool_type", "datetime_type"}
    if '"type":"enum"' in event_type(name).schema_str:
        assert "enum" in rules  # a symbol the schema does not know


def test_example_ids_are_unique() -> None:
    ids = [e.id for e in EXAMPLES]
    assert len(ids) == len(set(ids))
