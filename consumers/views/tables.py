"""The views in the worker: faust tables fed from the canonical topics, and the SLA timer.

One agent reads the canonical topics of the catalogue's dossier, case and document
events (as the gate wrote them: original Avro bytes, trusted ``lt.*`` headers) plus the
overdue topic, one batch at a time. For each record it looks up the entity's state,
applies the pure update (:data:`.entities.APPLIERS`) and, once per batch and entity,
writes the new JSON state to the table in the record's own partition (so the changelog
partition matches the source partition; see :mod:`..worker._context`).

Every table is keyed by the Kafka key of the events that feed it (MaHoSo, case id, zone
id, document id), so each table is co-partitioned with its topics: a key lives on the
worker that consumes its partition, and faust's router finds it for the query API.

The overdue timer scans the local dossier table every ``overdue_scan_s``; for a dossier
past due without a result and not yet marked it sends one record to
``<prefix>.events.dossier.overdue`` (key MaHoSo, same partition as the dossier). The
agent reading that topic sets ``overdue_emitted`` in the dossier's state; until then the
timer remembers what it sent, so it does not send twice in one process. After a crash
between the send and the mark, a restart may send again: the record has the same
``event_id`` (derived from MaHoSo and the due time) and the mark is idempotent.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import faust
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.connectors.kafka import TopicSpec, ensure_topics
from lienthong.connectors.topics import TopicLayout, faust_changelog
from lienthong.consumers import headers as h
from lienthong.consumers.views.dossiers import OVERDUE_EVENT_TYPE, becomes_overdue, overdue_event
from lienthong.consumers.views.entities import APPLIERS, VIEW_TABLES, State
from lienthong.consumers.worker._context import event_context
from lienthong.consumers.worker.settings import WorkerSettings
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.errors import CodecError
from lienthong.settings import KafkaSettings

log = logging.getLogger(__name__)


def _raw() -> faust.Schema[bytes, bytes]:
    # Bytes in, bytes out: the stage decodes what it needs and stores its own JSON.
    return faust.Schema(
        key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )


Send = Callable[[str, bytes | None, bytes | None, h.Headers], Awaitable[Awaitable[Any]]]
Applied = Callable[[str, str, int], None]
"""(event_type, event_id, applied at ms) → None: a hook for benchmarks and tests."""


class ViewsSettings(BaseSettings):
    """``LIENTHONG_VIEWS_*``: whether the worker keeps the views, and how."""

    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_VIEWS_", env_file=".env", extra="ignore"
    )

    enabled: bool = Field(default=False, description="Keep the tables and serve the query API.")
    overdue_scan_s: float = Field(
        default=5.0, gt=0, description="How often open clocks are checked."
    )
    max_page: int = Field(default=500, ge=1, description="Largest page the API returns.")


def table_name(name: str) -> str:
    """The faust table name of a view (its changelog: ``<app_id>-views-<name>-changelog``)."""
    return f"views-{name}"


def view_topics(
    layout: TopicLayout, app_id: str, *, partitions: int, replication: int
) -> list[TopicSpec]:
    """The overdue topic and the compacted changelog of every view table."""
    compact = {"cleanup.policy": "compact"}
    specs = [TopicSpec(layout.canonical(OVERDUE_EVENT_TYPE), partitions, replication)]
    specs += [
        TopicSpec(faust_changelog(app_id, table_name(t)), partitions, replication, compact)
        for t in VIEW_TABLES
    ]
    return specs


@dataclass
class Views:
    """The views of one worker: its tables and counters (for the API, tests, benchmarks)."""

    app: faust.App
    tables: dict[str, Any]
    settings: ViewsSettings
    applied: int = 0
    duplicates: int = 0
    undecodable: int = 0
    overdue_sent: int = 0
    on_applied: list[Applied] = field(default_factory=list)

    def states(self, name: str) -> Iterator[State]:
        """Every state of a table held by this worker (its assigned partitions)."""
        for raw in self.tables[name].values():
            if raw is not None:
                yield json.loads(raw)

    def get(self, name: str, key: str) -> State | None:
        raw = self.tables[name].get(key.encode())
        return None if raw is None else dict(json.loads(raw))


_REGISTERED: weakref.WeakKeyDictionary[Any, Views] = weakref.WeakKeyDictionary()


def views_of(app: faust.App) -> Views | None:
    """The views registered on ``app`` (benchmarks and tests reach them this way)."""
    return _REGISTERED.get(app)


def _decode(deserializer: AvroDeserializer, event_type: str, value: bytes) -> Mapping[str, Any]:
    if event_type == OVERDUE_EVENT_TYPE:
        decoded: Mapping[str, Any] = json.loads(value)
        return decoded
    return deserializer.decode(value).value


class MaterializeStage:
    """One batch of canonical records → table states (pure updates, one write per key)."""

    def __init__(self, views: Views, deserializer: AvroDeserializer, metrics: AxisMetrics) -> None:
        self._views = views
        self._deserializer = deserializer
        self._latency = metrics.event_latency.labels("queryable")

    def handle(self, events: Sequence[Any]) -> None:
        """Apply a batch; table writes happen in each key's own event context."""
        views = self._views
        changed: dict[tuple[str, bytes], tuple[State, Any]] = {}
        applied: list[tuple[str, str]] = []
        for event in events:
            message = event.message
            key = message.key
            headers = h.as_dict(message.headers)
            event_type = h.text(headers, h.EVENT_TYPE) or ""
            target = APPLIERS.get(event_type)
            if target is None or key is None or message.value is None:
                continue
            name, apply = target
            try:
                record = _decode(self._deserializer, event_type, message.value)
            except (CodecError, ValueError) as exc:
                # The gate let it through, so this is a bug or a foreign writer: say so once.
                log.warning("views cannot read a record of %s: %s", message.topic, exc)
                views.undecodable += 1
                continue
            pending = changed.get((name, key))
            if pending is not None:
                state: State | None = pending[0]
            else:
                with event_context(event):
                    raw = views.tables[name].get(key)
                state = None if raw is None else json.loads(raw)
            new = apply(state, record)
            if new is None:
                views.duplicates += 1
                continue
            changed[(name, key)] = (new, event)
            applied.append((event_type, h.text(headers, h.EVENT_ID) or ""))
            views.applied += 1
        now = time.time()
        for (name, key), (state, event) in changed.items():
            with event_context(event):
                views.tables[name][key] = json.dumps(state, ensure_ascii=False).encode()
            occurred = h.text(h.as_dict(event.message.headers), h.OCCURRED_AT)
            if occurred and occurred.isdigit():
                self._latency.observe(max(0.0, now - int(occurred) / 1000))
        for hook in views.on_applied:
            for event_type, event_id in applied:
                hook(event_type, event_id, int(now * 1000))


