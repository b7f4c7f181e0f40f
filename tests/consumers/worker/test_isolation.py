"""A record that raises in any stage is a dead letter; the batch around it goes on (issue 14).

Each test runs the worker's real pipeline (stages, outbox, sender) on the real broker,
over a batch of real dossier events, with one stage given a function that raises for
one marked record: the marked record ends in the dead letters with ``processing_failed``,
its stage and exception type; every other record's outputs are delivered; the failure
is counted. The faults are injected, so the tests do not depend on any bug existing.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from kafka import KafkaConsumer, TopicPartition

from lienthong.connectors.kafka import KafkaSettings, TopicSpec, aiokafka_producer, ensure_topics
from lienthong.consumers.batch import Stage
from lienthong.consumers.dedup import DedupPolicy, EntityState, RecentIds
from lienthong.consumers.facets import facets_of
from lienthong.consumers.gate import IngressRecord, Passed, Verdict
from lienthong.consumers.routing.router import Decision
from lienthong.consumers.views import entities
from lienthong.consumers.views.registry import Views
from lienthong.consumers.views.settings import ViewsSettings
from lienthong.consumers.views.stage import MaterializeStage
from lienthong.consumers.worker.sender import OutboxSender
from lienthong.consumers.worker.stages import Pipeline, RouteStage, ValidateStage
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h
from lienthong.schemas.models import EventModel

from ..day import dossier_events

PARTITIONS = 1
EVENTS = 12
MARKED = 5  # the index of the record a stage raises for


class Store:
    """A faust store's per-partition databases (the calls the stages make)."""

    def __init__(self) -> None:
        self.dbs: dict[int, dict[bytes, bytes]] = {}

    def _db_for_partition(self, partition: int) -> Any:
        db = self.dbs.setdefault(partition, {})
        return type("Db", (), {"put": staticmethod(db.__setitem__), "get": staticmethod(db.get)})

    def set_persisted_offset(self, tp: Any, offset: int) -> None:
        pass


class Table:
    def __init__(self, changelog: str) -> None:
        self.data = Store()
        self.changelog_topic = type("Topic", (), {"get_topic_name": lambda _: changelog})()


@dataclass
class Message:
    """What faust hands the pipeline per record (the attributes it reads)."""

    topic: str
    offset: int
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)
    partition: int = 0
    timestamp: float = 0.0

    @property
    def tp(self) -> tuple[str, int]:
        return (self.topic, self.partition)


class Gate:
    """The gate's verdicts, made from the real events (the codec is not under test)."""

    def __init__(self, events: Mapping[bytes, EventModel], topic: str) -> None:
        self._events = events
        self._topic = topic
        self.raise_for: bytes | None = None

    def check(self, record: IngressRecord, state: EntityState) -> Verdict:
        if record.key == self.raise_for:
            raise ZeroDivisionError("injected into the gate")
        event = self._events[record.key or b""]
        facets = facets_of(event)
        new = state.passed(facets.event_id, 0, DedupPolicy())
        headers = h.encode([*facets.header_pairs()])
        value = record.value or b""
        return Passed(self._topic, headers, facets, event, new, event.to_avro(), value)


