"""``lienthong worker``: the faust-streaming app running validate, route and the views.

    ingress topics ──validate──► lienthong.events.<type>      (canonical: the same bytes)
                        │  └─────route──► lienthong.sub.<name>  (rules file, headers)
                        │  └─────materialize──► view tables     (LIENTHONG_VIEWS_ENABLED)
                        │ refused
                        ▼
                 lienthong.deadletter (reason headers)

The three stages run in one hop over each fetch of ingress records, read below faust's
per-record streams (:mod:`lienthong.consumers.faust_adapter`; :class:`.stages.Pipeline`
for the order that keeps a killed worker from losing events). faust keeps the consumer
group, the tables (their recovery from changelogs), the query API and the timers.

One app id is one consumer group: start more processes with the same settings to share
partitions. Every topic is created before faust starts (:mod:`.topics`); faust itself
is not allowed to declare any. Outputs and table changelogs go through one idempotent
aiokafka producer (acks=all) owned by the app, in whole batches (:mod:`.sender`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

import faust
from aiokafka import AIOKafkaProducer
from mode import Service

from lienthong.audit import AuditSettings, AuditTrail, open_trail
from lienthong.auth import Authenticator, aiohttp_access
from lienthong.connectors.kafka import KafkaSettings, aiokafka_producer
from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.batch import Stage
from lienthong.consumers.dedup import DedupPolicy, RecentIds
from lienthong.consumers.faust_adapter import (
    json_errors,
    raw_table,
    read_in_batches,
    use_batching_transport,
)
from lienthong.consumers.gate import Gate
from lienthong.consumers.routing.watch import RulesWatcher
from lienthong.consumers.views import register_views
from lienthong.consumers.views.access import query_policy
from lienthong.consumers.views.cluster import RETRY_AFTER_S, settled
from lienthong.consumers.worker.sender import OutboxSender
from lienthong.consumers.worker.settings import WorkerSettings
from lienthong.consumers.worker.stages import Pipeline, RouteStage, ValidateStage
from lienthong.consumers.worker.topics import ENTITY_TABLE, ensure_subscriber_topics, prepare
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.monitoring.process import freeze_startup_objects
from lienthong.schemas import headers as h
from lienthong.schemas.access import AccessSettings, AccessWatcher
from lienthong.schemas.codec import AvroDeserializer
from lienthong.schemas.registry_client import RegistryClient, SchemaRegistry

log = logging.getLogger(__name__)


class TrailCloser(Service):
    """Delivers the worker's queued audit events when the worker stops."""

    def __init__(self, trail: AuditTrail) -> None:
        super().__init__()
        self._trail = trail

    async def on_stop(self) -> None:
        await asyncio.to_thread(self._trail.close)


class Sender(Service):
    """The worker's producer, started before the agents and stopped after them."""

    def __init__(self, config: dict[str, Any]) -> None:
        super().__init__()
        self._config = config
        self._producer: AIOKafkaProducer | None = None

    async def on_start(self) -> None:
        self._producer = AIOKafkaProducer(**self._config)
        await self._producer.start()

    async def on_stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()  # flushes what is queued first
            self._producer = None

    @property
    def producer(self) -> AIOKafkaProducer:
        """The running producer (the worker's outbox sends its batches through it)."""
        if self._producer is None:
            raise RuntimeError("the worker's producer is not running")
        return self._producer

    async def send(
        self, topic: str, key: bytes | None, value: bytes | None, headers: h.Headers
    ) -> Awaitable[Any]:
        """Queue one record; the returned future resolves when Kafka has it."""
        if self._producer is None:
            raise RuntimeError("the worker's producer is not running")
        future: Awaitable[Any] = await self._producer.send(topic, value, key=key, headers=headers)
        return future


@dataclass
class Worker:
    """A configured worker: its faust app and the stages it runs (for tests and stats)."""

    app: faust.App
    validate: ValidateStage
    route: RouteStage | None
    metrics: AxisMetrics
    ingress: list[str]


def _faust_app(settings: WorkerSettings, kafka: KafkaSettings, layout: TopicLayout) -> faust.App:
    store = "rocksdb://" if settings.store == "rocksdb" else "memory://"
    # faust makes only the last directory; on a fresh machine ~/.lienthong is missing too.
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return faust.App(
        settings.app_id,
        **kafka.as_faust(),
        store=store,
        datadir=str(settings.data_dir),
        autodiscover=False,
        # Topics come from axis_topics only; the leader topic is not needed (no
        # on_leader timers), so faust has nothing to create.
        topic_allow_declare=False,
        topic_disable_leader=True,
        # faust declares no topic here (topic_allow_declare=False: axis_topics made them
        # all with the layout's min.insync), but its own defaults say the same.
        topic_partitions=layout.partitions,
        topic_replication_factor=layout.replication,
        table_standby_replicas=0,
        consumer_auto_offset_reset="earliest",
        producer_acks=-1,
        # One fetch is one batch (faust_adapter.py); the stream buffer serves changelog recovery.
        broker_max_poll_records=settings.batch_size,
        stream_buffer_maxsize=max(4096, settings.batch_size * 4),
        web_enabled=settings.web_port is not None,
        web_port=settings.web_port or 6066,
        web_bind=settings.web_host,
        canonical_url=settings.advertised_url(),  # what peers are told (cluster.py)
        web_in_thread=False,
        # faust's own pages show internal names and answer errors as text: off.
        web_router_enabled=False,
        web_tables_enabled=False,
        web_graph_enabled=False,
        web_stats_enabled=False,
        web_metrics_enabled=False,
        broker_session_timeout=settings.session_timeout_s,
        broker_heartbeat_interval=min(3.0, settings.session_timeout_s / 5),
    )


