"""uvicorn's HTTP protocol, answering its own refusals in JSON and bounding the head.

uvicorn parses HTTP before any app code runs, and refuses what it cannot parse (a
malformed request line, a bad header, a non-ASCII path) with a ``text/plain`` 400.
httptools also buffers a header of any length. This protocol answers those refusals
in the service's JSON shape, and refuses a request line plus headers longer than
:attr:`JsonErrorProtocol.max_head_bytes` with a JSON 431 instead of buffering it.
Both close the connection: after bytes that are not HTTP the stream cannot be
re-synchronised. Errors the app answers (404, 422, 500, ...) keep it open.

Serve with ``uvicorn.Config(app, http=JsonErrorProtocol)``; a service with another
error shape subclasses it and overrides :meth:`JsonErrorProtocol.render` (a class, not
a closure, so uvicorn can pass it to worker processes).
"""

from __future__ import annotations

import logging
import uuid
from typing import Any, ClassVar

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from lienthong.web.errors import error_body, error_bytes

log = logging.getLogger("lienthong.web")

# Apache's and nginx's defaults allow ~8 KiB per header line; twice that for the whole
# head leaves room for long bearer tokens and still refuses a header that never ends.
DEFAULT_MAX_HEAD_BYTES = 16 * 1024


class JsonErrorProtocol(HttpToolsProtocol):
    """httptools' protocol with JSON 400/431 refusals and a bounded request head."""

    max_head_bytes: ClassVar[int] = DEFAULT_MAX_HEAD_BYTES

    def __init__(self, config: Config, server_state: ServerState, *args: Any, **kw: Any):
        super().__init__(config, server_state, *args, **kw)
        self._in_head = True
        self._head_bytes = 0

    def data_received(self, data: bytes) -> None:
        if self._in_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if (
            self._in_head
            and self._head_bytes > self.max_head_bytes
            and not self.transport.is_closing()
        ):
            self._refuse(
                431,
                "header_too_large",
                f"the request line and headers exceed {self.max_head_bytes} bytes; "
                "send shorter headers (long values belong in the body)",
            )

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._head_bytes = 0
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_head = True  # what follows is the next request's head
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        self._refuse(
            400,
            "malformed_request",
            f"not a valid HTTP/1.1 request ({msg.rstrip('.')}); check the request line "
            "(METHOD /path HTTP/1.1, path in ASCII or percent-encoded) and the headers",
        )

    def render(
        self, status: int, error: str, detail: str, request_id: str | None
    ) -> dict[str, Any]:
        """The error body; a service with its own shape overrides this."""
        return error_body(status, error, detail, request_id)

    def _refuse(self, status: int, error: str, detail: str) -> None:
        rid = uuid.uuid4().hex
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "?"
        log.warning("request %s from %s refused before the app: %s", rid, client, detail)
        body = error_bytes(self.render(status, error, detail, rid))
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"x-request-id: " + rid.encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