class Watcher:
    """The rules watcher's answer: a router that sends everything to one topic."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self.raise_for: str | None = None

    def current(self) -> tuple[Any, bool]:
        return self, False

    def route(self, headers: Mapping[str, bytes], payload: Any) -> Decision:
        if headers.get(h.EVENT_ID, b"").decode() == self.raise_for:
            raise KeyError("injected into the router")
        return Decision((self.topic,), ("all",))


@dataclass
class Rig:
    """One pipeline on the real broker, its topics and what it wrote."""

    kafka: KafkaSettings
    topics: dict[str, str]
    events: list[EventModel]
    records: list[Message]
    gate: Gate
    watcher: Watcher
    views: Views
    metrics: AxisMetrics
    pipeline: Pipeline

    def run(self) -> None:
        async def go() -> None:
            producer = AIOKafkaProducer(**aiokafka_producer(self.kafka))
            await producer.start()
            self.pipeline.sender = OutboxSender(lambda: producer)
            try:
                await (await self.pipeline.handle(self.records))
            finally:
                await producer.stop()

        asyncio.run(go())

    def read(self, name: str) -> list[Any]:
        consumer = KafkaConsumer(**self.kafka.as_kafka_python(), enable_auto_commit=False)
        part = TopicPartition(self.topics[name], 0)
        consumer.assign([part])
        consumer.seek_to_beginning(part)
        end = consumer.end_offsets([part])[part]
        found: list[Any] = []
        while consumer.position(part) < end:
            for messages in consumer.poll(timeout_ms=500).values():
                found.extend(messages)
        consumer.close()
        return found

    def failures(self, stage: str, exception: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "lienthong_processing_failures_total", {"stage": stage, "exception": exception}
        )
        return value or 0.0


@pytest.fixture
def rig(kafka_settings: KafkaSettings, unique_topic: Callable[[str], str]) -> Rig:
    names = ("ingress", "canonical", "routed", "dead", "entities", "dossiers")
    topics = {name: unique_topic(name) for name in names}
    ensure_topics(kafka_settings, [TopicSpec(t, partitions=PARTITIONS) for t in topics.values()])
    events = [
        e
        for e in dossier_events(random.Random(7), 30)
        if e.envelope.event_type == "dossier.lifecycle"
    ]
    # One event per dossier: each is the first of its entity (no transitions to judge).
    firsts: dict[str, EventModel] = {}
    for event in events:
        firsts.setdefault(facets_of(event).key, event)
    chosen = list(firsts.values())[:EVENTS]
    records = [
        Message(topics["ingress"], n, facets_of(e).key.encode(), f"avro-{n}".encode())
        for n, e in enumerate(chosen)
    ]
    gate = Gate({r.key: e for r, e in zip(records, chosen, strict=True)}, topics["canonical"])
    metrics = AxisMetrics.create()
    validate = ValidateStage(gate, Table(topics["entities"]), metrics)  # type: ignore[arg-type]
    watcher = Watcher(topics["routed"])
    route = RouteStage(
        watcher,  # type: ignore[arg-type]
        metrics,
        recent=RecentIds(),
        on_new_subscribers=lambda _: asyncio.sleep(0),
    )
    tables = {name: Table(topics["dossiers"]) for name in entities.VIEW_TABLES}
    views = Views(app=None, tables=tables, settings=ViewsSettings(enabled=True))  # type: ignore[arg-type]
    stage = views.stage = MaterializeStage(views, metrics)
    after: Sequence[Stage] = (route, stage)
    pipeline = Pipeline(
        validate,
        after,
        None,  # type: ignore[arg-type]  # the running producer's sender, set by Rig.run
        deadletter=topics["dead"],
        metrics=metrics,
    )
    return Rig(kafka_settings, topics, chosen, records, gate, watcher, views, metrics, pipeline)


def assert_marked_is_the_only_failure(rig: Rig, stage: str, exception: str) -> None:
    marked = rig.records[MARKED]
    (letter,) = rig.read("dead")
    headers = dict(letter.headers)
    assert letter.key == marked.key
    assert letter.value == marked.value  # the record as read, to inspect and replay
    assert headers[h.DLQ_REASON] == dl.PROCESSING_FAILED.encode()
    assert headers[h.DLQ_STAGE] == stage.encode()
    assert headers[h.DLQ_EXCEPTION] == exception.encode()
    assert headers[h.DLQ_SOURCE_TOPIC] == marked.topic.encode()
    assert headers[h.DLQ_SOURCE_OFFSET] == str(MARKED).encode()
    assert rig.failures(stage, exception) == 1
    dead = rig.metrics.registry.get_sample_value(
        "lienthong_deadletter_total", {"topic": rig.topics["dead"], "reason": dl.PROCESSING_FAILED}
    )
    assert dead == 1


def test_a_record_the_gate_raises_for_is_a_dead_letter_and_the_rest_pass(rig: Rig) -> None:
    rig.gate.raise_for = rig.records[MARKED].key
    rig.run()
    assert_marked_is_the_only_failure(rig, "validate", "ZeroDivisionError")
    assert len(rig.read("canonical")) == EVENTS - 1
    assert len(rig.read("routed")) == EVENTS - 1
    assert rig.views.applied == EVENTS - 1


def test_a_state_the_gate_cannot_read_costs_its_record_only(rig: Rig) -> None:
    table: Any = rig.pipeline.validate._table
    table.data.dbs[0] = {rig.records[MARKED].key: b"{not json"}  # a corrupt stored state
    rig.run()
    (letter,) = rig.read("dead")
    assert dict(letter.headers)[h.DLQ_STAGE] == b"validate"
    assert len(rig.read("canonical")) == EVENTS - 1


def test_a_record_the_router_raises_for_is_a_dead_letter_and_the_rest_are_routed(
    rig: Rig,
) -> None:
    rig.watcher.raise_for = str(rig.events[MARKED].envelope.event_id)
    rig.run()
    assert_marked_is_the_only_failure(rig, "route", "KeyError")
    assert len(rig.read("canonical")) == EVENTS  # it passed the gate before routing
    assert len(rig.read("routed")) == EVENTS - 1


def test_an_event_the_views_raise_for_is_a_dead_letter_and_the_rest_are_applied(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    name, apply = entities.APPLIERS["dossier.lifecycle"]
    marked = rig.events[MARKED].MaHoSo  # type: ignore[attr-defined]

    def overflowing(state: Any, record: Mapping[str, Any]) -> Any:
        if record["MaHoSo"] == marked:
            raise OverflowError("date value out of range")  # what the SLA clock raised
        return apply(state, record)

    monkeypatch.setitem(entities.APPLIERS, "dossier.lifecycle", (name, overflowing))
    rig.run()
    assert_marked_is_the_only_failure(rig, "views", "OverflowError")
    assert rig.views.applied == EVENTS - 1
    assert len(rig.read("routed")) == EVENTS
    written = {r.key for r in rig.read("dossiers")}
    assert rig.records[MARKED].key not in written
    assert len(written) == EVENTS - 1


def test_a_state_the_sla_clock_cannot_index_is_a_dead_letter_and_not_written(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    marked = rig.records[MARKED].key
    note = rig.views.due.note

    def overflowing(key: bytes, state: Mapping[str, Any]) -> None:
        if key == marked:
            raise OverflowError("the due time is out of range")
        note(key, state)

    monkeypatch.setattr(rig.views.due, "note", overflowing)
    rig.run()
    assert_marked_is_the_only_failure(rig, "views", "OverflowError")
    assert marked not in {r.key for r in rig.read("dossiers")}
    assert len(rig.read("dossiers")) == EVENTS - 1


def test_records_a_batch_judged_are_skipped_when_read_again(rig: Rig) -> None:
    rig.run()
    later = Message(rig.topics["ingress"], EVENTS, rig.records[0].key, b"sent again")
    rig.records = [*rig.records[:3], later]  # read again after a restart, then a new one
    rig.run()
    assert rig.pipeline.validate.skipped == 3
    assert len(rig.read("canonical")) == EVENTS + 1  # the new offset is judged
