"""The JSON error body every HTTP service answers, independent of any web framework.

``{"error": "<stable id>", "detail": "<what went wrong and what to do>", "request_id":
"<id>"}`` plus whatever a service adds (``items`` of field errors, ``retry_after_s``).
``error`` ids are stable for clients to branch on; ``detail`` is for people.
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

Renderer = Callable[[int, str, str, str | None], dict[str, Any]]
"""``(status, error id, detail, request id) -> body``: how one service shapes its errors."""

# Ids for the statuses the HTTP layer itself produces; others fall back to the phrase.
_NAMES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    411: "length_required",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "rate_limited",
    431: "header_too_large",
    500: "internal_error",
    503: "unavailable",
}


def error_name(status: int) -> str:
    """The stable error id of an HTTP status (``404`` → ``not_found``)."""
    if status in _NAMES:
        return _NAMES[status]
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "http_error"


def error_body(
    status: int, error: str, detail: str, request_id: str | None = None, **extra: Any
) -> dict[str, Any]:
    """The default body: ``error``, ``detail``, ``request_id`` (when known), then ``extra``."""
    body: dict[str, Any] = {"error": error or error_name(status), "detail": detail}
    if request_id is not None:
        body["request_id"] = request_id
    body.update(extra)
    return body


def error_bytes(body: dict[str, Any]) -> bytes:
    """``body`` as compact UTF-8 JSON (never fails on non-ASCII text)."""
    return orjson.dumps(body)


def error_response(
    status: int,
    detail: str,
    *,
    error: str | None = None,
    request_id: str | None = None,
    headers: dict[str, str] | None = None,
    render: Renderer = error_body,
) -> Response:
    """An ``application/json`` error response of ``status`` shaped by ``render``."""
    body = render(status, error or error_name(status), detail, request_id)
    return Response(error_bytes(body), status, headers, media_type="application/json")
