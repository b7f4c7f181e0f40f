"""The subscriber SDK on the real broker: retries, dead letters, exactly the others once."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta

from lienthong.connectors.resilience import Backoff
from lienthong.consumers import Received, RetryPolicy, StartFrom, Subscriber
from lienthong.consumers.facets import facets_of
from lienthong.schemas import deadletter as dl
from lienthong.schemas import headers as h
from lienthong.schemas.models import EventModel

from .axis import Axis, Raw, publish, read
from .day import realistic_day


def _canonical_records(axis: Axis, events: list[EventModel], topic: str) -> list[Raw]:
    """Records as the route stage writes them: original bytes, trusted headers."""
    records = []
    for event in events:
        raw = axis.record(event)
        records.append(
            Raw(topic, raw.key, raw.value, tuple(h.encode(facets_of(event).header_pairs())))
        )
    return records


def test_failing_events_go_to_the_dead_letters_after_retries(axis: Axis) -> None:
    topic = axis.layout.subscriber("ioc")
    axis.create_topics([], ["ioc"])
    events = realistic_day()[:60]
    publish(axis.kafka, _canonical_records(axis, events, topic))
    poisoned = {str(e.envelope.event_id) for e in events[::7]}
    calls: Counter[str] = Counter()

    async def handler(event: EventModel, record: Received) -> None:
        event_id = str(event.envelope.event_id)
        calls[event_id] += 1
        if event_id in poisoned:
            raise RuntimeError(f"cannot store {event_id}")

    async def consume() -> None:
        done = asyncio.Event()
        subscriber = Subscriber(
            [topic],
            group=f"{axis.layout.prefix}.ioc",
            kafka=axis.kafka,
            registry=axis.registry,
            retry=RetryPolicy(attempts=3, backoff=Backoff(initial_s=0.01)),
            layout=axis.layout,
        )
        async with subscriber:
            task = asyncio.create_task(subscriber.run(handler, until=done))
            for _ in range(300):
                if subscriber.handled + subscriber.deadlettered >= len(events):
                    break
                await asyncio.sleep(0.1)
            done.set()
            await task

    asyncio.run(consume())
    for event in events:
        event_id = str(event.envelope.event_id)
        assert calls[event_id] == (3 if event_id in poisoned else 1), event_id
    letters = read(
        axis.kafka,
        [axis.layout.subscriber_deadletter(f"{axis.layout.prefix}.ioc")],
        until=lambda found: len(found) >= len(poisoned),
        timeout_s=20,
    )
    assert {o.headers[h.EVENT_ID].decode() for o in letters} == poisoned
    letter = dl.DeadLetter.from_headers(letters[0].headers)
    assert letter is not None
    assert letter.reason == dl.HANDLER_FAILED
    assert letter.attempts == 3
    assert "RuntimeError: cannot store" in letter.refusal.message


def test_replay_from_a_time_sees_the_events_again(axis: Axis) -> None:
    topic = axis.layout.subscriber("portal")
    axis.create_topics([], ["portal"])
    events = realistic_day()[:20]
    publish(axis.kafka, _canonical_records(axis, events, topic))
    seen: list[str] = []

    async def handler(event: EventModel, record: Received) -> None:
        seen.append(str(event.envelope.event_id))

    async def consume(start: StartFrom | None) -> None:
        done = asyncio.Event()
        async with Subscriber(
            [topic], group=f"{axis.layout.prefix}.portal", kafka=axis.kafka,
            registry=axis.registry, layout=axis.layout, start=start,
        ) as subscriber:  # fmt: skip
            task = asyncio.create_task(subscriber.run(handler, until=done))
            for _ in range(200):
                if subscriber.handled >= len(events):
                    break
                await asyncio.sleep(0.1)
            done.set()
            await task

    asyncio.run(consume(None))
    assert len(seen) == len(events)
    asyncio.run(consume(None))  # committed: nothing again
    assert len(seen) == len(events)
    asyncio.run(consume(StartFrom.time(datetime.now(UTC) - timedelta(minutes=5))))
    assert len(seen) == 2 * len(events)
