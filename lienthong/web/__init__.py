"""What every HTTP service of the axis shares: errors in JSON, at every layer.

A client of the gateway, the registry, the query API or the console never has to parse
an error as text: the HTTP layer's own refusals (a malformed request, a header block
too large), unknown paths, wrong methods and unexpected exceptions all answer a JSON
object with a stable ``error`` id, a ``detail`` saying what to do next, and the
request's ``request_id`` (also in the ``X-Request-Id`` header and in the log line of
any 500). Services that owe their clients another shape (the registry's Confluent
``{"error_code", "message"}``) pass their own :data:`Renderer`.

- :mod:`.errors`   the body, the renderers and the stable ids (no framework);
- :mod:`.asgi`     the middleware (request ids, JSON 500s) and Starlette/FastAPI handlers;
- :mod:`.protocol` uvicorn's HTTP protocol answering its own refusals in JSON;
- :mod:`.aiohttp_errors` the same for aiohttp (the worker's faust web: the query API).

Use: ``install_json_errors(app)`` on a Starlette/FastAPI app, and serve it with
``uvicorn.Config(..., http=JsonErrorProtocol)`` (or a subclass with another renderer).
"""

from lienthong.web.aiohttp_errors import (
    JsonErrorRunner,
    aiohttp_request_id,
    json_error,
    json_errors_middleware,
)
from lienthong.web.asgi import REQUEST_ID_HEADER, JsonErrors, install_json_errors, request_id
from lienthong.web.errors import (
    Renderer,
    error_body,
    error_bytes,
    error_name,
    error_response,
)
from lienthong.web.protocol import JsonErrorProtocol

__all__ = [
    "REQUEST_ID_HEADER",
    "JsonErrorProtocol",
    "JsonErrorRunner",
    "JsonErrors",
    "Renderer",
    "aiohttp_request_id",
    "error_body",
    "error_bytes",
    "error_name",
    "error_response",
    "install_json_errors",
    "json_error",
    "json_errors_middleware",
    "request_id",
]
