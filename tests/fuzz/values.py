"""Generated events: the corpus's valid events, edited with values nobody here wrote.

An input is a valid example of the corpus (every event type) with up to four edits:
a field, a nested field or a list item set to a hostile value (dates at and beyond the
calendar's edges, huge and negative numbers, decomposed or control-character text,
wrong types, NaN), removed, or a field added beside it. A third of the edits set a
time inside the contracts' windows, so many inputs stay valid and reach the gate and
the views.

One generator, :func:`mutated_event`, driven by a ``random.Random``: the tests hand it
hypothesis' controlled random (:func:`events`, so failures shrink), ``bench/fuzz.py`` a
plain seeded one (hypothesis' engine costs more per input than the checks).
"""

from __future__ import annotations

import copy
import random
import string
import sys
import unicodedata
import uuid
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from lienthong.schemas.rules.dates import EVENTS_SINCE, LEGAL_DATES
from lienthong.schemas.rules.dossier_codes import STATUSES
from tests.schemas.corpus import EXAMPLES

VALID = tuple(e for e in EXAMPLES if e.kind == "valid")

_ZONES = [UTC, timezone(timedelta(hours=14)), timezone(timedelta(hours=-12)), None]
_FIRST, _END = LEGAL_DATES
_EDGE_TIMES = [
    datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=1))),
    datetime(9999, 12, 31, 23, 59, tzinfo=timezone(timedelta(hours=-1))),
    datetime.min.replace(tzinfo=UTC),
    datetime.max.replace(tzinfo=UTC),
    datetime(2025, 3, 4),  # naive
    _FIRST,
    _END - timedelta(milliseconds=1),
    _END,
    EVENTS_SINCE,
    EVENTS_SINCE - timedelta(milliseconds=1),
]
_EDGE_INTS = [0, -1, 1, 2**31 - 1, 2**31, -(2**31) - 1, 2**63 - 1, 2**63, -(2**63) - 1, 10**30]
_EDGE_TEXT = [
    "",
    " ",
    "\x00",
    "\ud800",  # a lone surrogate: not encodable as UTF-8
    "{reason}",
    "Nguyễn Văn Ánh",
    unicodedata.normalize("NFD", "Nguyễn Văn Ánh"),
    "x" * 5000,
    "UNKNOWN",
    "\u202e\u0301",
    "H30.01-260302-0001",
    "000.00.00.H30",
    "31117",
    str(uuid.uuid4()),
]
_OTHERS: list[Any] = [None, True, False, b"\xff\x00", [], {}, float("nan"), float("inf"), -0.0]
_ALPHABET = string.printable + "ạảãáàăằắẳẵặâầấẩẫậđêềếểễệôồốổỗộơờớởỡợưừứửữựýỳỷỹỵ\u0300\u0301\u200b"


def random_time(rng: random.Random) -> Any:
    """A time anywhere in the calendar (aware or naive), inside the window, or an edge."""
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(_EDGE_TIMES)
    if kind == 1:
        moment = datetime.min + timedelta(seconds=rng.randrange(int(9998 * 365.24 * 86400)))
        zone = rng.choice(_ZONES)
        return moment if zone is None else moment.replace(tzinfo=zone)
    span_ms = int((_END - _FIRST) / timedelta(milliseconds=1))
    return _FIRST + timedelta(milliseconds=rng.randrange(span_ms))


def random_scalar(rng: random.Random) -> Any:
    kind = rng.randrange(8)
    if kind == 0:
        return rng.choice(_EDGE_INTS)
    if kind == 1:
        return rng.randrange(-(2 ** rng.randrange(1, 80)), 2 ** rng.randrange(1, 80))
    if kind == 2:
        return rng.choice(_EDGE_TEXT)
    if kind == 3:
        return "".join(rng.choice(_ALPHABET) for _ in range(rng.randrange(40)))
    if kind == 4:
        return rng.choice(
            [rng.uniform(-1e6, 1e6), rng.uniform(-sys.float_info.max, sys.float_info.max)]
        )
    if kind == 5:
        return rng.choice(_OTHERS)
    if kind == 6:
        return random_time(rng)
    return rng.choice(sorted(STATUSES))


def hostile(rng: random.Random) -> Any:
    """Any value a field might be given by mistake or malice."""
    kind = rng.randrange(10)
    if kind == 0:
        return [random_scalar(rng) for _ in range(rng.randrange(4))]
    if kind == 1:
        return {random_scalar(rng).__class__.__name__: random_scalar(rng)}
    return random_scalar(rng)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


def _edit(record: dict[str, Any], path: tuple[Any, ...], action: str, value: Any) -> None:
    value = copy.deepcopy(value)  # the pools' [] and {} are shared: never nest one in itself
    parent: Any = record
    for part in path[:-1]:
        parent = parent[part]
    last = path[-1]
    if action == "delete" and isinstance(parent, dict):
        parent.pop(last, None)
    elif action == "add" and isinstance(parent, dict):
        parent[f"{last}_extra"] = value
    else:
        parent[last] = value


def mutated_event(rng: random.Random) -> tuple[str, dict[str, Any]]:
    """``(event_type, Avro dict)``: a valid corpus event with up to four hostile edits."""
    example = rng.choice(VALID)
    record = copy.deepcopy(example.record)
    for _ in range(rng.randrange(5)):
        paths = _paths(record)
        if not paths:
            break
        path = rng.choice(paths)
        action = rng.choice(["set", "set", "time", "delete", "add"])
        value = random_time(rng) if action == "time" else hostile(rng)
        _edit(record, path, "set" if action == "time" else action, value)
    return example.event_type, record


def events() -> st.SearchStrategy[tuple[str, dict[str, Any]]]:
    """:func:`mutated_event` under hypothesis' control (failures shrink to fewer edits)."""
    return st.randoms(use_true_random=False).map(mutated_event)
