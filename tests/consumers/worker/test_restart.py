"""A restarted worker does not process again what it committed (issue 14: dead-letter noise)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h

from ..axis import Axis, WorkerProcess, headers_text, publish, read, read_more
from ..day import DOSSIER_AGENCY, dossier_events


def test_a_restart_reprocesses_nothing_and_a_true_duplicate_still_is_one(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    axis.create_topics([DOSSIER_AGENCY])
    events = list(dossier_events(random.Random(11), 400))
    records = [axis.record(e) for e in events]
    half = len(records) // 2
    canonical = sorted({axis.layout.canonical(e.envelope.event_type) for e in events})
    publish(axis.kafka, records[:half])
    first = start_worker(axis, None)
    found = read(axis.kafka, canonical, until=lambda f: len(f) >= half, timeout_s=90)
    assert len(found) == half, first.output()[-3000:]
    first.process.kill()
    first.process.wait()

    second = start_worker(axis, None)
    publish(axis.kafka, [*records[half:], records[0]])  # the last one: sent twice
    found = read(axis.kafka, canonical, until=lambda f: len(f) >= len(records), timeout_s=90)
    assert len(found) == len(records), second.output()[-3000:]
    letters = read(axis.kafka, [axis.layout.deadletter], until=lambda f: len(f) >= 1)
    letters = read_more(axis.kafka, [axis.layout.deadletter], letters, 3)
    reasons = Counter(headers_text(o, h.DLQ_REASON) for o in letters)
    assert reasons == {dl.DUPLICATE_EVENT: 1}, reasons
    assert second.process.poll() is None, second.output()[-3000:]
