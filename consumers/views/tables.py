"""The views in the worker: faust tables fed with what the gate passes, and the SLA timer.

The worker's pipeline (:class:`..worker.stages.Pipeline`) hands each batch of events the
gate passed — exactly what it writes to the canonical topics, with the payload already
decoded — to :meth:`MaterializeStage.apply`, in the same hop; a small agent reads the
overdue topic. For each event the stage looks up the entity's state, applies the pure
update (:data:`.entities.APPLIERS`) and, once per batch and entity, writes the new JSON
state to the table in the event's own partition (see :mod:`..worker._context`). The
gate refuses as duplicates also come here, so a worker killed between the two tables'
changelog writes re-applies rather than loses an event; every update is idempotent by
``event_id``.

Every table is keyed by the Kafka key of the events that feed it (MaHoSo, case id, zone
id, document id), and the ingress topics have the tables' partition count (the worker
checks): a key lives on the worker that consumes its partition, and faust's router finds
it for the query API. This needs producers to pick partitions by the Java client's
murmur2 of the key, as kafka-python, aiokafka, the SDK and the gateway do
(librdkafka clients: set ``partitioner=murmur2_random``).

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
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
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
from lienthong.consumers.worker.stages import Forward
from lienthong.monitoring.metrics import AxisMetrics
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
    stage: MaterializeStage | None = None  # what the worker's pipeline applies batches with

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


def _decode(event_type: str, value: bytes) -> Mapping[str, Any]:
    if event_type != OVERDUE_EVENT_TYPE:
        raise ValueError(f"{event_type} reaches the views from the gate, not from a topic")
    decoded: Mapping[str, Any] = json.loads(value)
    return decoded


@dataclass(frozen=True)
class _Row:
    """One event for the tables: where it came from, what it is, its decoded payload."""

    event: Any  # the faust event whose partition the key's state lives in
    key: bytes
    event_type: str
    event_id: str
    occurred_at_ms: int | None
    record: Mapping[str, Any]


class MaterializeStage:
    """Batches of events → table states (pure updates, one write per key and batch)."""

    def __init__(self, views: Views, metrics: AxisMetrics) -> None:
        self._views = views
        self._latency = metrics.event_latency.labels("queryable")

    def apply(self, batch: Sequence[Forward]) -> None:
        """Apply valid events from the gate (their payload is decoded already)."""
        rows = []
        for item in batch:
            facets = item.facets
            if item.key is None or facets.event_type not in APPLIERS:
                continue
            rows.append(
                _Row(
                    item.event,
                    item.key,
                    facets.event_type,
                    facets.event_id,
                    facets.occurred_at_ms,
                    item.record,
                )
            )
        self._apply(rows)

    def handle(self, events: Sequence[Any]) -> None:
        """Apply records read from a topic (the overdue announcements, JSON)."""
        rows = []
        for event in events:
            message = event.message
            headers = h.as_dict(message.headers)
            event_type = h.text(headers, h.EVENT_TYPE) or ""
            if event_type not in APPLIERS or message.key is None or message.value is None:
                continue
            try:
                record = _decode(event_type, message.value)
            except ValueError as exc:
                log.warning("views cannot read a record of %s: %s", message.topic, exc)
                self._views.undecodable += 1
                continue
            occurred = h.text(headers, h.OCCURRED_AT)
            stamp = int(occurred) if occurred and occurred.isdigit() else None
            event_id = h.text(headers, h.EVENT_ID) or ""
            rows.append(_Row(event, message.key, event_type, event_id, stamp, record))
        self._apply(rows)

    def _apply(self, rows: Sequence[_Row]) -> None:
        views = self._views
        changed: dict[tuple[str, bytes], tuple[State, _Row]] = {}
        applied: list[_Row] = []
        for row in rows:
            name, apply = APPLIERS[row.event_type]
            pending = changed.get((name, row.key))
            if pending is not None:
                state: State | None = pending[0]
            else:
                with event_context(row.event):
                    raw = views.tables[name].get(row.key)
                state = None if raw is None else json.loads(raw)
            new = apply(state, row.record)
            if new is None:
                views.duplicates += 1
                continue
            changed[(name, row.key)] = (new, row)
            applied.append(row)
        views.applied += len(applied)
        now = time.time()
        for (name, key), (state, row) in changed.items():
            with event_context(row.event):
                views.tables[name][key] = json.dumps(state, ensure_ascii=False).encode()
        for row in applied:
            if row.occurred_at_ms is not None:
                self._latency.observe(max(0.0, now - row.occurred_at_ms / 1000))
        for hook in views.on_applied:
            for row in applied:
                hook(row.event_type, row.event_id, int(now * 1000))


SCAN_CHUNK = 200
"""Dossiers the overdue scan reads between two turns of the event loop (~5 ms)."""


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

    async def _dossiers(self) -> AsyncIterator[State]:
        """Every dossier state held here, yielding to the event loop between chunks.

        A scan reads every open dossier (~25 µs each): in one go, a province's tens of
        thousands would stall the stream for as long. Keys are taken first, so batches
        applied meanwhile do not disturb the walk (a key gone since is skipped).
        """
        table = self._views.tables["dossiers"]
        for n, key in enumerate(list(table.keys())):
            if n % SCAN_CHUNK == SCAN_CHUNK - 1:
                await asyncio.sleep(0)
            raw = table.get(key)
            if raw is not None:
                yield json.loads(raw)

    async def scan(self) -> int:
        """Send the overdue records due now; returns how many were sent."""
        app = self._views.app
        manager: Any = app.tables  # the concrete TableManager has the recovery service
        if app.rebalancing or not manager.recovery.completed.is_set():
            return 0  # a table still recovering would look like nothing was announced
        now_ms = int(self._clock() * 1000)
        deliveries = []
        async for state in self._dossiers():
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
    stage = views.stage = MaterializeStage(views, metrics)
    overdue_topic = layout.canonical(OVERDUE_EVENT_TYPE)
    # Everything else reaches the views from the gate, in the same hop (worker.stages).
    topic = app.topic(overdue_topic, schema=_raw(), allow_empty=True)

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