class OverdueScanner:
    """Announces each dossier's lateness once (see the module docstring)."""

    def __init__(
        self, views: Views, send: Send, topic: str, clock: Callable[[], float], metrics: AxisMetrics
    ) -> None:
        self._views = views
        self._counter = metrics.overdue_dossiers
        self._send = send
        self._topic = topic
        self._clock = clock
        self._sent: set[str] = set()

    async def scan(self) -> int:
        """Send the overdue records due now; returns how many were sent."""
        app = self._views.app
        manager: Any = app.tables  # the concrete TableManager has the recovery service
        if app.rebalancing or not manager.recovery.completed.is_set():
            return 0  # a table still recovering would look like nothing was announced
        now_ms = int(self._clock() * 1000)
        deliveries = []
        for state in self._views.states("dossiers"):
            ma = state["ma_ho_so"]
            if state["sla"]["overdue_emitted"]:
                self._sent.discard(ma)
                continue
            if ma in self._sent or not becomes_overdue(state, now_ms):
                continue
            body = overdue_event(state, now_ms)
            headers = h.encode(
                [
                    (h.EVENT_ID, body["event_id"]),
                    (h.EVENT_TYPE, OVERDUE_EVENT_TYPE),
                    (h.AGENCY, body["agency"]),
                    (h.OCCURRED_AT, str(now_ms)),
                ]
            )
            value = json.dumps(body, ensure_ascii=False).encode()
            deliveries.append(await self._send(self._topic, ma.encode(), value, headers))
            self._sent.add(ma)
            self._counter.labels(body["agency"] or "").inc()
        await asyncio.gather(*deliveries)
        self._views.overdue_sent += len(deliveries)
        return len(deliveries)


def register_views(
    app: faust.App,
    settings: WorkerSettings,
    kafka: KafkaSettings,
    *,
    deserializer: AvroDeserializer,
    send: Send,
    metrics: AxisMetrics,
    views_settings: ViewsSettings | None = None,
    clock: Callable[[], float] = time.time,
) -> Views | None:
    """Add the view tables, their agent, the overdue timer and the query API to ``app``.

    Does nothing (returns ``None``) unless ``LIENTHONG_VIEWS_ENABLED`` is true or
    ``views_settings.enabled``. Creates the overdue topic and the tables' changelogs
    first (the worker's faust app may not declare topics).
    """
    config = views_settings or ViewsSettings()
    if not config.enabled:
        return None
    layout = TopicLayout(settings.topic_prefix)
    ensure_topics(
        kafka,
        view_topics(
            layout,
            settings.app_id,
            partitions=settings.partitions,
            replication=settings.replication,
        ),
    )
    tables: dict[str, Any] = {}
    for name in VIEW_TABLES:
        table: Any = app.Table(
            table_name(name),
            default=None,
            partitions=settings.partitions,
            schema=_raw(),
        )
        # The changelog's serializers come from these attributes (default "json"), not from
        # the schema: raw keeps recovery reading exactly the bytes that were written.
        table.key_serializer = table.value_serializer = "raw"
        table.changelog_topic = table._new_changelog_topic()  # faust made it eagerly, as json
        tables[name] = table
    views = Views(app=app, tables=tables, settings=config)
    _REGISTERED[app] = views
    stage = MaterializeStage(views, deserializer, metrics)
    overdue_topic = layout.canonical(OVERDUE_EVENT_TYPE)
    sources = sorted({layout.canonical(t) for t in APPLIERS})
    topic = app.topic(*sources, schema=_raw(), allow_empty=True)

    @app.agent(topic, name="materialize")
    async def materialize(stream: Any) -> None:
        async for events in stream.take_events(settings.batch_size, within=settings.batch_wait_s):
            stage.handle(events)

    scanner = OverdueScanner(views, send, overdue_topic, clock, metrics)

    @app.timer(config.overdue_scan_s, on_leader=False, name="overdue-scan")  # type: ignore[untyped-decorator]
    async def overdue_scan() -> None:
        await scanner.scan()

    from lienthong.consumers.views.web import register_pages  # noqa: PLC0415  # web needs Views

    register_pages(app, views, clock)
    return views
