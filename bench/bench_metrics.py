"""What the metrics cost per event, beside the gate's own work, in one run.

Run: .venv/bin/python bench/bench_metrics.py
Target (issue 8): metrics at most 3 % of the pipeline's per-event cost.

The pipeline cost is the worker's per-event work without Kafka: the gate's decode,
contract validation, transition and duplicate checks, and its trusted headers. The
metrics cost is what the worker records per event, measured the same way: events in and
out tallied per label set and added once per batch (batches of 100 here), and one
latency observation.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.append(str(Path(__file__).resolve().parents[1]))  # bench._common; after the install

from bench._common import interpreter, rates
from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.dedup import EntityState
from lienthong.consumers.gate import Gate, IngressRecord
from lienthong.demo.simulation import dossier_events
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.monitoring.tally import CounterTally
from lienthong.producers import EventEncoder
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.registry_client import InMemoryRegistry

N = 5_000


def main() -> None:
    registry = InMemoryRegistry()
    encoder = EventEncoder(registry)
    layout = TopicLayout()
    events = list(dossier_events(random.Random(1), 400))
    records = [
        IngressRecord(r.topic, 0, n, int(time.time() * 1000), r.key, r.value, tuple(r.headers))
        for n, r in enumerate(encoder.encode(e) for e in events)
    ]
    gate = Gate(AvroDeserializer(registry), layout=layout)
    empty = EntityState()
    metrics = AxisMetrics.create()
    tally_in, tally_out = CounterTally(metrics.events_in), CounterTally(metrics.events_out)
    latency = metrics.event_latency.labels("validate")
    cursor = {"n": 0, "m": 0}

    def pipeline() -> None:
        record = records[cursor["n"] % len(records)]
        cursor["n"] += 1
        gate.check(record, empty)

    def metrics_per_event() -> None:
        tally_in.inc("lienthong.ingress.tthcc.dossier.lifecycle", "TTHCC", "dossier.lifecycle")
        tally_out.inc("lienthong.events.dossier.lifecycle", "TTHCC", "dossier.lifecycle")
        latency.observe(0.012)
        cursor["m"] += 1
        if cursor["m"] % 100 == 0:  # the end of a batch
            tally_in.add(tally_in.take())
            tally_out.add(tally_out.take())

    measured = rates({"pipeline": pipeline, "metrics": metrics_per_event}, N)
    pipeline_us = 1e6 / measured["pipeline"]
    metrics_us = 1e6 / measured["metrics"]
    print(f"interpreter: {interpreter()}")
    print(f"gate per event (decode, validate, checks, headers): {pipeline_us:8.1f} µs")
    print(f"metrics per event (2 tallies + 1 histogram):         {metrics_us:8.2f} µs")
    print(
        f"metrics share of the per-event cost: {metrics_us / (pipeline_us + metrics_us):.1%}"
        " (target <= 3 %)"
    )


if __name__ == "__main__":
    main()
