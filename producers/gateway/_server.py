"""Serving the gateway with uvicorn (``lienthong gateway``), in one or several processes."""

from __future__ import annotations

import uvicorn
from fastapi import FastAPI

from lienthong.connectors.kafka import KafkaSettings
from lienthong.monitoring.process import freeze_startup_objects
from lienthong.producers._errors import ProducerError
from lienthong.producers.gateway._app import create_app
from lienthong.producers.gateway._settings import GatewaySettings
from lienthong.web import JsonErrorProtocol


def app_from_environment() -> FastAPI:
    """The gateway configured from ``LIENTHONG_*`` variables (uvicorn's app factory).

    Also tunes this process's garbage collector, as servers do: it is the gateway's
    own process (never an agency's), so the setting touches nobody else's code.
    """
    app = create_app(KafkaSettings(), GatewaySettings())
    freeze_startup_objects()
    return app


def serve(settings: GatewaySettings | None = None, *, log_level: str = "info") -> None:
    """Run the gateway until interrupted, with ``settings.workers`` processes.

    Several workers share the port, the key file and the idempotency file (SQLite
    locks make claims atomic across them); each has its own rate-limit buckets and its
    own Kafka producer. Settings reach the workers through the environment, so pass
    them as ``LIENTHONG_GATEWAY_*`` variables (the CLI does).
    """
    settings = settings or GatewaySettings()
    if settings.workers > 1 and settings.producer == "kafka-python":
        # One spool file per process, locked: a second worker could not open it, and
        # a per-process file would be orphaned by the next restart.
        raise ProducerError(
            "the kafka-python producer keeps a spool file per gateway, so it runs with "
            "one worker; use LIENTHONG_GATEWAY_PRODUCER=aiokafka for several workers"
        )
    # access_log off: a log line per request costs more CPU than a small request's
    # Kafka work; /metrics counts requests by route and status instead.
    uvicorn.run(
        "lienthong.producers.gateway._server:app_from_environment",
        factory=True,
        host=settings.host,
        port=settings.port,
        workers=settings.workers,
        log_level=log_level,
        access_log=False,
        # The HTTP layer's own refusals (malformed requests, endless headers) in JSON.
        http=JsonErrorProtocol,
    )
