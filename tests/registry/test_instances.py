"""Restarts and several instances on one topic: same subjects, versions and ids, no leader."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest

from lienthong.connectors.kafka import KafkaSettings, TopicSpec, ensure_topics
from lienthong.registry._errors import StoreError
from tests.identities import REGISTRY_ADMIN
from tests.registry.conftest import StartRegistry, body, record


def client(url: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=60, auth=REGISTRY_ADMIN)


def snapshot(registry: httpx.Client) -> dict[str, Any]:
    """Everything a client can see: subjects, their versions (deleted too) and ids."""
    seen: dict[str, Any] = {"config": registry.get("/config").json()}
    for subject in registry.get("/subjects", params={"deleted": "true"}).json():
        versions = registry.get(f"/subjects/{subject}/versions", params={"deleted": "true"}).json()
        seen[subject] = [
            registry.get(f"/subjects/{subject}/versions/{v}", params={"deleted": "true"}).json()
            for v in versions
        ]
    return seen


def agreed(one: httpx.Client, two: httpx.Client, timeout_s: float = 10.0) -> dict[str, Any]:
    """Both instances' snapshot once they agree (each folds the other's writes within ms)."""
    deadline = time.monotonic() + timeout_s
    while True:
        left, right = snapshot(one), snapshot(two)
        if left == right or time.monotonic() > deadline:
            assert left == right
            return left
        time.sleep(0.05)


def optional_field(name: str) -> dict[str, Any]:
    return {"name": name, "type": ["null", "string"], "default": None}


def test_a_restarted_registry_serves_the_same_state(start_registry: StartRegistry) -> None:
    first = start_registry()
    with client(first.url) as registry:
        registry.put("/config", json={"compatibility": "FULL"})
        for n in range(3):
            fields = [optional_field(f"f{i}") for i in range(n)]
            registry.post("/subjects/dossier-value/versions", json=body(record("D", *fields)))
        registry.post("/subjects/case-value/versions", json=body(record("C")))
        registry.post("/subjects/gone-value/versions", json=body(record("G")))
        registry.delete("/subjects/gone-value")
        registry.delete("/subjects/dossier-value/versions/2")
        before = snapshot(registry)
        highest = max(
            v["id"] for versions in before.values() if isinstance(versions, list) for v in versions
        )
    first.stop()

    second = start_registry()
    with client(second.url) as registry:
        assert snapshot(registry) == before
        new = registry.post("/subjects/new-value/versions", json=body(record("N")))
        assert new.json()["id"] == highest + 1  # ids continue; none is reused


def test_two_instances_agree(start_registry: StartRegistry) -> None:
    a, b = start_registry(), start_registry()
    with client(a.url) as one, client(b.url) as two:
        first = one.post("/subjects/s/versions", json=body(record("A"))).json()["id"]
        # Read straight away from the other instance: a miss there catches up first.
        assert two.get(f"/schemas/ids/{first}").status_code == 200
        assert two.get("/subjects/s/versions/latest").json()["id"] == first
        again = two.post("/subjects/t/versions", json=body(record("A"))).json()["id"]
        other = two.post("/subjects/s/versions", json=body(record("A", optional_field("x"))))
        assert again == first != other.json()["id"]
        two.put("/config/s", json={"compatibility": "NONE"})
        assert one.get("/config/s").json() == {"compatibilityLevel": "NONE"}  # a miss: syncs
        seen = agreed(one, two)
        assert [v["version"] for v in seen["s"]] == [1, 2]


def test_concurrent_registrations_on_two_instances(start_registry: StartRegistry) -> None:
    a, b = start_registry(), start_registry()
    schemas = [record(f"R{i}", optional_field("x")) for i in range(12)]
    shared = [record("Shared", optional_field(f"f{i}")) for i in range(6)]
    jobs: list[tuple[str, str, str]] = []
    for i, schema in enumerate(schemas):
        url = (a if i % 2 else b).url
        jobs += [(url, f"own-{i}", schema), (url, f"dup-{i}", schema)]  # same schema twice
    for i, schema in enumerate(shared):
        jobs.append(((a if i % 2 else b).url, "shared", schema))  # one subject, both instances
    jobs += [(a.url, "same", schemas[0]), (b.url, "same", schemas[0])]  # a tie on one schema

    def run(job: tuple[str, str, str]) -> tuple[str, str, int]:
        url, subject, schema = job
        with client(url) as registry:
            response = registry.post(f"/subjects/{subject}/versions", json=body(schema))
            assert response.status_code == 200, response.text
            return subject, schema, int(response.json()["id"])

    with ThreadPoolExecutor(max_workers=12) as pool:
        results = list(pool.map(run, jobs))

    id_of: dict[str, set[int]] = {}
    for _, schema, schema_id in results:
        id_of.setdefault(json.dumps(json.loads(schema), sort_keys=True), set()).add(schema_id)
    assert all(len(found) == 1 for found in id_of.values())  # one schema, one id
    distinct = [found.pop() for found in id_of.values()]
    assert len(set(distinct)) == len(distinct) == len(schemas) + len(shared)  # never shared

    with client(a.url) as one, client(b.url) as two:
        seen = agreed(one, two)
        assert [v["version"] for v in seen["shared"]] == list(range(1, len(shared) + 1))
        assert [v["version"] for v in seen["same"]] == [1]


def test_a_topic_with_several_partitions_is_refused(
    start_registry: StartRegistry, kafka_settings: KafkaSettings, registry_topic: str
) -> None:
    ensure_topics(kafka_settings, [TopicSpec(registry_topic, partitions=3)])
    with pytest.raises(StoreError, match="exactly one"):
        start_registry()
