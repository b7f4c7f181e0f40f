"""From validated events to Kafka, exactly once per ``event_id`` as far as the gateway sees.

For a request's events: encode each (schema id from the registry), claim its id in
the idempotency store, produce the new ones, record where they landed, and answer
every item. Ids claimed earlier answer with their first result; an id repeated in the
same batch is produced once.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, Literal, NamedTuple
from uuid import UUID

from lienthong.monitoring.metrics import AxisMetrics
from lienthong.producers._encoding import EventEncoder
from lienthong.producers._errors import KafkaUnavailable
from lienthong.producers._record import Delivery, Record
from lienthong.producers.gateway._idempotency import (
    Claim,
    ClaimState,
    IdempotencyStore,
    Position,
)
from lienthong.producers.gateway._sink import Sink
from lienthong.schemas.framing import HEADER_SIZE
from lienthong.schemas.models import EventModel

Status = Literal["produced", "duplicate", "spooled", "failed", "conflict", "busy"]
_ACCEPTED_NEW = frozenset(("produced", "spooled"))  # what the events_in counter counts


class ItemResult(NamedTuple):
    """What became of one event of a request."""

    # A NamedTuple, not a frozen dataclass: one is built per event, ~5x faster.
    event_id: str
    status: Status
    topic: str | None = None
    partition: int | None = None
    offset: int | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The item as the response shows it (unset fields left out)."""
        return {
            name: value for name, value in zip(self._fields, self, strict=True) if value is not None
        }

    def as_json(self) -> str:
        """:meth:`as_dict` as compact JSON, the bytes ``JSONResponse`` would write.

        Built by hand for the usual produced item (~1.5 µs less per event than a dict
        through ``json.dumps``): its ids are canonical UUIDs, the topic is quoted by
        ``json``, the numbers are ints. Any other item goes through ``json``.
        """
        if self.error is None and self.partition is not None and self.offset is not None:
            return (
                f'{{"event_id":"{self.event_id}","status":"{self.status}",'
                f'"topic":{_quoted(self.topic)},"partition":{self.partition:d},'
                f'"offset":{self.offset:d}}}'
            )
        return _compact(self.as_dict())

    @property
    def retriable(self) -> bool:
        return self.status in ("failed", "busy")


def _compact(value: object) -> str:
    # JSONResponse's own settings, so both paths write the same bytes.
    return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


@lru_cache(maxsize=1024)
def _quoted(text: str | None) -> str:
    return _compact(text)  # topics are few: each is quoted once


def batch_json(results: Sequence[ItemResult]) -> bytes:
    """The body of a batch answer: how many were accepted, and each item's result."""
    accepted = sum(r.status in ("produced", "duplicate", "spooled") for r in results)
    items = ",".join(r.as_json() for r in results)
    return f'{{"accepted":{accepted},"results":[{items}]}}'.encode()


def _fingerprint(record: Record) -> bytes:
    return hashlib.sha256(record.value[HEADER_SIZE:]).digest()  # the Avro body, not the frame


def _from_position(event_id: str, position: Position | None, status: Status) -> ItemResult:
    if position is None:
        return ItemResult(event_id, status)
    return ItemResult(event_id, status, position.topic, position.partition, position.offset)


