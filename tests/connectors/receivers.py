"""Local HTTP stand-ins (127.0.0.1 only) that record what the HTTP sinks send them."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Handler = Callable[[dict[str, str], bytes], tuple[int, dict[str, str], bytes]]
"""(headers, body) → (status, headers, body)."""


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True


@contextmanager
def serve(handler: Handler) -> Iterator[str]:
    """Run ``handler`` behind an HTTP server on 127.0.0.1; yield its base URL."""

    class _Request(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            status, headers, reply = handler(dict(self.headers.items()), body)
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: Any) -> None:
            return None  # the tests' own assertions say what happened

    server = _Quiet(("127.0.0.1", 0), _Request)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def reply(status: int, body: Any = None, **headers: str) -> tuple[int, dict[str, str], bytes]:
    return status, headers, json.dumps(body if body is not None else {}).encode()
