"""The wire of the Confluent REST API: media types, bodies, flags, error bodies.

Confluent answers in ``application/vnd.schemaregistry.v1+json`` by preference, also in
``application/vnd.schemaregistry+json`` and ``application/json``, and reads request
bodies of those types and ``application/octet-stream``; errors are always
``{"error_code": ..., "message": ...}``. These helpers keep every handler to that.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from lienthong.registry._errors import (
    BadRequest,
    InvalidVersion,
    NotAcceptable,
    RegistryError,
    UnsupportedMediaType,
)
from lienthong.registry._service import Registered

log = logging.getLogger(__name__)

V1_JSON = "application/vnd.schemaregistry.v1+json"
DEFAULT_JSON = "application/vnd.schemaregistry+json"
JSON = "application/json"
# Confluent's server preference (its "qs" weights); clients usually send all three.
_PRODUCES = ((V1_JSON, 1.0), (DEFAULT_JSON, 0.9), (JSON, 0.5))
_CONSUMES = frozenset({V1_JSON, DEFAULT_JSON, JSON, "application/octet-stream", ""})
_MAX_VERSION = 2**31 - 1

Handler = Callable[[Request], Awaitable[Response]]


def media_type(request: Request) -> str:
    """The response type for the request's Accept header (Confluent's preference order)."""
    accept = request.headers.get("accept", "").strip()
    if not accept:
        return V1_JSON
    ranges: list[tuple[str, float]] = []
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        ranges.append((media.lower(), quality))
    best, best_score = None, 0.0
    for candidate, weight in _PRODUCES:
        family = candidate.split("/")[0] + "/*"
        quality = max((q for m, q in ranges if m in (candidate, family, "*/*")), default=0.0)
        if quality * weight > best_score:
            best, best_score = candidate, quality * weight
    if best is None:
        raise NotAcceptable(f"HTTP 406 Not Acceptable: none of {accept!r} can be served")
    return best


def reply(request: Request, payload: Any, status: int = 200) -> Response:
    """``payload`` as JSON in the media type the client prefers."""
    return Response(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        status_code=status,
        media_type=media_type(request),
    )


def error(request: Request, status: int, code: int, message: str) -> Response:
    """Confluent's error body; in V1 JSON if the client accepts nothing we produce."""
    try:
        chosen = media_type(request)
    except NotAcceptable:
        chosen = V1_JSON
    body = json.dumps({"error_code": code, "message": message}, ensure_ascii=False)
    return Response(body, status_code=status, media_type=chosen)


async def read_body(request: Request) -> dict[str, Any]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in _CONSUMES:
        raise UnsupportedMediaType(f"HTTP 415 Unsupported Media Type: {content_type}")
    try:
        document = json.loads(await request.body())
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(f"Unrecognized request body: {exc}") from exc
    if not isinstance(document, dict):
        raise BadRequest("The request body must be a JSON object")
    return document


def flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "").strip().lower() == "true"


def version_segment(text: str) -> int | None:
    """A version path segment: a number in [1, 2^31-1], or latest (also -1) as None."""
    cleaned = text.strip().lower()
    if cleaned in ("latest", "-1"):
        return None
    try:
        number = int(cleaned)
    except ValueError as exc:
        raise InvalidVersion(text) from exc
    if not 1 <= number <= _MAX_VERSION:
        raise InvalidVersion(text)
    return number


def entry(found: Registered) -> dict[str, Any]:
    # No "schemaType": Confluent omits it for AVRO, and every client reads absent as AVRO.
    return {
        "subject": found.subject,
        "version": found.version,
        "id": found.id,
        "schema": found.schema,
    }


def confluent_body(status: int, error: str, detail: str, request_id: str | None) -> dict[str, Any]:
    """The shared JSON-error layer's bodies (500s, HTTP-layer refusals) in Confluent's shape."""
    body: dict[str, Any] = {"error_code": 50001 if status == 500 else status, "message": detail}
    if request_id is not None:
        body["request_id"] = request_id  # Confluent clients ignore fields they do not know
    return body


async def http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and wrong methods, in the same error shape as everything else."""
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    detail = exc.detail if isinstance(exc, HTTPException) else "Internal Server Error"
    return error(request, status, status, f"HTTP {status} {detail}")


def translating(endpoint: Handler) -> Handler:
    """Turn the registry's errors into Confluent error bodies.

    Anything else escapes to :class:`lienthong.web.JsonErrors`, which logs it with a
    request id and answers a JSON 500 in :func:`confluent_body`'s shape.
    """

    async def handle(request: Request) -> Response:
        try:
            return await endpoint(request)
        except RegistryError as exc:
            if exc.http_status >= 500:
                log.warning("%s %s failed: %s", request.method, request.url.path, exc)
            return error(request, exc.http_status, exc.error_code, str(exc))

    return handle