class Ingestor:
    """Encodes, deduplicates and produces; one per gateway."""

    def __init__(
        self, encoder: EventEncoder, store: IdempotencyStore, sink: Sink, metrics: AxisMetrics
    ) -> None:
        self._encoder = encoder
        self._store = store
        self._sink = sink
        self._metrics = metrics

    async def ingest(self, events: Sequence[EventModel]) -> list[ItemResult]:
        """Produce ``events`` (already validated and authorised); one result each."""
        records = [self._encoder.encode(e) for e in events]
        if len({r.event_id for r in records}) == len(records):
            answers = await self._ingest_distinct(events, records)
        else:
            answers = await self._ingest_with_repeats(events, records)
        self._count(events, answers)
        return answers

    async def _ingest_distinct(
        self, events: Sequence[EventModel], records: list[Record]
    ) -> list[ItemResult]:
        """The usual batch, no event id twice: lists in step, no look-ups by id."""
        # The UUIDs themselves, not their text: the store keys UUIDs by their bytes.
        uuids = [e.envelope.event_id for e in events]
        claims = self._store.claim(list(zip(uuids, map(_fingerprint, records), strict=True)))
        new = [i for i, claim in enumerate(claims) if claim.state is ClaimState.NEW]
        sent = await self._sink.send([records[i] for i in new]) if new else []
        deliveries: list[Delivery | None] = [None] * len(records)
        for index, delivery in zip(new, sent, strict=True):
            deliveries[index] = delivery
        self._settle({uuids[i]: d for i, d in zip(new, sent, strict=True)})
        return [
            self._result(r.event_id, c, d)
            for r, c, d in zip(records, claims, deliveries, strict=True)
        ]

    async def _ingest_with_repeats(
        self, events: Sequence[EventModel], records: list[Record]
    ) -> list[ItemResult]:
        """A batch repeating an event id: the first occurrence is produced, once."""
        first: dict[str, int] = {}
        claims_for: list[tuple[UUID, bytes]] = []
        for index, record in enumerate(records):
            if record.event_id not in first:
                first[record.event_id] = index
                claims_for.append((events[index].envelope.event_id, _fingerprint(record)))
        claims = dict(zip(first, self._store.claim(claims_for), strict=True))
        to_send = [records[i] for eid, i in first.items() if claims[eid].state is ClaimState.NEW]
        deliveries = {d.event_id: d for d in await self._sink.send(to_send)} if to_send else {}
        uuids = {eid: claims_for[n][0] for n, eid in enumerate(first)}
        self._settle({uuids[eid]: d for eid, d in deliveries.items()})
        results = {eid: self._result(eid, claims[eid], deliveries.get(eid)) for eid in first}
        answers: list[ItemResult] = []
        for index, record in enumerate(records):
            result = results[record.event_id]
            if first[record.event_id] != index:
                # A repeat inside the batch: the same event, so the first one's outcome.
                same = _fingerprint(record) == _fingerprint(records[first[record.event_id]])
                result = self._repeat_in_batch(result, same)
            answers.append(result)
        return answers

    def _settle(self, deliveries: dict[UUID, Delivery]) -> None:
        done = [
            (eid, Position(d.topic, d.partition, d.offset))
            for eid, d in deliveries.items()
            if d.error is None
        ]
        failed = [eid for eid, d in deliveries.items() if d.error is not None]
        if done:
            self._store.complete(done)
        if failed:
            # Not produced: free the ids so that the caller's retry produces them.
            self._store.release(failed)

    @staticmethod
    def _result(event_id: str, claim: Claim, delivery: Delivery | None) -> ItemResult:
        if claim.state is ClaimState.DONE:
            return _from_position(event_id, claim.position, "duplicate")
        if claim.state is ClaimState.BUSY:
            return ItemResult(
                event_id, "busy", error="another request is producing this event_id; retry"
            )
        if claim.state is ClaimState.CONFLICT:
            return ItemResult(
                event_id,
                "conflict",
                error="this event_id was already produced with a different content",
            )
        if delivery is None or delivery.error is not None:
            error = delivery.error if delivery is not None else KafkaUnavailable("not sent")
            return ItemResult(event_id, "failed", error=str(error))
        if delivery.spooled:
            return ItemResult(event_id, "spooled", delivery.topic)
        return ItemResult(event_id, "produced", delivery.topic, delivery.partition, delivery.offset)

    @staticmethod
    def _repeat_in_batch(result: ItemResult, same_content: bool) -> ItemResult:
        if not same_content:
            return ItemResult(
                result.event_id, "conflict", error="event_id repeated with a different content"
            )
        if result.status in ("produced", "spooled"):
            return ItemResult(
                result.event_id, "duplicate", result.topic, result.partition, result.offset
            )
        return result

    def _count(self, events: Sequence[EventModel], answers: list[ItemResult]) -> None:
        # One labelled increment per (topic, agency, type) and request, not per event.
        counts: Counter[tuple[str, str, str]] = Counter(
            (answer.topic or "", event.envelope.source_agency, event.envelope.event_type)
            for event, answer in zip(events, answers, strict=True)
            if answer.status in _ACCEPTED_NEW
        )
        for labels, count in counts.items():
            self._metrics.events_in.labels(*labels).inc(count)
