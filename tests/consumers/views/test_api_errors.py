"""Every error of the query API is JSON naming what is wrong (issue 14, Build 3)."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable

import httpx
import pytest

from lienthong.audit import read_audit
from lienthong.consumers.views.web import MAX_KEY_LENGTH, BadParameter, day_param, paging
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.registry_client import RegistryClient
from tests.conftest import free_port
from tests.identities import QUERY_READER, Identities

from ..axis import Axis, WorkerProcess
from .test_views_e2e import AGENCIES, Api


def test_paging_is_bounded_and_names_the_field_and_rule() -> None:
    assert paging({}, 500) == (50, 0)
    assert paging({"limit": "500", "offset": "1000000000"}, 500) == (500, 1_000_000_000)
    for query, field in (
        ({"offset": str(2**70)}, "offset"),
        ({"offset": "-1"}, "offset"),
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "٥"}, "limit"),  # a digit, but not an ASCII one
        ({"offset": " 5"}, "offset"),
    ):
        with pytest.raises(BadParameter) as caught:
            paging(query, 500)
        assert caught.value.field == field
        assert caught.value.rule


def test_day_must_be_a_calendar_day() -> None:
    assert day_param({"day": "2025-02-28"}) == "2025-02-28"
    for bad in ("2025-02-30", "2025-2-1", "yesterday", "2025-02-28T00:00"):
        with pytest.raises(BadParameter):
            day_param({"day": bad})


def raw_request(port: int, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as conn:
        conn.sendall(request)
        chunks = []
        while chunk := conn.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.kafka
def test_every_error_is_json_with_a_request_id(
    axis: Axis, start_worker: Callable[..., WorkerProcess], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIENTHONG_VIEWS_ENABLED", "true")
    port = free_port()
    axis.create_topics(AGENCIES)
    start_worker(axis, None, "--metrics-port", str(port))
    api = Api(port)
    api.wait(lambda: api.get("/ioc/stats")["total"] == 0)
    base = api.base
    for probe in ("/healthz", "/readyz"):  # public, for `lienthong status` and orchestrators
        health = httpx.get(base + probe, timeout=10)
        assert (health.status_code, health.headers["content-type"][:16]) == (
            200,
            "application/json",
        ), health.text

    def error(method: str, path: str, status: int, **params: str) -> dict[str, object]:
        response = httpx.request(method, base + path, params=params, timeout=10, auth=QUERY_READER)
        assert response.status_code == status, (path, response.text[:300])
        assert response.headers["content-type"].startswith("application/json")
        body: dict[str, object] = response.json()
        assert body["request_id"] == response.headers["x-request-id"]
        assert body["error"]
        assert body["detail"]
        return body

    body = error("GET", "/ioc/stats", 400, offset=str(2**70))
    assert (body["field"], body["error"]) == ("offset", "invalid_parameter")
    assert error("GET", "/ioc/stats", 400, by="colour")["field"] == "by"
    assert error("GET", "/ioc/stats", 400, day="2025-13-01")["field"] == "day"
    assert error("GET", "/ioc/cases", 400, ward="x" * 300)["field"] == "ward"
    long_id = "D" * (MAX_KEY_LENGTH + 1)
    assert error("GET", f"/portal/dossiers/{long_id}", 400)["field"] == "ma_ho_so"
    assert error("GET", "/portal/dossiers/NO-SUCH-DOSSIER", 404)["error"] == "not_found"
    assert error("GET", "/no/such/path", 404)["error"] == "not_found"
    assert error("POST", "/ioc/stats", 405)["error"] == "method_not_allowed"
    for internal in ("/table/views-dossiers/", "/router/", "/graph/"):  # faust's own pages
        error("GET", internal, 404)
    error("GET", "/portal/dossiers/%2e%2e", 404)  # normalizes away to /portal/
    client_id = "trace-42.a"
    response = httpx.get(
        base + "/nowhere", headers={"X-Request-Id": client_id}, timeout=10, auth=QUERY_READER
    )
    assert response.json()["request_id"] == client_id == response.headers["x-request-id"]

    # Refusals of the HTTP parser itself, below every handler: JSON too.
    huge_header = b"GET /ioc/stats HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\n\r\n"
    huge_line = b"GET /portal/dossiers/" + b"D" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    for request in (huge_header, huge_line, b"NOT HTTP AT ALL\r\n\r\n"):
        answer = raw_request(port, request)
        head, _, payload = answer.partition(b"\r\n\r\n")
        assert b" 4" in head.split(b"\r\n")[0], head[:200]  # a 4xx status line
        assert b"content-type: application/json" in head.lower(), head[:300]
        assert b'"error"' in payload


@pytest.mark.kafka
def test_statistics_and_inboxes_need_the_right_identity_and_refusals_are_audited(
    axis: Axis,
    start_worker: Callable[..., WorkerProcess],
    identities: Identities,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LIENTHONG_VIEWS_ENABLED", "true")
    syt = {"Authorization": f"Bearer {identities.agency('SYT')}"}
    port = free_port()
    axis.create_topics(AGENCIES)
    worker = start_worker(axis, None, "--metrics-port", str(port))
    assert identities.path.parent == worker.log.parent  # the worker reads this file
    api = Api(port)
    api.wait(lambda: api.get("/ioc/stats")["total"] == 0)
    base = api.base
    anonymous = httpx.get(base + "/ioc/stats", timeout=10)
    assert anonymous.status_code == 401
    assert anonymous.json()["reason"] == "no_credentials"
    assert httpx.get(base + "/ioc/stats", headers=syt, timeout=10).status_code == 403
    assert httpx.get(base + "/inbox/SYT", headers=syt, timeout=10).status_code == 200
    someone_else = httpx.get(base + "/inbox/SXD", headers=syt, timeout=10)
    assert someone_else.status_code == 403
    assert someone_else.json()["reason"] == "missing_role"
    assert httpx.get(base + "/inbox/SXD", timeout=10, auth=QUERY_READER).status_code == 200
    assert httpx.get(base + "/portal/dossiers/NO-SUCH", timeout=10).status_code == 404  # public

    def refusals() -> list[tuple[str, str | None]]:
        with RegistryClient(axis.registry_url) as registry:
            try:
                records = list(
                    read_audit(axis.kafka, AvroDeserializer(registry), layout=axis.layout)
                )
            except LookupError:
                return []
        return [(r.event.target or "", r.event.reason) for r in records if r.event]

    deadline = time.monotonic() + 30
    while len(refusals()) < 3 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert refusals() == [
        ("GET /ioc/stats", "no_credentials"),
        ("GET /ioc/stats", "missing_role"),
        ("GET /inbox/SXD", "missing_role"),
    ]
