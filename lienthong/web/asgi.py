"""Request ids, JSON 500s and JSON answers for unknown paths and wrong methods.

:class:`JsonErrors` is the outermost of an app's own middleware: it gives every request
an id (the client's ``X-Request-Id`` when it is a sane token, else a new one), echoes
it on the response, and turns any exception that escapes the app into a JSON 500
whose body and log line carry that id. It never closes the connection for an error:
a kept-alive client goes on with its next request.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from lienthong.web.errors import Renderer, error_body, error_bytes, error_name, error_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

REQUEST_ID_HEADER = "x-request-id"
_SANE_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
_SCOPE_KEY = "lienthong.request_id"

log = logging.getLogger("lienthong.web")


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1")
    return None


def new_request_id(offered: str | None) -> str:
    """The client's ``X-Request-Id`` when it is a sane token, else a new id (any framework)."""
    return offered if offered is not None and _SANE_ID.fullmatch(offered) else uuid.uuid4().hex


def _assign_request_id(scope: Scope) -> str:
    rid = new_request_id(_header(scope, REQUEST_ID_HEADER.encode()))
    scope[_SCOPE_KEY] = rid
    return rid


def request_id(request: Request | Scope) -> str | None:
    """The id :class:`JsonErrors` gave this request (``None`` outside it)."""
    scope = request.scope if isinstance(request, Request) else request
    found = scope.get(_SCOPE_KEY)
    return found if isinstance(found, str) else None


class JsonErrors:
    """ASGI middleware: request ids on every response, a JSON 500 for any exception."""

    def __init__(self, app: ASGIApp, render: Renderer = error_body) -> None:
        self.app = app
        self.render = render

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = _assign_request_id(scope)
        state = {"started": False, "complete": False}

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                state["started"] = True
                headers = list(message.get("headers", ()))
                headers.append((REQUEST_ID_HEADER.encode(), rid.encode()))
                message = {**message, "headers": headers}
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                state["complete"] = True
            await send(message)

        try:
            await self.app(scope, receive, sending)
        except Exception:
            log.exception(
                "request %s: %s %s failed unexpectedly",
                rid,
                scope.get("method", ""),
                scope.get("path", ""),
            )
            if state["started"]:
                if state["complete"]:
                    return  # the client has its answer; keep the connection
                raise  # half a response is out: only closing the connection is honest
            await self._send_500(rid, send)

    async def _send_500(self, rid: str, send: Send) -> None:
        detail = (
            "an unexpected error; nothing more is known here. Retrying may work; "
            f"if it persists, give the operators request id {rid} (it is in the log)"
        )
        body = error_bytes(self.render(500, error_name(500), detail, rid))
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (REQUEST_ID_HEADER.encode(), rid.encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body, "more_body": False})


def _http_error_detail(request: Request, exc: HTTPException) -> str:
    if exc.status_code == 404 and exc.detail == "Not Found":
        return f"no resource at {request.url.path}; check the path against the API's documentation"
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        return f"{request.method} is not allowed on {request.url.path}; allowed: {allowed}"
    return str(exc.detail)


def http_error_handler(
    render: Renderer = error_body,
) -> Callable[[Request, Exception], Awaitable[Response]]:
    """A Starlette exception handler answering ``HTTPException`` in JSON via ``render``."""

    async def handle(request: Request, exc: Exception) -> Response:
        if not isinstance(exc, HTTPException):  # pragma: no cover - registered for it only
            raise exc
        return error_response(
            exc.status_code,
            _http_error_detail(request, exc),
            request_id=request_id(request),
            headers=dict(exc.headers) if exc.headers else None,
            render=render,
        )

    return handle


def install_json_errors(app: Starlette, render: Renderer = error_body) -> None:
    """Answer ``app``'s unknown paths, wrong methods and exceptions in JSON (call at build)."""
    app.add_exception_handler(HTTPException, http_error_handler(render))
    app.add_middleware(JsonErrors, render=render)
