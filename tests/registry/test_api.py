"""The Confluent REST API of one registry instance, over real HTTP, on a real broker."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.registry.conftest import V1_JSON, body, record

USER = record("User", {"name": "name", "type": "string"})


def register(client: httpx.Client, subject: str, schema: str) -> httpx.Response:
    return client.post(f"/subjects/{subject}/versions", json=body(schema))


def error_code(response: httpx.Response) -> int:
    code: int = response.json()["error_code"]
    return code


def test_register_then_read_back_in_confluent_shapes(registry: httpx.Client) -> None:
    response = register(registry, "users-value", USER)
    assert response.status_code == 200
    assert response.headers["content-type"] == V1_JSON
    schema_id = response.json()["id"]
    assert response.json() == {"id": schema_id}

    assert registry.get("/subjects").json() == ["users-value"]
    assert registry.get("/subjects/users-value/versions").json() == [1]
    expected = {"subject": "users-value", "version": 1, "id": schema_id}
    latest = registry.get("/subjects/users-value/versions/latest").json()
    # schemaType is omitted for AVRO, as Confluent does; clients read absent as AVRO.
    assert {k: v for k, v in latest.items() if k != "schema"} == expected
    assert json.loads(latest["schema"]) == json.loads(USER)
    assert registry.get("/subjects/users-value/versions/1").json() == latest
    assert json.loads(registry.get("/subjects/users-value/versions/1/schema").text) == json.loads(
        USER
    )
    assert registry.get(f"/schemas/ids/{schema_id}").json() == {"schema": latest["schema"]}
    assert registry.get(f"/schemas/ids/{schema_id}/schema").text == latest["schema"]
    assert registry.get("/schemas/types").json() == ["AVRO"]


def test_registering_again_is_idempotent_whatever_the_layout(registry: httpx.Client) -> None:
    first = register(registry, "s", USER).json()["id"]
    relaid = json.dumps(json.loads(USER), indent=4, sort_keys=True)
    assert register(registry, "s", relaid).json()["id"] == first
    assert registry.get("/subjects/s/versions").json() == [1]


def test_same_schema_under_two_subjects_has_one_id(registry: httpx.Client) -> None:
    a = register(registry, "a-value", USER).json()["id"]
    b = register(registry, "b-value", USER).json()["id"]
    other = register(registry, "c-value", record("Other", {"name": "x", "type": "int"}))
    assert a == b != other.json()["id"]
    assert registry.get(f"/schemas/ids/{a}/subjects").json() == ["a-value", "b-value"]
    assert registry.get(f"/schemas/ids/{a}/versions").json() == [
        {"subject": "a-value", "version": 1},
        {"subject": "b-value", "version": 1},
    ]


def test_a_default_makes_a_different_schema(registry: httpx.Client) -> None:
    # Avro's parsing canonical form drops defaults; the registry must not.
    plain = record("R", {"name": "n", "type": "int"})
    with_default = record("R", {"name": "n", "type": "int", "default": 0})
    assert (
        register(registry, "plain", plain).json()["id"]
        != (register(registry, "defaulted", with_default).json()["id"])
    )


def test_lookup_under_subject(registry: httpx.Client) -> None:
    schema_id = register(registry, "s", USER).json()["id"]
    found = registry.post("/subjects/s", json=body(USER))
    assert found.status_code == 200
    assert found.json()["id"] == schema_id
    assert found.json()["version"] == 1
    assert error_code(registry.post("/subjects/nobody", json=body(USER))) == 40401
    missing = registry.post("/subjects/s", json=body(record("Z", {"name": "z", "type": "int"})))
    assert (missing.status_code, error_code(missing)) == (404, 40403)


@pytest.mark.parametrize(
    ("request_path", "status", "code"),
    [
        ("/subjects/none/versions", 404, 40401),
        ("/subjects/s/versions/7", 404, 40402),
        ("/subjects/none/versions/latest", 404, 40401),
        ("/schemas/ids/999999", 404, 40403),
        ("/subjects/s/versions/abc", 422, 42202),
        ("/subjects/s/versions/0", 422, 42202),
        ("/subjects/s/versions/2147483648", 422, 42202),
        ("/config/s", 404, 40408),
        ("/mode/s", 404, 40409),
        ("/no/such/path", 404, 404),
    ],
)
def test_error_codes_of_reads(
    registry: httpx.Client, request_path: str, status: int, code: int
) -> None:
    register(registry, "s", USER)
    response = registry.get(request_path)
    assert response.status_code == status
    assert response.headers["content-type"] == V1_JSON
    assert error_code(response) == code
    assert response.json()["message"]


@pytest.mark.parametrize(
    "schema",
    [
        "not json",
        '{"type": "nonsense"}',
        '{"type": "record", "name": "1bad", "fields": []}',
        record("R", {"name": "n", "type": "int", "default": "zero"}),
        record(
            "R",
            {"name": "e", "type": {"type": "enum", "name": "E", "symbols": ["A"]}, "default": "B"},
        ),
        "",
    ],
)
def test_invalid_schemas_are_42201(registry: httpx.Client, schema: str) -> None:
    response = register(registry, "s", schema)
    assert (response.status_code, error_code(response)) == (422, 42201)


def test_other_schema_types_and_references_are_refused(registry: httpx.Client) -> None:
    proto = registry.post(
        "/subjects/s/versions", json={"schema": "syntax = 'proto3';", "schemaType": "PROTOBUF"}
    )
    assert error_code(proto) == 42201
    refs = registry.post(
        "/subjects/s/versions",
        json={"schema": USER, "references": [{"name": "x", "subject": "y", "version": 1}]},
    )
    assert error_code(refs) == 42201
    explicit_avro = registry.post(
        "/subjects/s/versions", json={"schema": USER, "schemaType": "AVRO"}
    )
    assert explicit_avro.status_code == 200


def test_media_types_as_confluent_negotiates_them(registry: httpx.Client) -> None:
    plain = register(registry, "s", USER)
    assert plain.status_code == 200
    as_json = registry.get("/subjects", headers={"Accept": "application/json"})
    assert as_json.headers["content-type"] == "application/json"
    octet = registry.post(
        "/subjects/s/versions",
        content=json.dumps(body(USER)),
        headers={"Content-Type": "application/octet-stream"},
    )
    assert octet.status_code == 200
    text = registry.post(
        "/subjects/s/versions",
        content=json.dumps(body(USER)),
        headers={"Content-Type": "text/plain"},
    )
    assert (text.status_code, error_code(text)) == (415, 415)
    assert registry.get("/subjects", headers={"Accept": "text/html"}).status_code == 406
    garbled = registry.post(
        "/subjects/s/versions", content="{oops", headers={"Content-Type": V1_JSON}
    )
    assert garbled.status_code == 400


def test_config_global_and_per_subject(registry: httpx.Client) -> None:
    assert registry.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    put = registry.put("/config/s", json={"compatibility": "full_transitive"})
    assert put.json() == {"compatibility": "FULL_TRANSITIVE"}
    assert registry.get("/config/s").json() == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert error_code(registry.get("/config/other")) == 40408
    inherited = registry.get("/config/other", params={"defaultToGlobal": "true"})
    assert inherited.json() == {"compatibilityLevel": "BACKWARD"}
    assert registry.put("/config", json={"compatibility": "NONE"}).status_code == 200
    assert registry.get("/config").json() == {"compatibilityLevel": "NONE"}
    assert registry.delete("/config/s").json() == {"compatibilityLevel": "FULL_TRANSITIVE"}
    assert error_code(registry.get("/config/s")) == 40408
    assert error_code(registry.delete("/config/s")) == 40401
    assert registry.delete("/config").json() == {"compatibilityLevel": "NONE"}
    assert registry.get("/config").json() == {"compatibilityLevel": "BACKWARD"}
    bad = registry.put("/config", json={"compatibility": "SIDEWAYS"})
    assert (bad.status_code, error_code(bad)) == (422, 42203)


def test_read_only_mode_refuses_writes(registry: httpx.Client) -> None:
    assert registry.get("/mode").json() == {"mode": "READWRITE"}
    assert registry.put("/mode", json={"mode": "READONLY"}).json() == {"mode": "READONLY"}
    refused = register(registry, "s", USER)
    assert (refused.status_code, error_code(refused)) == (422, 42205)
    assert error_code(registry.put("/config/s", json={"compatibility": "NONE"})) == 42205
    assert registry.put("/mode", json={"mode": "READWRITE"}).status_code == 200
    assert register(registry, "s", USER).status_code == 200
    registry.put("/mode/s", json={"mode": "READONLY"})
    assert error_code(registry.delete("/subjects/s")) == 42205
    assert registry.get("/mode/s").json() == {"mode": "READONLY"}
    assert registry.delete("/mode/s").json() == {"mode": "READONLY"}
    assert error_code(registry.put("/mode", json={"mode": "SLEEPY"})) == 42204


def test_import_mode_keeps_the_ids_it_is_given(registry: httpx.Client) -> None:
    register(registry, "existing", USER)
    refused = registry.put("/mode", json={"mode": "IMPORT"})
    assert error_code(refused) == 42205  # subjects exist: importing needs force
    assert (
        registry.put("/mode", params={"force": "true"}, json={"mode": "IMPORT"}).status_code == 200
    )
    other = record("Imported", {"name": "x", "type": "long"})
    imported = registry.post(
        "/subjects/imported/versions", json={"schema": other, "id": 4242, "version": 3}
    )
    assert imported.json() == {"id": 4242}
    assert registry.get("/subjects/imported/versions").json() == [3]
    clash = registry.post(
        "/subjects/imported/versions",
        json={"schema": record("Else", {"name": "y", "type": "int"}), "id": 4242},
    )
    assert error_code(clash) == 42205
    assert error_code(register(registry, "plain", other)) == 42205  # no id: not read-write
    registry.put("/mode", json={"mode": "READWRITE"})
    nxt = register(registry, "after", record("After", {"name": "z", "type": "int"}))
    assert nxt.json()["id"] == 4243  # ids continue above the imported ones


def test_listings_and_probes(registry: httpx.Client) -> None:
    first = register(registry, "orders-value", USER).json()["id"]
    other = record(
        "User", {"name": "name", "type": "string"}, {"name": "n", "type": "int", "default": 0}
    )
    second = register(registry, "orders-value", other).json()["id"]
    register(registry, "people-value", USER)
    assert registry.get("/subjects", params={"subjectPrefix": "ord"}).json() == ["orders-value"]
    everything = registry.get("/schemas").json()
    assert [(s["subject"], s["version"], s["id"]) for s in everything] == [
        ("orders-value", 1, first),
        ("orders-value", 2, second),
        ("people-value", 1, first),
    ]
    latest = registry.get("/schemas", params={"latestOnly": "true", "subjectPrefix": "ord"})
    assert [s["version"] for s in latest.json()] == [2]
    assert registry.get("/subjects/orders-value/versions/1/referencedby").json() == []
    assert registry.get("/healthz").json() == {"status": "ok"}
    assert registry.get("/readyz").json() == {"status": "ready"}
    assert registry.get("/").json() == {}
    assert registry.delete("/subjects").status_code == 405


def test_metrics_count_requests_by_method_and_status(registry: httpx.Client) -> None:
    def count(body: str) -> float:
        for line in body.splitlines():
            if line.startswith("lienthong_registry_requests_total{") and (
                'method="GET"' in line and 'status="404"' in line
            ):
                return float(line.rsplit(" ", 1)[1])
        return 0.0

    before = registry.get("/metrics").text
    for _ in range(3):
        assert registry.get("/subjects/no-such-subject/versions").status_code == 404
    after = registry.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    assert count(after.text) - count(before) == 3
