"""A restarted worker does not process again what it committed (issue 14: dead-letter noise)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable

from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h

from ..axis import Axis, Out, WorkerProcess, headers_text, publish, read, read_more
from ..day import DOSSIER_AGENCY, dossier_events


def _ids(found: list[Out]) -> set[str | None]:
    return {headers_text(o, h.EVENT_ID) for o in found}


def test_a_restart_reprocesses_nothing_and_a_true_duplicate_still_is_one(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    """SIGKILLed mid-stream, the worker's successor re-reads what was not committed.

    What a batch fully processed is skipped: no ``duplicate_event`` letter for events sent
    once. Outputs of a batch killed between its two deliveries may repeat (at least once,
    ``event_id`` is the idempotency key), so the canonical topic is compared by event id.
    """
    axis.create_topics([DOSSIER_AGENCY])
    events = list(dossier_events(random.Random(11), 400))
    records = [axis.record(e) for e in events]
    half = len(records) // 2
    canonical = sorted({axis.layout.canonical(e.envelope.event_type) for e in events})
    publish(axis.kafka, records[:half])
    first = start_worker(axis, None)
    found = read(axis.kafka, canonical, until=lambda f: len(_ids(f)) >= half, timeout_s=90)
    assert len(_ids(found)) == half, first.output()[-3000:]
    first.process.kill()  # faust commits every few seconds: most of it is not committed
    first.process.wait()

    second = start_worker(axis, None)
    publish(axis.kafka, [*records[half:], records[0]])  # the last one: sent twice
    everything = len(records)
    found = read(axis.kafka, canonical, until=lambda f: len(_ids(f)) >= everything, timeout_s=90)
    assert len(_ids(found)) == everything, second.output()[-3000:]
    letters = read(axis.kafka, [axis.layout.deadletter], until=lambda f: len(f) >= 1)
    letters = read_more(axis.kafka, [axis.layout.deadletter], letters, 3)
    reasons = Counter(headers_text(o, h.DLQ_REASON) for o in letters)
    assert reasons == {dl.DUPLICATE_EVENT: 1}, reasons
    assert second.process.poll() is None, second.output()[-3000:]
