"""Soft and permanent deletion, as Confluent's registry does them."""

from __future__ import annotations

import httpx

from tests.registry.conftest import body, record

V1 = record("Doc", {"name": "so", "type": "string"})
V2 = record("Doc", {"name": "so", "type": "string"}, {"name": "n", "type": "int", "default": 0})


def code(response: httpx.Response) -> int:
    value: int = response.json()["error_code"]
    return value


def ids(registry: httpx.Client, subject: str, *schemas: str) -> list[int]:
    return [
        registry.post(f"/subjects/{subject}/versions", json=body(schema)).json()["id"]
        for schema in schemas
    ]


def test_soft_deleting_a_version_hides_it_but_keeps_its_id(registry: httpx.Client) -> None:
    id1, _ = ids(registry, "s", V1, V2)
    assert registry.delete("/subjects/s/versions/1").json() == 1
    assert registry.get("/subjects/s/versions").json() == [2]
    assert registry.get("/subjects/s/versions", params={"deleted": "true"}).json() == [1, 2]
    assert registry.get("/subjects/s/versions", params={"deletedOnly": "true"}).json() == [1]
    assert code(registry.get("/subjects/s/versions/1")) == 40402
    assert registry.get("/subjects/s/versions/1", params={"deleted": "true"}).json()["id"] == id1
    assert registry.get(f"/schemas/ids/{id1}").status_code == 200  # old data still decodes
    assert code(registry.delete("/subjects/s/versions/1")) == 40406
    assert code(registry.delete("/subjects/s/versions/2", params={"permanent": "true"})) == 40407
    assert code(registry.delete("/subjects/s/versions/9")) == 40402
    assert code(registry.delete("/subjects/none/versions/1")) == 40401


def test_soft_then_permanent_subject_delete(registry: httpx.Client) -> None:
    id1, id2 = ids(registry, "s", V1, V2)
    assert code(registry.delete("/subjects/s", params={"permanent": "true"})) == 40405
    assert registry.delete("/subjects/s").json() == [1, 2]
    assert registry.get("/subjects").json() == []
    assert registry.get("/subjects", params={"deleted": "true"}).json() == ["s"]
    assert code(registry.get("/subjects/s/versions")) == 40401
    assert code(registry.delete("/subjects/s")) == 40404
    assert registry.get(f"/schemas/ids/{id2}").status_code == 200

    assert registry.delete("/subjects/s", params={"permanent": "true"}).json() == [1, 2]
    assert registry.get("/subjects", params={"deleted": "true"}).json() == []
    assert code(registry.get(f"/schemas/ids/{id1}")) == 40403
    assert code(registry.delete("/subjects/s")) == 40401

    # The schema keeps its id for ever: registering it again brings the same id back.
    assert ids(registry, "s", V1) == [id1]
    assert registry.get("/subjects/s/versions").json() == [1]


def test_registering_a_soft_deleted_schema_again_makes_a_new_version(
    registry: httpx.Client,
) -> None:
    (id1,) = ids(registry, "s", V1)
    registry.delete("/subjects/s/versions/1")
    assert ids(registry, "s", V1) == [id1]
    assert registry.get("/subjects/s/versions").json() == [2]
    assert registry.get("/subjects/s/versions", params={"deleted": "true"}).json() == [1, 2]


def test_permanent_delete_of_the_last_version_forgets_the_subject_config(
    registry: httpx.Client,
) -> None:
    ids(registry, "s", V1)
    registry.put("/config/s", json={"compatibility": "NONE"})
    registry.delete("/subjects/s/versions/latest")
    assert registry.delete("/subjects/s/versions/1", params={"permanent": "true"}).json() == 1
    assert registry.get("/config/s").json()["error_code"] == 40408
