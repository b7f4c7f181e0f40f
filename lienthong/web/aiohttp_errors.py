"""The same JSON errors for an aiohttp server (the worker's faust web: query API, metrics).

:func:`json_errors_middleware` gives every request an id (the client's ``X-Request-Id``
when sane, so a forwarded request keeps its id across workers), answers aiohttp's own
``HTTPException`` s (unknown paths, wrong methods) in JSON and turns any other exception
into a JSON 500 whose body and log line carry the id. :class:`JsonErrorRunner` answers
the refusals of aiohttp's HTTP parser (a header line too long, a malformed request line)
in JSON too: aiohttp writes those as ``text/plain`` below every middleware.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from lienthong.web.asgi import REQUEST_ID_HEADER, new_request_id
from lienthong.web.errors import error_body, error_bytes, error_name

log = logging.getLogger("lienthong.web")
_KEY = "lienthong.request_id"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_error(
    status: int,
    detail: str,
    *,
    error: str | None = None,
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    """An ``application/json`` error response (the body of :func:`.error_body`)."""
    body = error_body(status, error or error_name(status), detail, request_id, **extra)
    response = web.Response(
        body=error_bytes(body), status=status, content_type="application/json", headers=headers
    )
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


def aiohttp_request_id(request: web.BaseRequest) -> str:
    """This request's id (assigned on first use: the client's when sane, else new)."""
    found = request.get(_KEY)
    if isinstance(found, str):
        return found
    rid = new_request_id(request.headers.get(REQUEST_ID_HEADER))
    request[_KEY] = rid
    return rid


def _http_detail(request: web.Request, exc: web.HTTPException) -> str:
    if exc.status == 404:
        return f"no resource at {request.path}; check the path against the API's documentation"
    if exc.status == 405:
        allowed = exc.headers.get("Allow", "")
        return f"{request.method} is not allowed on {request.path}; allowed: {allowed}"
    return exc.text or exc.reason


@web.middleware
async def json_errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Request ids on every answer; JSON for HTTP errors and unexpected exceptions."""
    rid = aiohttp_request_id(request)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        keep = {k: v for k, v in exc.headers.items() if k.lower() in ("allow", "retry-after")}
        return json_error(exc.status, _http_detail(request, exc), request_id=rid, headers=keep)
    except Exception:
        log.exception("request %s: %s %s failed unexpectedly", rid, request.method, request.path)
        detail = (
            "an unexpected error; nothing more is known here. Retrying may work; "
            f"if it persists, give the operators request id {rid} (it is in the log)"
        )
        return json_error(500, detail, request_id=rid)
    response.headers[REQUEST_ID_HEADER] = rid
    return response


class _JsonRequestHandler(RequestHandler):
    """aiohttp's connection handler, answering its parser's refusals in JSON."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        plain = super().handle_error(request, status, exc, message)  # logs; may raise
        detail = message or "the request could not be read"
        if status == 500:
            detail = "an unexpected error while reading the request"
        response = json_error(plain.status, detail, request_id=uuid.uuid4().hex)
        response.force_close()  # as aiohttp does: the stream may be out of step
        return response


class _JsonErrorServer(Server):
    def __call__(self) -> RequestHandler:
        return _JsonRequestHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorRunner(web.AppRunner):
    """An ``AppRunner`` whose connections answer HTTP-layer refusals in JSON."""

    async def _make_server(self) -> Server:
        server = await super()._make_server()
        server.__class__ = _JsonErrorServer  # same state; only the handler class differs
        return server
