"""The views in the worker: faust tables fed with what the gate passes, and the SLA timer.

The worker's pipeline (:class:`..worker.stages.Pipeline`) hands each batch of events the
gate passed — exactly what it writes to the canonical topics, with the payload already
decoded — to :meth:`MaterializeStage.apply`, in the same hop; the overdue topic's
records reach :meth:`MaterializeStage.handle` the same way. For each event the stage
looks up the entity's state, applies the pure update (:data:`.entities.APPLIERS`) and,
once per batch and entity, writes the new JSON state to the table in the event's own
partition (see :mod:`..worker._context`), its changelog record going out with the
batch's outputs (:mod:`..worker._outbox`). The gate refuses as duplicates also come
here, so a worker killed between the two tables' changelog writes re-applies rather than
loses an event; every update is idempotent by ``event_id``.

Every table is keyed by the Kafka key of the events that feed it (MaHoSo, case id, zone
id, document id), and the ingress topics have the tables' partition count (the worker
checks): a key lives on the worker that consumes its partition, and faust's router finds
it for the query API. This needs producers to pick partitions by the Java client's
murmur2 of the key, as kafka-python, aiokafka, the SDK and the gateway do
(librdkafka clients: set ``partitioner=murmur2_random``).

The overdue timer (:mod:`.overdue`) announces dossiers past due once; the stage keeps
its index of due times as it writes dossier states.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import faust
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.connectors.kafka import KafkaSettings, TopicSpec, ensure_topics
from lienthong.connectors.topics import COMPACTED, TopicLayout, faust_changelog
from lienthong.consumers.state_json import dumps, loads
from lienthong.consumers.views.dossiers import OVERDUE_EVENT_TYPE
from lienthong.consumers.views.entities import APPLIERS, VIEW_TABLES, State
from lienthong.consumers.views.overdue import DueIndex, OverdueScanner
from lienthong.consumers.views.tally import DossierTally
from lienthong.consumers.worker._context import read
from lienthong.consumers.worker._outbox import Outbox
from lienthong.consumers.worker.settings import WorkerSettings
from lienthong.consumers.worker.stages import Forward
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.monitoring.tally import HistogramTally
from lienthong.schemas import headers as h

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


def view_topics(layout: TopicLayout, app_id: str) -> list[TopicSpec]:
    """The overdue topic and the compacted changelog of every view table."""
    specs = [layout.spec(layout.canonical(OVERDUE_EVENT_TYPE))]
    specs += [layout.spec(faust_changelog(app_id, table_name(t)), COMPACTED) for t in VIEW_TABLES]
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
    due: DueIndex = field(default_factory=DueIndex)  # open dossiers by due time
    tally: DossierTally = field(default_factory=DossierTally)  # dossier counts (tally.py)
    stage: MaterializeStage | None = None  # what the worker's pipeline applies batches with
    topic: str | None = None  # the views' own topic (overdue announcements), read in batches

    def states(self, name: str) -> Iterator[State]:
        """Every state of a table held by this worker (its assigned partitions)."""
        for raw in self.tables[name].values():
            if raw is not None:
                yield loads(raw)

    def get(self, name: str, key: str) -> State | None:
        raw = self.tables[name].get(key.encode())
        return None if raw is None else dict(loads(raw))


_REGISTERED: weakref.WeakKeyDictionary[Any, Views] = weakref.WeakKeyDictionary()


def views_of(app: faust.App) -> Views | None:
    """The views registered on ``app`` (benchmarks and tests reach them this way)."""
    return _REGISTERED.get(app)


def _decode(event_type: str, value: bytes) -> Mapping[str, Any]:
    if event_type != OVERDUE_EVENT_TYPE:
        raise ValueError(f"{event_type} reaches the views from the gate, not from a topic")
    decoded: Mapping[str, Any] = loads(value)
    return decoded


# Built per event: slots, not frozen (frozen costs ~1 µs more per object); never mutated.
@dataclass(slots=True)
class _Row:
    """One event for the tables: where it came from, what it is, its decoded payload."""

    event: Any  # stands for the faust event whose partition the key's state lives in
    key: bytes
    event_type: str
    event_id: str
    occurred_at_ms: int | None
    record: Mapping[str, Any]


class MaterializeStage:
    """Batches of events → table states (pure updates, one write per key and batch)."""

    def __init__(self, views: Views, metrics: AxisMetrics) -> None:
        self._views = views
        self._latency = HistogramTally(metrics.event_latency.labels("queryable"))

    def apply(self, batch: Sequence[Forward], outbox: Outbox) -> None:
        """Apply valid events from the gate (their payload is decoded already).

        The new states are in the tables' stores now; their changelog records in ``outbox``.
        """
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
        self._apply(rows, outbox)

    def handle(self, messages: Sequence[Any], events: Sequence[Any], outbox: Outbox) -> None:
        """Apply records read from the views' topic (the overdue announcements, JSON).

        ``events``: each message's stand-in for faust's current event.
        """
        rows = []
        for message, event in zip(messages, events, strict=True):
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
        self._apply(rows, outbox)

    def _apply(self, rows: Sequence[_Row], outbox: Outbox) -> None:
        views = self._views
        changed: dict[tuple[str, bytes], tuple[State, _Row]] = {}
        applied: list[_Row] = []
        for row in rows:
            name, apply = APPLIERS[row.event_type]
            pending = changed.get((name, row.key))
            if pending is not None:
                state: State | None = pending[0]
            else:
                raw = read(views.tables[name], row.event, row.key)
                state = None if raw is None else loads(raw)
            new = apply(state, row.record)
            if new is None:
                views.duplicates += 1
                continue
            changed[(name, row.key)] = (new, row)
            applied.append(row)
        views.applied += len(applied)
        now = time.time()
        put = outbox.put
        for (name, key), (state, row) in changed.items():
            put(views.tables[name], row.event, key, dumps(state))
            if name == "dossiers":
                views.due.note(key, state)
                views.tally.note(key, state)
        observe = self._latency.observe
        for row in applied:
            if row.occurred_at_ms is not None:
                observe(max(0.0, now - row.occurred_at_ms / 1000))
        self._latency.flush()
        for hook in views.on_applied:
            for row in applied:
                hook(row.event_type, row.event_id, int(now * 1000))


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
    """Add the view tables, the overdue timer and the query API to ``app``.

    ``send`` takes the overdue timer's records. The worker's pipeline reads the overdue
    topic (``Views.topic``) and applies batches through ``Views.stage``.

    Does nothing (returns ``None``) unless ``LIENTHONG_VIEWS_ENABLED`` is true or
    ``views_settings.enabled``. Creates the overdue topic and the tables' changelogs
    first (the worker's faust app may not declare topics).
    """
    config = views_settings or ViewsSettings()
    if not config.enabled:
        return None
    layout = settings.layout(kafka)
    ensure_topics(kafka, view_topics(layout, settings.app_id))
    tables: dict[str, Any] = {}
    for name in VIEW_TABLES:
        table: Any = app.Table(
            table_name(name),
            default=None,
            partitions=layout.partitions,
            schema=_raw(),
        )
        # The changelog's serializers come from these attributes (default "json"), not from
        # the schema: raw keeps recovery reading exactly the bytes that were written.
        table.key_serializer = table.value_serializer = "raw"
        table.changelog_topic = table._new_changelog_topic()  # faust made it eagerly, as json
        tables[name] = table
    views = Views(app=app, tables=tables, settings=config)
    _REGISTERED[app] = views
    views.stage = MaterializeStage(views, metrics)
    # The worker reads it with its ingress topics and hands its records to the stage.
    overdue_topic = views.topic = layout.canonical(OVERDUE_EVENT_TYPE)
    scanner = OverdueScanner(views, send, overdue_topic, clock, metrics)

    def rebalanced(_app: Any, /, *_args: Any, signal: Any, **_kwargs: Any) -> None:
        views.due.stale = True  # recovered states were never noted: rebuild on next scan
        views.tally.ready = False  # the API scans the table until then

    app.on_partitions_assigned.connect(rebalanced)

    @app.timer(config.overdue_scan_s, on_leader=False, name="overdue-scan")  # type: ignore[untyped-decorator]
    async def overdue_scan() -> None:
        await scanner.scan()

    from lienthong.consumers.views.web import register_pages  # noqa: PLC0415  # web needs Views

    register_pages(app, views, clock)
    return views
