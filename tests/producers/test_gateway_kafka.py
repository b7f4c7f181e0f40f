"""The HTTP gateway on the real broker and registry: refusals produce nothing."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from lienthong.audit import AuditTrail, MemoryAuditSink
from lienthong.connectors.kafka import KafkaSettings
from lienthong.producers import Delivery, PublishRefused, Record
from lienthong.producers.gateway import GatewaySettings, create_app
from lienthong.producers.gateway._sink import AioKafkaSink
from lienthong.schemas.access import load_access, revoke_key, save_access
from tests.identities import Identities
from tests.producers.conftest import consume, end_offsets, make_topic, new_agency
from tests.producers.events import dossier, dossier_json


class Setup:
    def __init__(
        self,
        client: TestClient,
        identities: Identities,
        kafka: KafkaSettings,
        audit: MemoryAuditSink | None = None,
    ) -> None:
        self.client = client
        self.kafka = kafka
        self.identities = identities
        self.audit = audit or MemoryAuditSink()
        self.agency = new_agency()
        self.other = new_agency()
        self.topic = make_topic(kafka, self.agency)
        self.other_topic = make_topic(kafka, self.other)
        self.key = identities.agency(self.agency)
        self.other_key = identities.agency(self.other)

    def post(self, path: str, body: Any, key: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {key or self.key}"} if key != "" else {}
        return self.client.post(path, json=body, headers=headers)

    def produced(self) -> int:
        return end_offsets(self.kafka, self.topic) + end_offsets(self.kafka, self.other_topic)


def _app(
    kafka: KafkaSettings, settings: GatewaySettings, identities: Identities, audit: MemoryAuditSink
) -> TestClient:
    trail = AuditTrail("gateway", audit)
    return TestClient(create_app(kafka, settings, access=identities.watcher(), trail=trail))


@pytest.fixture
def gateway(
    tmp_path: Path,
    kafka_settings: KafkaSettings,
    schema_registry_url: str,
    identities: Identities,
) -> Iterator[Setup]:
    settings = GatewaySettings(
        registry_url=schema_registry_url,
        idempotency_path=tmp_path / "idem.db",
        rate_per_s=50,
        burst=100,
        max_batch=100,
        max_body_bytes=64 * 1024,
        delivery_timeout_s=10,
    )
    audit = MemoryAuditSink()
    with _app(kafka_settings, settings, identities, audit) as client:
        yield Setup(client, identities, kafka_settings, audit)


def test_a_valid_event_is_produced_and_its_offset_returned(gateway: Setup) -> None:
    event = dossier("H30-GW-1", agency=gateway.agency)
    response = gateway.post("/v1/events", dossier_json(event))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "produced"
    assert body["event_id"] == str(event.envelope.event_id)
    assert body["topic"] == gateway.topic
    assert body["offset"] == 0
    assert gateway.produced() == 1


def test_missing_or_wrong_key_is_401_and_nothing_is_produced(gateway: Setup) -> None:
    body = dossier_json(dossier(agency=gateway.agency))
    assert gateway.post("/v1/events", body, key="").status_code == 401
    wrong = gateway.post("/v1/events", body, key=gateway.key + "x")
    assert wrong.status_code == 401
    assert wrong.headers["WWW-Authenticate"].startswith("Bearer")
    assert wrong.json()["reason"] == "bad_credentials"
    assert [e.reason for e in gateway.audit.events] == ["no_credentials", "bad_credentials"]
    assert gateway.produced() == 0


def test_a_key_of_agency_a_publishing_as_b_is_403(gateway: Setup) -> None:
    as_other = dossier_json(dossier(agency=gateway.other))
    response = gateway.post("/v1/events", as_other, key=gateway.key)
    assert response.status_code == 403
    assert gateway.agency in response.json()["detail"]
    batch = {"events": [dossier_json(dossier(agency=gateway.agency)), as_other]}
    assert gateway.post("/v1/events/batch", batch).status_code == 403
    assert gateway.produced() == 0
    refused = [e for e in gateway.audit.events if e.reason == "wrong_agency"]
    assert len(refused) == 2
    assert refused[0].actor == f"agency:{gateway.agency}"


def test_an_event_type_the_agency_may_not_publish_is_403(gateway: Setup) -> None:
    narrow = new_agency()
    key = gateway.identities.agency(narrow, publish=["case.feedback"])
    response = gateway.post("/v1/events", dossier_json(dossier(agency=narrow)), key=key)
    assert response.status_code == 403
    assert response.json()["reason"] == "not_granted"
    assert "lienthong agencies grant" in response.json()["detail"]
    assert gateway.audit.events[-1].reason == "not_granted"


def test_a_revoked_key_is_refused_on_the_next_request(gateway: Setup) -> None:
    body = dossier_json(dossier(agency=gateway.agency))
    assert gateway.post("/v1/events", body).status_code == 200
    access = load_access(gateway.identities.path)
    key_id = gateway.key.split(".")[1]
    save_access(gateway.identities.path, revoke_key(access, key_id)[0])
    again = gateway.post("/v1/events", dossier_json(dossier(agency=gateway.agency)))
    assert again.status_code == 401
    assert gateway.audit.events[-1].action.value == "AUTH_FAILED"


def test_an_invalid_event_is_422_listing_every_field_error(gateway: Setup) -> None:
    bad = dossier_json(dossier(agency=gateway.agency))
    bad["MaHoSo"] = " "
    bad["LoaiDoiTuong"] = 7
    del bad["TenTTHC"]
    response = gateway.post("/v1/events", bad)
    assert response.status_code == 422
    (item,) = response.json()["items"]
    fields = {e["field"]: e["rule"] for e in item["errors"]}
    assert fields == {"MaHoSo": "not_blank", "LoaiDoiTuong": "applicant_type", "TenTTHC": "missing"}
    good = dossier_json(dossier(agency=gateway.agency))
    batch = gateway.post("/v1/events/batch", {"events": [good, bad, good | {"x": 1}]})
    assert batch.status_code == 422
    assert [i["index"] for i in batch.json()["items"]] == [1, 2]
    assert gateway.produced() == 0


def test_the_same_event_id_posted_twice_yields_one_record(gateway: Setup) -> None:
    body = dossier_json(dossier("H30-GW-2", agency=gateway.agency))
    first = gateway.post("/v1/events", body)
    second = gateway.post("/v1/events", body)
    assert first.status_code == second.status_code == 200
    assert second.json()["status"] == "duplicate"
    assert second.json()["offset"] == first.json()["offset"]
    in_batch = gateway.post("/v1/events/batch", {"events": [body, body]})
    assert [r["status"] for r in in_batch.json()["results"]] == ["duplicate", "duplicate"]
    changed = dict(body, TrichYeuHoSo="changed")
    assert gateway.post("/v1/events", changed).status_code == 409
    assert gateway.produced() == 1


def test_a_batch_answers_each_item_and_limits_apply(gateway: Setup) -> None:
    events = [dossier_json(dossier(f"H30-B-{n}", agency=gateway.agency)) for n in range(60)]
    response = gateway.post("/v1/events/batch", {"events": events})
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert response.json()["accepted"] == 60
    assert [r["event_id"] for r in results] == [e["envelope"]["event_id"] for e in events]
    assert all(r["status"] == "produced" and r["offset"] >= 0 for r in results)
    fresh = [dossier_json(dossier(f"H30-C-{n}", agency=gateway.agency)) for n in range(60)]
    limited = gateway.post("/v1/events/batch", {"events": fresh})
    assert limited.status_code == 429
    assert int(limited.headers["Retry-After"]) >= 1
    too_many = gateway.post("/v1/events/batch", {"events": fresh * 2}, key=gateway.other_key)
    assert too_many.status_code == 413
    huge = gateway.client.post(
        "/v1/events",
        content=b"{" + b" " * 70_000 + b"}",
        headers={"Authorization": f"Bearer {gateway.key}", "Content-Type": "application/json"},
    )
    assert huge.status_code == 413
    assert gateway.produced() == 60


def test_operations_endpoints(gateway: Setup) -> None:
    gateway.post("/v1/events", dossier_json(dossier(agency=gateway.agency)))
    assert gateway.client.get("/healthz").json() == {"status": "ok"}
    assert gateway.client.get("/readyz").json() == {"kafka": True, "registry": True}
    metrics = gateway.client.get("/metrics").text
    assert "lienthong_events_in_total{" in metrics
    assert 'route="/v1/events"' in metrics
    document = gateway.client.get("/openapi.json").json()
    assert "/v1/events/batch" in document["paths"]
    assert "DossierLifecycle" in document["components"]["schemas"]
    assert gateway.client.get("/docs").status_code == 200


def test_the_kafka_python_producer_with_its_spool_serves_the_gateway_too(
    tmp_path: Path,
    kafka_settings: KafkaSettings,
    schema_registry_url: str,
    identities: Identities,
) -> None:
    settings = GatewaySettings(
        registry_url=schema_registry_url,
        idempotency_path=tmp_path / "idem.db",
        spool_path=tmp_path / "spool.db",
        producer="kafka-python",
    )
    with _app(kafka_settings, settings, identities, MemoryAuditSink()) as client:
        setup = Setup(client, identities, kafka_settings)
        events = [dossier_json(dossier(f"H30-K-{n}", agency=setup.agency)) for n in range(5)]
        first = setup.post("/v1/events/batch", {"events": events})
        assert first.status_code == 200, first.text
        assert [r["status"] for r in first.json()["results"]] == ["produced"] * 5
        again = setup.post("/v1/events/batch", {"events": events})
        assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 5
        assert client.get("/readyz").json()["kafka"] is True
        assert setup.produced() == 5


def _metric(text: str, sample: str) -> float:
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == sample
    )


def test_metrics_move_by_the_burst(gateway: Setup) -> None:
    before = gateway.client.get("/metrics").text
    events = [dossier_json(dossier(f"H30-M-{n}", agency=gateway.agency)) for n in range(7)]
    assert gateway.post("/v1/events/batch", {"events": events}).status_code == 200
    after = gateway.client.get("/metrics").text
    moved = _metric(after, "lienthong_events_in_total") - _metric(
        before, "lienthong_events_in_total"
    )
    assert moved == 7
    requests = "lienthong_http_request_duration_seconds_count"
    assert _metric(after, requests) - _metric(before, requests) >= 1


def test_each_answered_position_holds_that_event_and_keys_keep_their_partition(
    gateway: Setup,
) -> None:
    # Several events per dossier, so that each partition gets a batch of several records.
    events = [
        dossier_json(dossier(f"H30-P-{n % 7}", agency=gateway.agency, step=n)) for n in range(40)
    ]
    response = gateway.post("/v1/events/batch", {"events": events})
    assert response.status_code == 200, response.text
    answered = {(r["partition"], r["offset"]): r["event_id"] for r in response.json()["results"]}
    records = consume(gateway.kafka, gateway.topic, 40)
    found = {(r.partition, r.offset): dict(r.headers)["lt.event_id"].decode() for r in records}
    assert found == answered
    partition_of: dict[bytes, set[int]] = {}
    for record in records:
        partition_of.setdefault(record.key, set()).add(record.partition)
    assert all(len(p) == 1 for p in partition_of.values())
    # The order of each dossier's events is the order they were posted in.
    for key in partition_of:
        ids = [dict(r.headers)["lt.event_id"].decode() for r in records if r.key == key]
        posted = [e["envelope"]["event_id"] for e in events if e["MaHoSo"].encode() == key]
        assert ids == posted


def test_a_record_too_large_for_a_request_is_refused_alone(
    tmp_path: Path, kafka_settings: KafkaSettings, agency: str
) -> None:
    # Reachable when an operator raises max_body_bytes past Kafka's 1 MiB request: the
    # broker would fail the whole batch, so the sink refuses that record by itself.
    topic = make_topic(kafka_settings, agency)
    settings = GatewaySettings(idempotency_path=tmp_path / "idem.db")
    sink = AioKafkaSink(kafka_settings, settings)
    records = [
        Record(topic, b"H30-BIG", b"first", [], "e1"),
        Record(topic, b"H30-BIG", os.urandom(1024 * 1024 + 1), [], "e2"),
        Record(topic, b"H30-BIG", b"third", [], "e3"),
    ]

    async def send() -> list[Delivery]:
        try:
            return await sink.send(records)
        finally:
            await sink.close()

    first, big, third = asyncio.run(send())
    assert isinstance(big.error, PublishRefused)
    assert big.offset is None
    assert (first.error, third.error) == (None, None)
    assert third.offset == first.offset + 1  # type: ignore[operator]
    assert [r.value for r in consume(kafka_settings, topic, 2)] == [b"first", b"third"]
