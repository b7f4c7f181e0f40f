"""Schema evolution under each compatibility level, through the HTTP API on a real broker."""

from __future__ import annotations

import httpx
import pytest

from tests.registry.conftest import body, record

ALL_LEVELS = [
    "BACKWARD",
    "BACKWARD_TRANSITIVE",
    "FORWARD",
    "FORWARD_TRANSITIVE",
    "FULL",
    "FULL_TRANSITIVE",
    "NONE",
]
ID = {"name": "id", "type": "string"}
NAME = {"name": "name", "type": "string"}


def given(registry: httpx.Client, subject: str, level: str, *schemas: str) -> None:
    assert registry.put(f"/config/{subject}", json={"compatibility": level}).status_code == 200
    for schema in schemas:
        response = registry.post(f"/subjects/{subject}/versions", json=body(schema))
        assert response.status_code == 200, response.text


def attempt(registry: httpx.Client, subject: str, schema: str) -> httpx.Response:
    return registry.post(f"/subjects/{subject}/versions", json=body(schema))


def test_backward_accepts_an_optional_field_with_a_default(registry: httpx.Client) -> None:
    given(registry, "s", "BACKWARD", record("Dossier", ID))
    optional = {"name": "note", "type": ["null", "string"], "default": None}
    assert attempt(registry, "s", record("Dossier", ID, optional)).status_code == 200
    assert registry.get("/subjects/s/versions").json() == [1, 2]


def test_backward_refuses_a_new_field_without_default_and_says_why(
    registry: httpx.Client,
) -> None:
    given(registry, "s", "BACKWARD", record("Dossier", ID))
    refused = attempt(registry, "s", record("Dossier", ID, {"name": "status", "type": "int"}))
    assert refused.status_code == 409
    assert refused.json()["error_code"] == 409
    message = refused.json()["message"]
    assert "READER_FIELD_MISSING_DEFAULT_VALUE" in message
    assert "'status'" in message
    assert "oldSchemaVersion: 1" in message
    assert registry.get("/subjects/s/versions").json() == [1]


def test_forward_refuses_removing_a_field_that_has_no_default(registry: httpx.Client) -> None:
    given(registry, "fwd", "FORWARD", record("Dossier", ID, NAME))
    refused = attempt(registry, "fwd", record("Dossier", ID))
    assert refused.status_code == 409
    assert "'name'" in refused.json()["message"]
    # The same removal is fine backward: a new reader ignores the old field.
    given(registry, "bwd", "BACKWARD", record("Dossier", ID, NAME))
    assert attempt(registry, "bwd", record("Dossier", ID)).status_code == 200


@pytest.mark.parametrize("level", ALL_LEVELS)
def test_a_type_change_fails_under_every_level_but_none(registry: httpx.Client, level: str) -> None:
    given(registry, "s", level, record("Case", {"name": "ward", "type": "string"}))
    changed = attempt(registry, "s", record("Case", {"name": "ward", "type": "int"}))
    assert changed.status_code == (200 if level == "NONE" else 409), changed.text


@pytest.mark.parametrize("family", ["BACKWARD", "FORWARD", "FULL"])
def test_transitive_levels_check_every_earlier_version(registry: httpx.Client, family: str) -> None:
    # v1 -> v2 -> v3 is fine step by step, but v3 contradicts v1 (int vs string 'f').
    v1 = record("R", {"name": "f", "type": "int", "default": 0})
    v2 = record("R")
    v3 = record("R", {"name": "f", "type": "string", "default": "x"})
    given(registry, "latest-only", family, v1, v2)
    assert attempt(registry, "latest-only", v3).status_code == 200
    given(registry, "transitive", f"{family}_TRANSITIVE", v1, v2)
    refused = attempt(registry, "transitive", v3)
    assert refused.status_code == 409
    assert "oldSchemaVersion: 1" in refused.json()["message"]


def test_soft_deleted_versions_are_not_checked(registry: httpx.Client) -> None:
    v1 = record("R", {"name": "f", "type": "int", "default": 0})
    given(registry, "s", "BACKWARD_TRANSITIVE", v1, record("R"))
    v3 = record("R", {"name": "f", "type": "string", "default": "x"})
    assert attempt(registry, "s", v3).status_code == 409
    assert registry.delete("/subjects/s/versions/1").status_code == 200
    assert attempt(registry, "s", v3).status_code == 200


def test_compatibility_endpoint(registry: httpx.Client) -> None:
    given(registry, "s", "BACKWARD", record("R", ID))
    fine = body(record("R", ID, {"name": "n", "type": "int", "default": 1}))
    bad = body(record("R", ID, {"name": "n", "type": "int"}))
    url = "/compatibility/subjects/s/versions/latest"
    assert registry.post(url, json=fine).json() == {"is_compatible": True}
    assert registry.post(url, json=bad).json() == {"is_compatible": False}
    verbose = registry.post(url, params={"verbose": "true"}, json=bad).json()
    assert verbose["is_compatible"] is False
    assert any("READER_FIELD_MISSING_DEFAULT_VALUE" in m for m in verbose["messages"])
    assert registry.post("/compatibility/subjects/s/versions/1", json=bad).json() == {
        "is_compatible": False
    }
    assert registry.post("/compatibility/subjects/s/versions", json=fine).json() == {
        "is_compatible": True
    }
    missing = registry.post("/compatibility/subjects/s/versions/9", json=fine)
    assert missing.json()["error_code"] == 40402
    nobody = registry.post("/compatibility/subjects/nobody/versions/latest", json=bad)
    assert nobody.json() == {"is_compatible": True}  # nothing to be incompatible with
    invalid = registry.post(url, params={"verbose": "true"}, json=body("{nope"))
    assert invalid.json()["is_compatible"] is False
    assert registry.post(url, json=body("{nope")).json()["error_code"] == 42201
