"""Reading a topic for people: records from a time or offset, decoded when possible.

Used by ``lienthong tail`` and ``lienthong dlq``. kafka-python here (the CLI is
synchronous and short-lived); the worker and the SDK use aiokafka.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from kafka import KafkaConsumer, TopicPartition

from lienthong.connectors.kafka import KafkaSettings
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.errors import CodecError, RegistryError


@dataclass(frozen=True)
class Seen:
    """One record as read."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    key: bytes | None
    value: bytes | None
    headers: list[tuple[str, bytes]]


def read_topic(  # noqa: PLR0912  # one loop with its stop conditions reads best whole
    kafka: KafkaSettings,
    topic: str,
    *,
    since_ms: int | None = None,
    last: int | None = None,
    follow: bool = False,
    idle_s: float = 1.0,
) -> Iterator[Seen]:
    """Records of every partition of ``topic``, partition by partition in offset order.

    From ``since_ms`` (a timestamp), else the ``last`` N of each partition, else the
    start. Without ``follow`` it stops at the end offsets taken when it started.
    """
    consumer = KafkaConsumer(**kafka.as_kafka_python(), enable_auto_commit=False)
    try:
        found = consumer.partitions_for_topic(topic)
        if not found:
            raise LookupError(f"topic {topic} does not exist (list topics with `lienthong topics`)")
        parts = [TopicPartition(topic, p) for p in sorted(found)]
        consumer.assign(parts)
        ends = consumer.end_offsets(parts)
        begins = consumer.beginning_offsets(parts)
        if since_ms is not None:
            hits = consumer.offsets_for_times({tp: since_ms for tp in parts})
            for tp in parts:
                hit = hits.get(tp)
                consumer.seek(tp, hit.offset if hit is not None else ends[tp])
        else:
            for tp in parts:
                start = begins[tp] if last is None else max(begins[tp], ends[tp] - last)
                consumer.seek(tp, start)
        quiet_since = time.monotonic()
        while True:
            if not follow and all(consumer.position(tp) >= ends[tp] for tp in parts):
                return
            batch = consumer.poll(timeout_ms=200)
            if not batch and not follow and time.monotonic() - quiet_since > idle_s + 10:
                return
            if batch:
                quiet_since = time.monotonic()
            for tp, messages in sorted(batch.items(), key=lambda item: item[0].partition):
                for m in messages:
                    if not follow and m.offset >= ends[tp]:
                        continue
                    yield Seen(
                        tp.topic,
                        tp.partition,
                        m.offset,
                        m.timestamp,
                        m.key,
                        m.value,
                        list(m.headers),
                    )
    finally:
        consumer.close()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def describe_value(deserializer: AvroDeserializer | None, value: bytes | None) -> str:
    """The value as readable JSON if it decodes, else why not and its first bytes."""
    if value is None:
        return "(no value: tombstone)"
    if deserializer is not None:
        try:
            decoded = deserializer.decode(value)
            return json.dumps(_jsonable(decoded.value), ensure_ascii=False)
        except (CodecError, RegistryError) as exc:
            return f"(cannot decode: {exc}) {value[:48].hex()}…"
    return value[:48].hex()


def when(ms: int | None) -> str:
    """Epoch milliseconds as an ISO time in UTC."""
    if ms is None:
        return "-"
    return datetime.fromtimestamp(ms / 1000, UTC).isoformat(timespec="milliseconds")


def parse_since(text: str, now: datetime | None = None) -> int:
    """``2025-03-04T08:00``, ``2025-03-04`` (local time = Asia/Ho_Chi_Minh if no zone) or
    a duration back from now: ``15m``, ``2h``, ``3d``. Returns epoch milliseconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    current = now or datetime.now(UTC)
    if text[:-1].isdigit() and text[-1:] in units:
        return int((current.timestamp() - int(text[:-1]) * units[text[-1]]) * 1000)
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
    return int(moment.timestamp() * 1000)
