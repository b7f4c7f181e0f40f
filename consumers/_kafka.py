"""aiokafka and faust client options from :class:`~lienthong.settings.KafkaSettings`.

:mod:`lienthong.connectors.kafka` speaks kafka-python's option names; aiokafka (under
the worker and the subscriber SDK) differs for TLS (an ``ssl.SSLContext``) and faust
wants credentials objects. Durability is stated here, not inherited: aiokafka's
producer has idempotence *off* by default (DESIGN.md), ours has it on with acks=all.
"""

from __future__ import annotations

import ssl
from typing import Any

import faust

from lienthong._lz4 import use_fast_lz4
from lienthong.settings import KafkaSettings


def _ssl_context(settings: KafkaSettings) -> ssl.SSLContext | None:
    if settings.security_protocol not in ("SSL", "SASL_SSL"):
        return None
    cafile = str(settings.ssl_cafile) if settings.ssl_cafile else None
    return ssl.create_default_context(cafile=cafile)


def aiokafka_client(settings: KafkaSettings) -> dict[str, Any]:
    """Connection and security options aiokafka's producer and consumer accept."""
    config: dict[str, Any] = {
        "bootstrap_servers": settings.bootstrap_list,
        "client_id": settings.client_id,
        "security_protocol": settings.security_protocol,
    }
    context = _ssl_context(settings)
    if context is not None:
        config["ssl_context"] = context
    if settings.sasl_mechanism is not None:
        config["sasl_mechanism"] = settings.sasl_mechanism
        config["sasl_plain_username"] = settings.sasl_username
        config["sasl_plain_password"] = (
            settings.sasl_password.get_secret_value() if settings.sasl_password else None
        )
    return config


def aiokafka_producer(settings: KafkaSettings, **overrides: Any) -> dict[str, Any]:
    """Producer options: acks=all and idempotence on (ordered, no duplicates on retry)."""
    use_fast_lz4()
    config = aiokafka_client(settings) | {
        "acks": "all",
        "enable_idempotence": True,
        "linger_ms": 5,
        # lz4 (through cramjam, at level 1: lienthong/_lz4.py): cheapest on CPU, as for
        # kafka-python's producers.
        "compression_type": "lz4",
        "max_batch_size": 256 * 1024,
    }
    return config | overrides


def faust_broker(settings: KafkaSettings) -> str:
    """The ``broker`` URL faust takes: ``kafka://host:port;host:port``."""
    return ";".join(f"kafka://{server}" for server in settings.bootstrap_list)


def faust_credentials(
    settings: KafkaSettings,
) -> faust.SASLCredentials | faust.SSLCredentials | None:
    """faust's credentials object for secured clusters (``None`` for PLAINTEXT)."""
    context = _ssl_context(settings)
    if settings.sasl_mechanism is not None:
        return faust.SASLCredentials(
            username=settings.sasl_username,
            password=settings.sasl_password.get_secret_value() if settings.sasl_password else None,
            ssl_context=context,
            mechanism=settings.sasl_mechanism,
        )
    if context is not None:
        return faust.SSLCredentials(context)
    return None
