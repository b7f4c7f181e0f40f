"""The faust-streaming worker: the validate and route stages (``lienthong worker``).

::

    from lienthong.consumers.worker import WorkerSettings, create_worker, run_worker
    run_worker(WorkerSettings(rules_path=Path("routes.yaml")), KafkaSettings())
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from lienthong.connectors.kafka import KafkaSettings
from lienthong.consumers.errors import WorkerCrashed
from lienthong.consumers.worker.app import Worker, create_worker
from lienthong.consumers.worker.settings import WorkerSettings
from lienthong.consumers.worker.stages import RouteStage, ValidateStage
from lienthong.consumers.worker.topics import ENTITY_TABLE, prepare, worker_specs


async def serve(settings: WorkerSettings, kafka: KafkaSettings) -> None:
    """Create the topics, run the worker until SIGINT or SIGTERM, then stop it cleanly.

    Raises :class:`~lienthong.consumers.errors.WorkerCrashed` when faust crashed the app:
    a process that kept running would hold its partitions unread. A record never does
    this (every stage sends a record it raised for to the dead letters); only the
    worker's environment does (Kafka, the registry, the disk).
    """
    # Built inside the running loop: faust's services bind to the loop they are made in.
    worker = create_worker(settings, kafka)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    await worker.app.start()
    logging.getLogger(__name__).warning(
        "lienthong worker %s ready: %d ingress topics", settings.app_id, len(worker.ingress)
    )
    try:
        while not stop.is_set() and not worker.app.crashed:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=0.5)
    finally:
        await worker.app.stop()
    reason = worker.app.crash_reason
    if reason is not None:
        raise WorkerCrashed(f"the worker stopped: {reason}") from reason


def run_worker(settings: WorkerSettings, kafka: KafkaSettings) -> None:
    """Run the worker until SIGINT/SIGTERM (blocks).

    A plain asyncio runner rather than ``faust.Worker``: logging and signals behave as
    in the rest of the CLI, and :func:`serve` runs as well inside another program.
    """
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    asyncio.run(serve(settings, kafka))


__all__ = [
    "ENTITY_TABLE",
    "RouteStage",
    "ValidateStage",
    "Worker",
    "WorkerSettings",
    "create_worker",
    "prepare",
    "run_worker",
    "serve",
    "worker_specs",
]
