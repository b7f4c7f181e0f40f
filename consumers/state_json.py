"""JSON for the worker's table values and gate state: orjson, UTF-8 bytes in and out.

Every event the worker applies reads and writes JSON states (the entity's gate state,
the dossier, the counts): with the standard library that was ~25 µs of the ~225 µs per
event (``bench/bench_views.py``, profiled); orjson does the same in ~4 µs. Values are
plain JSON, compact, keys in insertion order, so states written before read unchanged.
"""

from __future__ import annotations

from typing import Any

import orjson

loads = orjson.loads


def dumps(value: Any) -> bytes:
    """``value`` as compact UTF-8 JSON; non-string keys become strings, as ``json`` did."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
