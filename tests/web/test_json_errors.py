"""Every error of a service built on lienthong.web is JSON, down to the HTTP layer.

Raw sockets, so that what uvicorn itself answers (before any app code) is seen too.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lienthong.web import REQUEST_ID_HEADER, JsonErrorProtocol, install_json_errors
from tests.web.serving import Answer, RawClient, served


async def hello(request: Request) -> Response:
    return JSONResponse({"hello": "world"})


async def boom(request: Request) -> Response:
    raise RuntimeError("a bug")


def _app() -> Starlette:
    app = Starlette(routes=[Route("/hello", hello), Route("/boom", boom, methods=["POST"])])
    install_json_errors(app)
    return app


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    with served(_app()) as bound:
        yield bound


@pytest.fixture
def client(port: int) -> Iterator[RawClient]:
    connection = RawClient(port)
    yield connection
    connection.close()


def _is_json_error(answer: Answer, status: int, error: str) -> None:
    assert answer.status == status
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["error"] == error
    assert body["detail"]
    assert body["request_id"] == answer.headers[REQUEST_ID_HEADER]


def test_unknown_paths_and_wrong_methods_are_json_and_keep_the_connection(
    client: RawClient,
) -> None:
    _is_json_error(client.request("GET", "/nope"), 404, "not_found")
    wrong = client.request("DELETE", "/hello")
    _is_json_error(wrong, 405, "method_not_allowed")
    assert "GET" in wrong.json()["detail"]
    assert client.request("GET", "/hello").json() == {"hello": "world"}


def test_an_exception_is_a_json_500_whose_request_id_is_in_the_log(
    client: RawClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="lienthong.web"):
        answer = client.request("POST", "/boom", X_Request_Id="trace-42")
    _is_json_error(answer, 500, "internal_error")
    assert answer.json()["request_id"] == "trace-42"
    assert any("trace-42" in r.getMessage() and r.exc_info for r in caplog.records)
    # The kept-alive connection goes on after the 500.
    assert client.request("GET", "/hello").status == 200


def test_a_request_id_that_is_not_a_sane_token_is_replaced(client: RawClient) -> None:
    answer = client.request("GET", "/nope", X_Request_Id="x" * 200)
    assert len(answer.json()["request_id"]) == 32


@pytest.mark.parametrize(
    "raw",
    [
        b"GARBAGE\r\n\r\n",
        b"GET /hello HTTP/9.9\r\nHost: x\r\n\r\n",
        b"GET /hello HTTP/1.1\r\nBad Header\r\n\r\n",
        b"GET /h\xc3\xa9llo HTTP/1.1\r\nHost: x\r\n\r\n",
        b"POST /boom HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
        b"GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n",
    ],
    ids=["garbage", "version", "header", "non-ascii-path", "content-length", "bad-url"],
)
def test_malformed_requests_are_refused_in_json(port: int, raw: bytes) -> None:
    client = RawClient(port)
    try:
        _is_json_error(client.send(raw), 400, "malformed_request")
        assert client.closed_by_server()  # the stream cannot be re-synchronised
    finally:
        client.close()


def test_an_endless_header_is_refused_with_431_before_it_is_buffered(port: int) -> None:
    client = RawClient(port)
    try:
        limit = JsonErrorProtocol.max_head_bytes
        answer = client.send(b"GET /hello HTTP/1.1\r\nX-Long: " + b"a" * (limit + 10))
        _is_json_error(answer, 431, "header_too_large")
    finally:
        client.close()


def test_a_header_block_under_the_limit_is_served(client: RawClient) -> None:
    assert client.request("GET", "/hello", X_Token="t" * 8000).status == 200


def test_a_large_body_is_not_mistaken_for_a_large_head(client: RawClient) -> None:
    answer = client.request("POST", "/hello", b"x" * (JsonErrorProtocol.max_head_bytes * 4))
    _is_json_error(answer, 405, "method_not_allowed")
    assert client.request("GET", "/hello").status == 200