def _health_pages(app: faust.App) -> None:
    """``/healthz``: the process serves; ``/readyz``: its tables are caught up (503 if not).

    Public like ``/metrics``, so ``lienthong status`` and orchestrators need no identity.
    """

    @app.page("/healthz")
    async def healthz(web: Any, request: Any) -> Any:
        return web.json({"status": "ok"})

    @app.page("/readyz")
    async def readyz(web: Any, request: Any) -> Any:
        if settled(app):
            return web.json({"status": "ready"})
        body = {"status": "recovering", "retry_after_s": RETRY_AFTER_S}
        return web.json(body, status=503, headers={"Retry-After": str(RETRY_AFTER_S)})


def _guard_web(app: faust.App, trail: AuditTrail) -> None:
    """Every page of the worker's web server checks who asks (consumers.views.access)."""
    web: Any = app.web
    access = AccessWatcher(AccessSettings().agencies_file)
    web.web_app.middlewares.append(
        aiohttp_access(Authenticator(access, "query-api", trail), query_policy)
    )


def create_worker(
    settings: WorkerSettings,
    kafka: KafkaSettings,
    *,
    registry: SchemaRegistry | None = None,
    metrics: AxisMetrics | None = None,
) -> Worker:
    """Create the worker's topics and build its faust app (not started).

    Raises :class:`~lienthong.consumers.errors.WorkerConfigError` and
    :class:`~lienthong.consumers.errors.RulesError` with what to fix.
    """
    layout = settings.layout(kafka)
    metrics = metrics or AxisMetrics.create()
    deserializer = AvroDeserializer(registry or RegistryClient(settings.registry_url))
    watcher = (
        RulesWatcher(settings.rules_path, layout, poll_s=settings.rules_poll_s)
        if settings.rules_path is not None
        else None
    )
    subscribers = watcher.current()[0].rules.subscribers() if watcher else []
    ingress = prepare(
        kafka,
        layout,
        settings.app_id,
        agencies=settings.agencies,
        subscribers=subscribers,
    )
    app = _faust_app(settings, kafka, layout)
    if settings.web_port is not None:
        json_errors(app)
    use_batching_transport(app)  # first: faust builds its consumer from this transport
    sender = Sender(aiokafka_producer(kafka))
    app.add_dependency(sender)

    table = raw_table(app, ENTITY_TABLE, layout.partitions)
    gate = Gate(
        deserializer,
        layout=layout,
        validator=settings.app_id,
        policy=DedupPolicy(
            max_ids=settings.dedup_ids_per_entity,
            max_age_ms=int(settings.dedup_max_age_s * 1000),
        ),
    )
    # The security feed: every not_owner refusal is audited, besides its dead letter.
    trail = open_trail(
        "worker",
        kafka,
        metrics,
        AuditSettings(topic_prefix=settings.topic_prefix, registry_url=settings.registry_url),
    )
    app.add_dependency(TrailCloser(trail))
    if settings.web_port is not None:
        _guard_web(app, trail)
    validate = ValidateStage(gate, table, metrics, trail=trail)
    route: RouteStage | None = None
    if watcher is not None:

        async def new_subscribers(names: list[str]) -> None:
            await ensure_subscriber_topics(
                kafka,
                layout,
                names,
            )

        route = RouteStage(
            watcher,
            metrics,
            recent=RecentIds(settings.route_recent_ids),
            on_new_subscribers=new_subscribers,
        )

    # Materialized views and their query API (issue 6), only with LIENTHONG_VIEWS_ENABLED.
    views = register_views(
        app, kafka, layout=layout, app_id=settings.app_id, send=sender.send, metrics=metrics
    )
    after: list[Stage] = [s for s in (route, views.stage if views else None) if s is not None]
    views_topic = views.topic if views is not None else None
    pipeline = Pipeline(
        validate,
        after,
        OutboxSender(lambda: sender.producer),
        deadletter=layout.deadletter,
        metrics=metrics,
        own_topic=views_topic,
    )
    read_in_batches(app, [*ingress, *([views_topic] if views_topic else [])], pipeline.handle)

    if settings.tune_gc:

        @app.task  # type: ignore[untyped-decorator]
        async def tune_collector() -> None:
            freeze_startup_objects()

    if settings.web_port is not None:

        @app.page("/metrics")
        async def metrics_page(web: Any, request: Any) -> Any:
            body, content_type = metrics.exposition()
            return web.bytes(body, content_type=content_type.split(";")[0])

        _health_pages(app)

    return Worker(app=app, validate=validate, route=route, metrics=metrics, ingress=ingress)
