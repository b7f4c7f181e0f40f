"""Generated HTTP requests, and the judge of what a service answered.

Three kinds of input: an event of :mod:`.values` POSTed as JSON (alone or in a batch)
to the gateway; a request drawn from an OpenAPI document by schemathesis; and raw
bytes on a socket — a valid request with its method, path, version, headers or
framing mangled — for the HTTP layer that runs before any app code.

The judge: no 5xx; an error (4xx) is JSON with a stable ``error`` id (or Confluent's
``error_code``) and, for invalid events, every item names its field and rule; a raw
request gets an answer, never a silent close or a hang.
"""

from __future__ import annotations

import contextlib
import json
import random
import socket
import uuid
from collections.abc import Mapping
from typing import Any

from tests.fuzz.pipeline import _json_default
from tests.fuzz.values import _EDGE_TEXT, hostile, mutated_event

Outcome = tuple[str, str]


def judge(status: int, content_type: str, body: bytes, what: str, *, head: bool = False) -> Outcome:
    """``accepted`` (2xx), ``refused`` (a JSON error that says what), ``5xx`` or ``unexplained``.

    ``head``: the request was a HEAD, whose answer has the headers of a GET and no body.
    """
    if status >= 500:
        return "5xx", f"{what} → {status} {body[:300]!r}"
    if status < 400:
        return "accepted", ""
    media = content_type.split(";", maxsplit=1)[0].strip().lower()
    if media != "application/json" and not media.endswith("+json"):
        return "unexplained", f"{what} → {status} as {content_type!r}: {body[:200]!r}"
    if head:
        return "refused", ""
    try:
        document = json.loads(body)
    except ValueError:
        return "unexplained", f"{what} → {status} with a body that is not JSON: {body[:200]!r}"
    results = document.get("results") if isinstance(document, Mapping) else None
    if isinstance(results, list) and all(
        isinstance(r, Mapping) and r.get("status") for r in results
    ):
        return "refused", ""  # a batch's per-item outcomes (conflict, failed): each says which
    if not isinstance(document, Mapping) or not (
        document.get("error") or document.get("error_code") or document.get("detail")
    ):
        return "unexplained", f"{what} → {status} without an error id: {body[:200]!r}"
    for item in document.get("items") or ():
        for error in item.get("errors", ()) if isinstance(item, Mapping) else ():
            if not (error.get("field") is not None and error.get("rule")):
                return "unexplained", f"{what} → {status}: an item error names no rule: {error}"
    return "refused", ""


def gateway_body(rng: random.Random, agency: str) -> tuple[str, bytes]:
    """``(path, body)``: a generated event, or a batch of them, as an agency would POST."""
    events = []
    for _ in range(1 if rng.random() < 0.7 else rng.randrange(1, 6)):
        _, record = mutated_event(rng)
        envelope = record.get("envelope")
        if isinstance(envelope, dict) and rng.random() < 0.7:
            envelope["source_agency"] = agency  # the key's agency: past the 403
            envelope["event_id"] = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        events.append(record)
    if rng.random() < 0.05:  # not even JSON
        return "/v1/events", bytes(rng.randrange(256) for _ in range(rng.randrange(64)))
    single = len(events) == 1 and rng.random() < 0.8
    document: Any = events[0] if single else {"events": events}
    try:
        body = json.dumps(document, default=_json_default, ensure_ascii=False)
    except (TypeError, ValueError):
        body = json.dumps({"events": [str(e) for e in events]})
    return ("/v1/events" if single else "/v1/events/batch"), body.encode("utf-8", "surrogatepass")


_METHODS = [
    "GET",
    "POST",
    "PUT",
    "DELETE",
    "PATCH",
    "HEAD",
    "OPTIONS",
    "TRACE",
    "G\x00T",
    "get",
    "X" * 300,
]
_PATHS = [
    "/v1/events",
    "/v1/events/batch",
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/openapi.json",
    "/",
    "//v1//events",
    "/v1/events/../events",
    "/%2e%2e/%2e%2e/etc/passwd",
    "/%ff%fe",
    "/v1/events?x=" + "a" * 3000,
    "/" + "a" * 20000,
    "/h\xe9",
    "http://example.com/v1/events",
    "*",
    "/v1/events#frag",
    "/%00",
]
_VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1x", ""]


def raw_request(rng: random.Random, token: str) -> bytes:
    """A request for the HTTP layer: mostly well framed, with one part mangled."""
    method = rng.choice(["GET", "POST"]) if rng.random() < 0.6 else rng.choice(_METHODS)
    path = rng.choice(_PATHS)
    version = "HTTP/1.1" if rng.random() < 0.7 else rng.choice(_VERSIONS)
    body = b"" if rng.random() < 0.5 else gateway_body(rng, "000.00.00.H30")[1]
    # Connection: close, so the answer ends with the connection (no waiting on keep-alive).
    headers = [("Host", "fuzz"), ("Authorization", f"Bearer {token}"), ("Connection", "close")]
    for _ in range(rng.randrange(3)):
        name = rng.choice(
            ["X-Fuzz", "Content-Type", "Accept", "X-Request-Id", "Bad Name", "", "\x7f"]
        )
        value = str(hostile(rng)) if rng.random() < 0.5 else rng.choice(_EDGE_TEXT)
        headers.append((name, value))
    if rng.random() < 0.05:
        headers.append(("X-Huge", "h" * rng.choice([8_000, 17_000, 70_000])))
    length = str(len(body))
    framing = rng.random()
    if framing < 0.05:
        length = rng.choice(["-1", "abc", "1e3", " 5", "99999999999999999999"])
        body = body.ljust(100, b" ")  # never fewer bytes than a lenient reading promises
    elif framing < 0.1:
        headers.append(("Transfer-Encoding", rng.choice(["chunked", "gzip", "chunked, chunked"])))
        body = b"zz\r\n" + body + b"\r\n0\r\n\r\n"
    headers.append(("Content-Length", length))
    head = f"{method} {path} {version}".rstrip() + "\r\n"
    head += "".join(f"{n}: {v}\r\n" for n, v in headers) + "\r\n"
    return head.encode("utf-8", "surrogatepass") + body


def exchange(port: int, raw: bytes, timeout_s: float = 10.0) -> tuple[int, str, bytes] | None:
    """Send ``raw`` on a new connection; the first response (``None`` if none came)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        with contextlib.suppress(OSError):  # it answered and closed early (431): read that
            sock.sendall(raw)
        data = b""
        try:
            while chunk := sock.recv(65536):
                data += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    if b"\r\n\r\n" not in data:
        return None
    head, body = data.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines[1:])}
    length = headers.get("content-length")
    if length is not None and length.isdigit():
        body = body[: int(length)]
    return status, headers.get("content-type", ""), body
