"""The worker's topics: created from one place before it starts, and the ingress found.

faust-streaming 0.15 cannot subscribe by pattern, so the ingress topics are the ones
that match the layout's ingress pattern when the worker starts (a topic created later is
read after a restart). faust's tables need their changelog to have as many partitions
as every topic feeding them, so a mismatch stops the start with an explanation.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable

from kafka.admin import KafkaAdminClient

from lienthong.connectors.kafka import KafkaSettings, TopicSpec, admin, ensure_topics
from lienthong.connectors.topics import TopicLayout, axis_topics
from lienthong.consumers.errors import WorkerConfigError
from lienthong.schemas.catalogue import catalogue

ENTITY_TABLE = "entities"
"""The gate's table: entity id → :class:`~lienthong.consumers.dedup.EntityState`."""


def worker_specs(
    layout: TopicLayout,
    app_id: str,
    *,
    agencies: Iterable[str] = (),
    subscribers: Iterable[str] = (),
) -> list[TopicSpec]:
    """Every topic a worker writes or reads, as :func:`axis_topics` declares them."""
    return axis_topics(
        list(catalogue()),
        agencies,
        layout=layout,
        subscribers=subscribers,
        worker_app_id=app_id,
        worker_tables=[ENTITY_TABLE],
    )


def _partition_counts(client: KafkaAdminClient, topics: list[str]) -> dict[str, int]:
    if not topics:
        return {}
    return {t["name"]: len(t["partitions"]) for t in client.describe_topics(topics)}


def prepare(
    settings: KafkaSettings,
    layout: TopicLayout,
    app_id: str,
    *,
    agencies: Iterable[str] = (),
    subscribers: Iterable[str] = (),
) -> list[str]:
    """Create the worker's topics, then return the ingress topics it will read.

    Raises :class:`WorkerConfigError` when there is no ingress topic or partition
    counts differ from ``partitions``.
    """
    ensure_topics(
        settings,
        worker_specs(
            layout,
            app_id,
            agencies=agencies,
            subscribers=subscribers,
        ),
    )
    client = admin(settings)
    try:
        pattern = re.compile(layout.ingress_pattern)
        ingress = sorted(t for t in client.list_topics() if pattern.fullmatch(t))
        if not ingress:
            raise WorkerConfigError(
                f"no ingress topic matches {layout.ingress_pattern} yet: publish once with "
                "the SDK (it creates its topic) or start the worker with --agency CODE"
            )
        counts = _partition_counts(client, ingress)
    finally:
        client.close()
    partitions = layout.partitions
    wrong = {t: n for t, n in counts.items() if n != partitions}
    if wrong:
        listed = ", ".join(f"{t} ({n})" for t, n in sorted(wrong.items()))
        raise WorkerConfigError(
            f"ingress topics must all have {partitions} partitions, like the worker's table "
            f"changelog; these differ: {listed}. Start the worker with --partitions to match, "
            "or re-create the topics."
        )
    return ingress


async def ensure_subscriber_topics(
    settings: KafkaSettings,
    layout: TopicLayout,
    subscribers: list[str],
) -> None:
    """Create the topics of subscribers named by reloaded rules (off the event loop)."""
    specs = axis_topics([], layout=layout, subscribers=subscribers)
    await asyncio.to_thread(ensure_topics, settings, specs)
