"""Requests for the views' query API, generated from the routes its worker serves.

The query API (faust web inside the worker) has no OpenAPI document, so the routes
are read from the worker's own web app (every page it serves, faust's own included)
and each request fills the route's ``{segments}`` and a query string with generated
values: known parameters (``by``, ``limit``, ``offset``, ``day``, ``ward``, ``scope``)
with hostile values, unknown ones, encodings that normalise away, ids of any length.
"""

from __future__ import annotations

import base64
import random
import re
from urllib.parse import quote

from tests.fuzz.values import _EDGE_TEXT, hostile

PARAMETERS = ("by", "limit", "offset", "day", "ward", "scope", "status", "agency")
_VALUES = [
    "agency", "procedure", "unit", "status", "day", "local", "-1", "0", "1", "50", "501",
    str(2**63), str(2**64 + 1), "9" * 40, "1e3", "2025-03-04", "2025-02-30", "NaN", "",
]  # fmt: skip
_SEGMENT = re.compile(r"\{[^}]+\}")


def _text(rng: random.Random) -> str:
    choice = rng.randrange(6)
    if choice == 0:
        return rng.choice(_VALUES)
    if choice == 1:
        return rng.choice(_EDGE_TEXT)
    if choice == 2:
        return "x" * rng.choice([255, 2_000, 9_000])
    return str(hostile(rng))


def _encoded(text: str, rng: random.Random) -> str:
    raw = text.encode("utf-8", "surrogatepass")
    if rng.random() < 0.8:
        return quote(raw, safe="")
    return raw.decode("latin-1").replace(" ", "%20").replace("\r", "").replace("\n", "")


def query_path(rng: random.Random, routes: list[str]) -> str:
    """A request target (path and query) for one of ``routes``."""
    route = rng.choice(routes)
    path = _SEGMENT.sub(lambda _: _encoded(_text(rng), rng), route)
    if rng.random() < 0.1:
        path = rng.choice(["//", "/./", "/../", "/%2e%2e/", "/%2F"]).join(path.rsplit("/", 1))
    pairs = []
    for _ in range(rng.randrange(4)):
        name = rng.choice(PARAMETERS) if rng.random() < 0.8 else _text(rng)
        pairs.append(f"{_encoded(name, rng)}={_encoded(_text(rng), rng)}")
    return path + ("?" + "&".join(pairs) if pairs else "")


def get_request(target: str, credentials: tuple[str, str] | None = None) -> bytes:
    """A raw GET of ``target``, as ``credentials`` (Basic) when given."""
    auth = ""
    if credentials is not None:
        token = base64.b64encode(":".join(credentials).encode()).decode("ascii")
        auth = f"Authorization: Basic {token}\r\n"
    head = f"GET {target} HTTP/1.1\r\nHost: fuzz\r\n{auth}Connection: close\r\n\r\n"
    return head.encode("latin-1")
