"""A poison record in the middle of a partition does not hold up the events behind it."""

from __future__ import annotations

import dataclasses
import os
import random
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from aiokafka.record.default_records import DefaultRecordBatchBuilder

from lienthong.schemas import headers as h

from .axis import Axis, WorkerProcess, publish, read
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


def test_an_output_no_request_can_carry_stops_the_worker_loudly(
    axis: Axis, start_worker: Callable[..., WorkerProcess]
) -> None:
    axis.create_topics([DOSSIER_AGENCY])
    worker = start_worker(axis, None)
    base = axis.record(next(iter(dossier_events(random.Random(5), 1))))
    headers = list(base.headers)
    # The ingress record just fits a request; its dead letter, with the reason headers
    # added, cannot (the input is not Avro, so the gate refuses it).
    value = _value_sized(base.key or b"", headers, 1024 * 1024 - 200)
    publish(axis.kafka, [dataclasses.replace(base, value=value)])
    deadline = time.monotonic() + 60
    while worker.process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert worker.process.poll() == 1, worker.output()[-3000:]  # a supervisor restarts it
    assert "larger than a Kafka request" in worker.output()
    # Refused before anything of the batch was sent: no dead letter went out half-made.
    assert read(axis.kafka, [axis.layout.deadletter], timeout_s=3) == []
