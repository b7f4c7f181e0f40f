"""A poison record in the middle of a partition does not hold up the events behind it."""

from __future__ import annotations

import dataclasses
import os
import random
import statistics
from collections.abc import Callable
from pathlib import Path

from aiokafka.record.default_records import DefaultRecordBatchBuilder

from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h

from .axis import Axis, WorkerProcess, headers_text, publish, read
from .day import DOSSIER_AGENCY, dossier_events

_estimate_size = DefaultRecordBatchBuilder.estimate_size_in_bytes

RULES = "version: 1\nrules:\n  - {name: all, match: {}, to: [ioc]}\n"


def test_events_behind_poison_arrive_with_normal_delay(
    axis: Axis, start_worker: Callable[..., WorkerProcess], tmp_path: Path
) -> None:
    rules = tmp_path / "routes.yaml"
    rules.write_text(RULES)
    axis.create_topics([DOSSIER_AGENCY], ["ioc"])
    events = [
        e for e in dossier_events(random.Random(3), 40) if e.EVENT_TYPE == "dossier.lifecycle"
    ]
    records = [dataclasses.replace(axis.record(e), partition=0) for e in events[:150]]
    worker = start_worker(axis, rules)
    publish(axis.kafka, records[:10])  # warm up: the worker is running and caught up
    warm = read(
        axis.kafka, [axis.layout.subscriber("ioc")], until=lambda f: len(f) >= 10, timeout_s=60
    )
    assert len(warm) >= 10, worker.output()
    middle = 70
    poison = [
        dataclasses.replace(records[0], key=b"poison-1", value=(records[0].value or b"")[:9]),
        dataclasses.replace(
            records[0], key=b"poison-2", value=b"\x00\x00\x0f\x42\x40" + b"\xff" * 500
        ),
        dataclasses.replace(records[0], key=b"poison-3", value=b"not avro at all"),
    ]
    stream = [*records[10:middle], *poison, *records[middle:]]
    sent = publish(axis.kafka, stream, pause_s=0.01)
    sent_at = {id(r): t for r, t in zip(stream, sent, strict=True)}
    wanted = len(records)
    outputs = read(
        axis.kafka, [axis.layout.subscriber("ioc")], until=lambda f: len(f) >= wanted, timeout_s=60
    )
    arrived = {o.headers[h.EVENT_ID].decode(): o.timestamp_ms for o in outputs}
    delays = []
    for record in records[10:]:
        event_id = dict(record.headers)[h.EVENT_ID].decode()
        delays.append(arrived[event_id] - sent_at[id(record)])
    before, after = delays[: middle - 10], delays[middle - 10 : middle + 10]
    normal = statistics.quantiles(before, n=20)[18]  # 95th percentile before the poison
    assert max(after) <= max(2 * normal, normal + 500), (before, after)
    letters = read(axis.kafka, [axis.layout.deadletter], until=lambda f: len(f) >= 3, timeout_s=20)
    assert sorted(o.key or b"" for o in letters) == [b"poison-1", b"poison-2", b"poison-3"]
    assert worker.process.poll() is None


def _value_sized(key: bytes, headers: list[tuple[str, bytes]], size: int) -> bytes:
    """Incompressible bytes whose record is estimated at ``size`` bytes, or just under."""
    length = size
    while _estimate_size(key, b"\x00" * length, headers) > size:
        length -= 1
    return os.urandom(length)


def test_an_output_no_request_can_carry_is_a_dead_letter_and_the_worker_goes_on(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    axis.create_topics([DOSSIER_AGENCY])
    worker = start_worker(axis, None)
    events = list(dossier_events(random.Random(5), 2))
    base = axis.record(events[0])
    headers = list(base.headers)
    # The ingress record just fits a request; its dead letter, with the reason headers
    # added, cannot (the input is not Avro, so the gate refuses it).
    value = _value_sized(base.key or b"", headers, 1024 * 1024 - 200)
    after = axis.record(events[1])
    publish(axis.kafka, [dataclasses.replace(base, value=value, partition=0), after])
    canonical = axis.layout.canonical(events[1].envelope.event_type)
    assert read(axis.kafka, [canonical], until=lambda f: len(f) >= 1, timeout_s=60)
    (letter,) = read(axis.kafka, [axis.layout.deadletter], until=lambda f: len(f) >= 1)
    assert letter.value is None  # a reference to the input, not a copy
    assert headers_text(letter, h.DLQ_REASON) == dl.OUTPUT_TOO_LARGE
    assert headers_text(letter, h.DLQ_SOURCE_TOPIC) == base.topic
    assert headers_text(letter, h.DLQ_SOURCE_PARTITION) == "0"
    assert headers_text(letter, h.DLQ_SOURCE_OFFSET) is not None
    assert headers_text(letter, "lt.dlq.output_topic") == axis.layout.deadletter
    assert worker.process.poll() is None, worker.output()[-3000:]
