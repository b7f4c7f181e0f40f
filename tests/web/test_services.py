"""The gateway, the console and the registry answer every error in JSON, on one connection."""

from __future__ import annotations

import json
from base64 import b64encode
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from lienthong.audit import AuditTrail, MemoryAuditSink
from lienthong.connectors.kafka import KafkaSettings
from lienthong.console import ConsoleSettings
from lienthong.console import create_app as console_app
from lienthong.producers import Delivery, Record
from lienthong.registry._http import confluent_body
from lienthong.schemas.access import Role
from tests.identities import Identities
from tests.producers.events import dossier, dossier_json
from tests.producers.memory_gateway import MemoryGateway, memory_gateway
from tests.web.serving import Answer, RawClient, served

_MALFORMED = b"GET /v1/events HTTP/1.1\r\nNo Colon Here\r\n\r\n"


def _once(port: int, raw: bytes) -> Answer:
    with RawClient(port) as client:
        return client.send(raw)


def _json(answer: Answer, status: int) -> dict[str, object]:
    assert answer.status == status, answer.body
    media = answer.headers["content-type"].split(";")[0]
    assert media == "application/json" or media.endswith("+json")  # the registry's own types
    body: dict[str, object] = answer.json()
    return body


@pytest.fixture
def gateway(tmp_path: Path) -> Iterator[tuple[MemoryGateway, int]]:
    with memory_gateway(tmp_path) as gw, served(gw.app) as port:
        yield gw, port


def test_every_gateway_error_is_json_and_the_connection_survives_them(
    gateway: tuple[MemoryGateway, int],
) -> None:
    gw, port = gateway
    client = RawClient(port)
    auth = {"Authorization": f"Bearer {gw.key}", "Content_Type": "application/json"}
    # (closed at the end: every answer above came on this one connection)
    good = json.dumps(dossier_json(dossier())).encode()
    assert _json(client.request("GET", "/v1/nowhere"), 404)["error"] == "not_found"
    assert _json(client.request("GET", "/v1/events"), 405)["error"] == "method_not_allowed"
    assert _json(client.request("POST", "/v1/events", good), 401)["error"] == "unauthenticated"
    bad = _json(client.request("POST", "/v1/events", b"{", **auth), 422)
    assert bad["error"] == "invalid_event"
    assert bad["request_id"]
    assert _json(client.request("POST", "/v1/events", good, **auth), 200)["status"] == "produced"
    client.close()


@pytest.mark.parametrize(
    "moment", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:00-01:00", "1899-05-01T00:00:00Z"]
)
def test_a_time_at_the_calendars_edge_is_a_422_naming_the_field(
    gateway: tuple[MemoryGateway, int], moment: str
) -> None:
    gw, port = gateway
    event = dossier_json(dossier())
    event["envelope"]["occurred_at"] = moment
    event["NgayTiepNhan"] = moment
    with RawClient(port) as client:
        body = json.dumps(event).encode()
        answer = client.request("POST", "/v1/events", body, Authorization=f"Bearer {gw.key}")
        refused = _json(answer, 422)
        assert refused["error"] == "invalid_event"
        errors = refused["items"][0]["errors"]  # type: ignore[index]
        assert {(e["field"], e["rule"]) for e in errors} >= {
            ("envelope.occurred_at", "date_range"),
            ("NgayTiepNhan", "date_range"),
        }
        assert client.request("GET", "/healthz").status == 200  # same connection


def test_a_gateway_bug_is_a_json_500_and_the_connection_survives(
    gateway: tuple[MemoryGateway, int],
) -> None:
    gw, port = gateway

    async def broken(records: Sequence[Record]) -> list[Delivery]:
        raise RuntimeError("a bug in the sink")

    gw.sink.send = broken  # type: ignore[method-assign]
    client = RawClient(port)
    auth = {"Authorization": f"Bearer {gw.key}"}
    answer = client.request(
        "POST", "/v1/events", json.dumps(dossier_json(dossier())).encode(), **auth
    )
    assert _json(answer, 500)["error"] == "internal_error"
    assert _json(client.request("GET", "/healthz"), 200) == {"status": "ok"}
    client.close()


def test_the_gateways_http_layer_refuses_in_json(gateway: tuple[MemoryGateway, int]) -> None:
    _, port = gateway
    assert _json(_once(port, _MALFORMED), 400)["error"] == "malformed_request"
    endless = b"GET /healthz HTTP/1.1\r\nX: " + b"a" * 100_000
    assert _json(_once(port, endless), 431)["error"] == "header_too_large"


def test_every_console_error_is_json(identities: Identities) -> None:
    settings = ConsoleSettings(port=0)
    password = identities.operator("op", Role.OPERATOR)
    signed = {"Authorization": "Basic " + b64encode(f"op:{password}".encode()).decode()}
    app = console_app(
        KafkaSettings(),
        settings,
        access=identities.watcher(),
        trail=AuditTrail("console", MemoryAuditSink()),
    )
    with served(app) as port:
        with RawClient(port) as client:
            assert _json(client.request("GET", "/api/overview"), 401)["error"] == "unauthenticated"
            nowhere = client.request("GET", "/api/nowhere", b"", **signed)
            assert _json(nowhere, 404)["error"] == "not_found"
            assert _json(client.request("DELETE", "/api/overview", b"", **signed), 405)["detail"]
            refused = client.request("POST", "/api/deadletters/replay", b"not json", **signed)
            assert _json(refused, 422)["error"] == "invalid_request"
            assert _json(client.request("POST", "/api/deadletters/replay", b"[]", **signed), 422)
        assert _json(_once(port, _MALFORMED), 400)["error"] == "malformed_request"


def test_every_registry_error_is_json_in_confluents_shape(schema_registry_url: str) -> None:
    port = urlsplit(schema_registry_url).port
    assert port is not None
    with RawClient(port) as client:
        missing = _json(client.request("GET", "/nowhere"), 404)
        assert missing["error_code"] == 404
        wrong = client.request("PATCH", "/subjects")  # a write: refused before routing
        assert _json(wrong, wrong.status)["error_code"] in (401, 405)
        assert client.request("GET", "/subjects").status == 200  # still connected
    refused = _json(_once(port, _MALFORMED), 400)
    assert refused["error_code"] == 400
    assert refused["message"]
    assert confluent_body(500, "internal_error", "x", "r")["error_code"] == 50001
