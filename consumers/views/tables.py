"""The views in the worker: faust tables fed with what the gate passes, and the SLA timer.

:func:`register_views` adds to the worker's faust app one table per view (:mod:`.topics`
names them and their changelogs), the stage the worker's pipeline applies each batch
with (:mod:`.stage`), the overdue timer (:mod:`.overdue`) and the query API
(:mod:`.web`); :func:`.registry.views_of` finds them again.

Every table is keyed by the Kafka key of the events that feed it (MaHoSo, case id, zone
id, document id), and the ingress topics have the tables' partition count (the worker
checks): a key lives on the worker that consumes its partition, and faust's router finds
it for the query API. This needs producers to pick partitions by the Java client's
murmur2 of the key, as kafka-python, aiokafka, the SDK and the gateway do
(librdkafka clients: set ``partitioner=murmur2_random``).

The overdue timer announces dossiers past due once; the stage keeps its index of due
times as it writes dossier states.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any

import faust

from lienthong.connectors.kafka import KafkaSettings, ensure_topics
from lienthong.connectors.topics import TopicLayout
from lienthong.consumers.faust_adapter import raw_table
from lienthong.consumers.views.dossiers import OVERDUE_EVENT_TYPE
from lienthong.consumers.views.entities import VIEW_TABLES
from lienthong.consumers.views.overdue import OverdueScanner
from lienthong.consumers.views.registry import Send, Views, register
from lienthong.consumers.views.settings import ViewsSettings
from lienthong.consumers.views.stage import MaterializeStage
from lienthong.consumers.views.topics import table_name, view_topics
from lienthong.consumers.views.web import register_pages
from lienthong.monitoring.metrics import AxisMetrics

log = logging.getLogger(__name__)


def register_views(
    app: faust.App,
    kafka: KafkaSettings,
    *,
    layout: TopicLayout,
    app_id: str,
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
    ensure_topics(kafka, view_topics(layout, app_id))
    tables = {name: raw_table(app, table_name(name), layout.partitions) for name in VIEW_TABLES}
    views = Views(app=app, tables=tables, settings=config)
    register(views)
    views.stage = MaterializeStage(views, metrics)
    # The worker reads it with its ingress topics and hands its records to the stage.
    overdue_topic = views.topic = layout.canonical(OVERDUE_EVENT_TYPE)
    scanner = OverdueScanner(views, send, overdue_topic, clock, metrics)

    def rebalanced(_app: Any, /, *_args: Any, signal: Any, **_kwargs: Any) -> None:
        views.due.stale = True  # recovered states were never noted: rebuild on next scan
        views.tally.ready = False  # the API scans the table until then
        views.tally.ready = False  # the API scans the table until then

    app.on_partitions_assigned.connect(rebalanced)

    @app.timer(config.overdue_scan_s, on_leader=False, name="overdue-scan")  # type: ignore[untyped-decorator]
    async def overdue_scan() -> None:
        await scanner.scan()

    register_pages(app, views, clock)
    return views
