"""What canonical NFC text costs the gate: check every event, re-encode the rare NFD one.

The contracts promise NFC text; an event produced straight to Kafka may carry NFD. The
gate could refuse such events (a reason of their own) or re-encode them once with their
text normalised (``lienthong.consumers.gate``). Both must look at every event's text;
they differ only in what the NFD event costs. Measured in one run, per event, on a
realistic day of every event type (no Kafka, an in-memory registry):

- the gate's whole check of an NFC event (the reference);
- the NFC scan of its decoded record (what every event pays, either choice);
- the gate's check of the same event sent in NFD (scan, copy, re-encode);
- re-encoding every event unconditionally (the alternative without a scan).

    .venv/bin/python bench/bench_nfc.py [EVENTS]
"""

from __future__ import annotations

import sys
import time
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.append(str(Path(__file__).resolve().parents[1]))  # bench._common; after the install
from bench._common import interpreter
from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.dedup import EMPTY
from lienthong.consumers.gate import Gate, IngressRecord, Passed, is_nfc
from lienthong.demo.simulation import realistic_day
from lienthong.producers import EventEncoder
from lienthong.schemas.catalogue import event_type
from lienthong.schemas.codec import AvroDeserializer, AvroSerializer, SerializationContext
from lienthong.schemas.models import EventModel
from lienthong.schemas.registry_client import InMemoryRegistry

ROUNDS = 5


def _nfd(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFD", value)
    if isinstance(value, dict):
        return {k: _nfd(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nfd(v) for v in value]
    return value


def _best_us(work: Callable[[], object], n: int) -> float:
    """The least CPU of :data:`ROUNDS` runs of ``work`` (over ``n`` events), µs per event.

    CPU time of this process, not wall time: the figures hold on a loaded machine.
    """
    best = float("inf")
    for _ in range(ROUNDS):
        began = time.process_time()
        work()
        best = min(best, time.process_time() - began)
    return best / n * 1e6


def main() -> None:
    wanted = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
    registry = InMemoryRegistry()
    layout = TopicLayout("bench")
    gate = Gate(AvroDeserializer(registry), layout=layout)
    encoder = EventEncoder(registry)
    events: list[EventModel] = []
    scale = 1
    while len(events) < wanted:
        events = realistic_day(seed=3, scale=scale)
        scale *= 2
    events = events[:wanted]
    nfc: list[IngressRecord] = []
    nfd: list[IngressRecord] = []
    for n, event in enumerate(events):
        rec = encoder.encode(event)
        topic = layout.ingress(event.envelope.source_agency, event.envelope.event_type)
        nfc.append(IngressRecord(topic, 0, n, None, rec.key, rec.value, list(rec.headers)))
        serializer = AvroSerializer(registry, event_type(event.envelope.event_type).schema_str)
        value = serializer(_nfd(event.to_avro()), SerializationContext(topic))
        nfd.append(IngressRecord(topic, 0, n, None, rec.key, value, list(rec.headers)))
    # What passes an empty state (first events of their entities; the rest would be
    # refused as transitions, a path this does not measure).
    keep = [n for n, r in enumerate(nfc) if isinstance(gate.check(r, EMPTY), Passed)]
    nfc, nfd = [nfc[n] for n in keep], [nfd[n] for n in keep]
    changed = sum(a.value != b.value for a, b in zip(nfc, nfd, strict=True))
    passed = [gate.check(r, EMPTY) for r in nfc]
    decoded = [v.record for v in passed if isinstance(v, Passed)]
    kept = [isinstance(v, Passed) and v.value is r.value for v, r in zip(passed, nfc, strict=True)]
    assert all(kept), "an NFC event keeps its bytes"
    fixed = [gate.check(r, EMPTY) for r in nfd]
    assert all(isinstance(v, Passed) and is_nfc(v.record) for v in fixed)

    def reencode() -> None:
        for record, payload in zip(nfc, decoded, strict=True):
            gate._encode(record.value or b"", payload)  # the gate's own path

    n = len(nfc)
    check_nfc = _best_us(lambda: [gate.check(r, EMPTY) for r in nfc], n)
    scan = _best_us(lambda: [is_nfc(d) for d in decoded], n)
    check_nfd = _best_us(lambda: [gate.check(r, EMPTY) for r in nfd], n)
    always = _best_us(reencode, n)

    rows = [
        ("gate check, NFC event (reference)", check_nfc, ""),
        ("NFC scan of the decoded record (all pay)", scan, f"{scan / check_nfc:.1%} of the check"),
        ("gate check, same event sent in NFD", check_nfd, f"+{check_nfd - check_nfc:.1f} µs"),
        ("re-encode every event, no scan", always, f"{always / check_nfc:.1%} of the check"),
    ]
    print(f"interpreter: {interpreter()}")
    print(f"events: {n} of every type (a realistic day, first of their entity)")
    print(f"  {changed} of them differ in NFD (carry non-ASCII text)")
    print(f"least CPU of {ROUNDS} rounds, µs per event:")
    for label, figure, note in rows:
        print(f"  {label:<44} {figure:8.1f}  {note}")


if __name__ == "__main__":
    main()
