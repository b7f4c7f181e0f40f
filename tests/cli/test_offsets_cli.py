"""``lienthong offsets`` on the real broker: a subscriber moved back an hour re-reads
exactly the events of that hour; an active group is refused; the reset is audited."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from datetime import UTC, datetime, timedelta

import pytest
from kafka import TopicPartition
from typer.testing import CliRunner

from lienthong.audit import read_audit
from lienthong.cli import app
from lienthong.connectors.kafka import GroupPosition, Move, plan_moves
from lienthong.consumers import Received, Subscriber
from lienthong.provision import kafka_env
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.models import EventModel
from tests.conftest import REFUSED_CONNECTIONS
from tests.consumers.axis import Axis, publish
from tests.consumers.day import realistic_day
from tests.consumers.test_subscriber import _canonical_records

runner = CliRunner()


def test_a_plan_is_clamped_to_what_each_partition_holds() -> None:
    a, b = TopicPartition("t", 0), TopicPartition("t", 1)
    position = GroupPosition("g", "Empty", 0, {a: 5, b: 9}, {a: 2, b: 0}, {a: 10, b: 9})
    assert plan_moves(position, {a: 0, b: 50}) == [Move(a, 5, 2), Move(b, 9, 9)]
    assert [m.delta for m in plan_moves(position, {a: 7})] == [2]


@pytest.mark.kafka
@REFUSED_CONNECTIONS  # in the full suite, a kafka-python socket leaked on a refused connect
@pytest.mark.usefixtures("refused_sockets_collected")  # was collected during this test
def test_a_subscriber_moved_back_an_hour_rereads_exactly_that_hour(
    axis: Axis, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in kafka_env(axis.kafka).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LIENTHONG_REGISTRY_URL", axis.registry_url)
    monkeypatch.setenv("LIENTHONG_AUDIT_TOPIC_PREFIX", axis.layout.prefix)
    topic = axis.layout.subscriber("portal")
    group = f"{axis.layout.prefix}.portal"
    axis.create_topics([], ["portal"])
    events = realistic_day()[:16]
    now_ms = int(time.time() * 1000)
    # Record times we control: the first 10 three hours ago, the last 6 in the last hour.
    stamps = [now_ms - 3 * 3600_000 + i for i in range(10)]
    stamps += [now_ms - 30 * 60_000 + i for i in range(6)]
    records = [
        dataclasses.replace(r, timestamp_ms=t)
        for r, t in zip(_canonical_records(axis, events, topic), stamps, strict=True)
    ]
    publish(axis.kafka, records)
    seen: list[str] = []

    async def handler(event: EventModel, record: Received) -> None:
        seen.append(str(event.envelope.event_id))

    async def consume(want: int, hold: asyncio.Event | None = None) -> None:
        done = asyncio.Event()
        async with Subscriber(
            [topic], group=group, kafka=axis.kafka, registry=axis.registry, layout=axis.layout
        ) as subscriber:
            task = asyncio.create_task(subscriber.run(handler, until=done))
            for _ in range(300):
                if subscriber.handled >= want:
                    break
                await asyncio.sleep(0.1)
            if hold is not None:
                await hold.wait()
            done.set()
            await task

    asyncio.run(consume(len(events)))
    assert len(seen) == len(events)
    an_hour_ago = (datetime.now(UTC) - timedelta(hours=1)).isoformat()

    shown = runner.invoke(app, ["offsets", "show", group], terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert "Empty" in shown.output

    plan = runner.invoke(app, ["offsets", "reset", group, "--to-time", an_hour_ago])
    assert plan.exit_code == 0, plan.output
    assert "--execute" in plan.output
    asyncio.run(consume(0))  # the plan alone changed nothing: nothing re-read
    assert len(seen) == len(events)

    # While a member is in the group, a reset is refused.
    async def refused_while_active() -> str:
        hold = asyncio.Event()
        reader = asyncio.create_task(consume(0, hold))
        await asyncio.sleep(8)  # joined and assigned
        answer = await asyncio.to_thread(
            runner.invoke, app, ["offsets", "reset", group, "--shift", "-1", "--execute"]
        )
        hold.set()
        await reader
        assert answer.exit_code == 1, answer.output
        return answer.output

    assert "stop its" in asyncio.run(refused_while_active())
    assert len(seen) == len(events)

    done = runner.invoke(app, ["offsets", "reset", group, "--to-time", an_hour_ago, "--execute"])
    assert done.exit_code == 0, done.output
    asyncio.run(consume(len(events) + 6))
    last_hour = [str(e.envelope.event_id) for e in events[10:]]
    assert sorted(seen[len(events) :]) == sorted(last_hour)  # exactly the last hour, once

    feed = read_audit(axis.kafka, AvroDeserializer(axis.registry), layout=axis.layout)
    audit = [r.event for r in feed if r.event is not None and r.event.target == group]
    assert [e.action.value for e in audit] == ["OFFSETS_RESET"]
    assert "->" in audit[0].detail
