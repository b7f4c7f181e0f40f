"""A service process's garbage collector: freeze what start-up made, collect less often.

A worker or a gateway holds a few hundred thousand long-lived objects (faust or
FastAPI, aiokafka, pydantic's validators, the catalogue). CPython's full collections
rescan all of them: in ``bench/bench_views.py`` they took 140–165 ms each, some twenty
times in a 20,000-event run (the p99 latency, and ~25 % of the CPU); the gateway gained
15–25 % events/s without them (``bench/bench_producers.py``). Frozen after start-up,
they are never scanned again. A larger young generation makes every collection rarer:
a batch of events allocates thousands of short-lived objects at once, and at Python's
default (700) the collector ran several times per batch.

Only for a process the service owns (its CLI command), never inside an agency's
program that merely imports the SDK.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000


def freeze_startup_objects() -> None:
    """Collect once, move every surviving object out of the collector's sight, tune it."""
    gc.collect()  # garbage made so far is freed, not frozen
    gc.freeze()
    _, *older = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, *older)
