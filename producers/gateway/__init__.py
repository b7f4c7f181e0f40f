"""The HTTP ingestion gateway for agency systems that will not embed a Kafka client.

``lienthong gateway`` serves it on http://127.0.0.1:8080 (OpenAPI at ``/docs``);
:func:`create_app` builds the ASGI app for tests and other servers. Agencies' API keys live
in the agencies file, managed with ``lienthong agencies add|list|revoke-key``.
"""

from lienthong.producers.gateway._app import Gateway, create_app
from lienthong.producers.gateway._idempotency import IdempotencyStore
from lienthong.producers.gateway._ratelimit import RateLimiter
from lienthong.producers.gateway._server import serve
from lienthong.producers.gateway._settings import GatewaySettings
from lienthong.producers.gateway._sink import AioKafkaSink, PublisherSink, Sink

__all__ = [
    "AioKafkaSink",
    "Gateway",
    "GatewaySettings",
    "IdempotencyStore",
    "PublisherSink",
    "RateLimiter",
    "Sink",
    "create_app",
    "serve",
]
