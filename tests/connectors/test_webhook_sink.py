"""Done-when: a receiver that fails 30 % of calls still receives every event once (by
event_id), or the event sits in the dead-letter topic after its retries."""

from __future__ import annotations

import json
import random
import threading
from collections import Counter

from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.sinks.webhook import signature
from tests.connectors.events import dossier_story, new_id, plan_of, publish, run_until
from tests.connectors.receivers import reply, serve
from tests.connectors.support import new_agency, read_topic

SECRET = "chia-khoa-thu"


def test_flaky_receiver_gets_each_event_once_or_it_is_dead_lettered(
    kafka_settings: KafkaSettings, schema_registry_url: str
) -> None:
    events = dossier_story(new_agency(), 60)  # 420 events
    topic = f"test.webhook.{new_id()}"
    dead = f"test.webhook.dlq.{new_id()}"
    publish(kafka_settings, schema_registry_url, topic, events)
    rng = random.Random(7)
    lock = threading.Lock()
    received: Counter[str] = Counter()
    calls = Counter[str]()
    bad_signatures: list[str] = []

    def receiver(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        event_id = headers["X-Lienthong-Event-Id"]
        with lock:
            calls["all"] += 1
            if headers.get("X-Lienthong-Signature") != signature(SECRET, body):
                bad_signatures.append(event_id)
            if rng.random() < 0.30:  # fails before doing anything
                calls["failed"] += 1
                return reply(503, {"error": "busy"}) if rng.random() < 0.5 else reply(500)
            assert json.loads(body)["event_id"] == event_id == headers["Idempotency-Key"]
            received[event_id] += 1
        return reply(200, {"ok": True})

    with serve(receiver) as url:
        plan = plan_of(
            kafka_settings,
            schema_registry_url,
            {
                "name": f"hook-{new_id()}",
                "kind": "webhook",
                "url": f"{url}/hooks/dossier",
                "topics": [topic],
                "secret": SECRET,
                "max_attempts": 3,
                "backoff_initial_s": 0.001,
                "backoff_max_s": 0.01,
                "breaker_failures": 3,
                "breaker_cooldown_s": 0.02,
                "deadletter_topic": dead,
            },
        )

        def finished() -> bool:
            with lock:
                delivered = len(received)
            return delivered + len(read_topic(kafka_settings, dead, timeout_s=1)) >= len(events)

        runner = run_until(plan, finished, timeout_s=90)

    ids = {str(e.envelope.event_id) for e in events}
    letters = read_topic(kafka_settings, dead)
    dead_ids = [r.header("lt.dlq.event_id") for r in letters]
    assert set(received) | set(dead_ids) == ids
    assert not set(received) & set(dead_ids)
    assert all(count == 1 for count in received.values())
    assert {r.header("lt.dlq.reason") for r in letters} <= {"delivery_failed"}
    assert all(r.header("lt.dlq.attempts") == "3" for r in letters)
    assert all(r.value for r in letters)  # the original bytes, ready for a replay
    assert not bad_signatures
    assert calls["failed"] > 0.2 * calls["all"]
    samples = runner.metrics.registry.get_sample_value(
        "lienthong_connector_records_total",
        {"connector": plan.connectors[0].name, "kind": "webhook", "outcome": "delivered"},
    )
    assert samples == len(received)


def test_a_refusing_receiver_dead_letters_at_once(
    kafka_settings: KafkaSettings, schema_registry_url: str
) -> None:
    events = dossier_story(new_agency(), 2, with_progress=False)
    topic = f"test.webhook.{new_id()}"
    dead = f"test.webhook.dlq.{new_id()}"
    publish(kafka_settings, schema_registry_url, topic, events)
    calls = Counter[str]()

    def receiver(headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        calls[headers["X-Lienthong-Event-Id"]] += 1
        return reply(422, {"error": "MaHoSo không hợp lệ"})

    with serve(receiver) as url:
        plan = plan_of(
            kafka_settings,
            schema_registry_url,
            {
                "name": f"hook-{new_id()}",
                "kind": "webhook",
                "url": url,
                "topics": [topic],
                "deadletter_topic": dead,
            },
        )
        run_until(plan, lambda: len(read_topic(kafka_settings, dead, timeout_s=1)) >= len(events))
    letters = read_topic(kafka_settings, dead)
    assert {r.header("lt.dlq.reason") for r in letters} == {"rejected_by_receiver"}
    assert set(calls.values()) == {1}
    assert "MaHoSo" in letters[0].header("lt.dlq.message")
