"""Dead-letter inspection and replay (``lienthong dlq``).

Replay sends each selected letter back to the topic it was refused from — same key,
same bytes, its original headers plus ``lt.replay.of`` and ``lt.replay.first_seen`` —
for the gate to judge again after a fix. Guarantees:

- order per key: letters are replayed partition by partition in offset order, and a
  key's letters share a partition (they keep their original key); the producer is
  idempotent, so retries do not reorder;
- nothing replayed twice by accident: every replayed letter is recorded, after Kafka
  acknowledged the replay, in a compacted ledger topic keyed ``partition:offset``;
  later replays skip recorded letters. A crash between the two can repeat a replay,
  which the gate then refuses as ``duplicate_event`` if the first copy passed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaProducer

from lienthong.connectors.kafka import KafkaSettings, ensure_topics, kafka_python_producer
from lienthong.connectors.topics import TopicLayout, replay_ledger_spec
from lienthong.consumers.gate import now_ms
from lienthong.consumers.inspect import read_topic
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h


@dataclass(frozen=True)
class Selection:
    """Which letters to act on; ``None`` fields match anything."""

    reasons: frozenset[str] | None = None
    agency: str | None = None
    source_topic: str | None = None
    include_duplicates: bool = False

    def accepts(self, letter: dl.DeadLetter) -> bool:
        if self.reasons is not None and letter.reason not in self.reasons:
            return False
        duplicates_excluded = self.reasons is None and not self.include_duplicates
        if duplicates_excluded and letter.reason in dl.NOT_WORTH_REPLAYING:
            return False
        if self.agency is not None and (letter.refusal.agency or "").split(" ")[0] != self.agency:
            return False
        return self.source_topic is None or letter.source.topic == self.source_topic


def letters(kafka: KafkaSettings, topic: str, since_ms: int | None = None) -> list[dl.DeadRecord]:
    """Every letter of the dead-letter ``topic`` (records without lt.dlq headers skipped).

    A letter's ``ref`` is its ``partition:offset`` there (how the CLI names a letter).
    """
    found = []
    for record in read_topic(kafka, topic, since_ms=since_ms):
        ref = f"{record.partition}:{record.offset}"
        letter = dl.DeadRecord.read(record.key, record.value, record.headers, ref)
        if letter is not None:
            found.append(letter)
    return found


def replayed(kafka: KafkaSettings, layout: TopicLayout) -> dict[str, dict[str, object]]:
    """The ledger: ``partition:offset`` → when and where each letter was replayed."""
    ensure_topics(kafka, [replay_ledger_spec(layout)])
    ledger: dict[str, dict[str, object]] = {}
    for record in read_topic(kafka, layout.replay_ledger):
        if record.key is None:
            continue
        if record.value is None:
            ledger.pop(record.key.decode(), None)
        else:
            ledger[record.key.decode()] = json.loads(record.value)
    return ledger


@dataclass(frozen=True)
class ReplayReport:
    """What a replay did."""

    replayed: list[str]
    already: list[str]
    skipped: int


def replay(
    kafka: KafkaSettings,
    layout: TopicLayout,
    selection: Selection,
    *,
    refs: Iterable[str] | None = None,
    dry_run: bool = False,
) -> ReplayReport:
    """Replay the selected letters not replayed before; see the module docstring."""
    wanted = set(refs) if refs is not None else None
    ledger = replayed(kafka, layout)
    todo: list[dl.DeadRecord] = []
    already: list[str] = []
    skipped = 0
    for item in letters(kafka, layout.deadletter):
        if (wanted is not None and item.ref not in wanted) or not selection.accepts(item.letter):
            skipped += 1
        elif item.ref in ledger:
            already.append(item.ref)
        else:
            todo.append(item)
    if dry_run or not todo:
        return ReplayReport([i.ref for i in todo], already, skipped)
    producer = KafkaProducer(
        **kafka_python_producer(kafka, max_in_flight_requests_per_connection=1)
    )
    try:
        for item in todo:
            headers = [
                *item.original_headers,
                (h.REPLAY_OF, f"{layout.deadletter}:{item.ref}".encode()),
                (h.REPLAY_FIRST_SEEN, str(item.letter.first_seen_ms).encode()),
            ]
            producer.send(item.letter.source.topic, item.value, key=item.key, headers=headers)
        producer.flush()  # every replay acknowledged before the ledger says so
        stamp = now_ms()
        for item in todo:
            entry = {"replayed_at": stamp, "to": item.letter.source.topic}
            producer.send(layout.replay_ledger, json.dumps(entry).encode(), key=item.ref.encode())
        producer.flush()
    finally:
        producer.close()
    return ReplayReport([i.ref for i in todo], already, skipped)
