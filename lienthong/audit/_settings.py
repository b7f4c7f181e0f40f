"""Where a process sends the security feed (``LIENTHONG_AUDIT_*``)."""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.audit._kafka import KafkaAuditSink
from lienthong.audit._trail import AuditSink, AuditTrail, MemoryAuditSink
from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import topic_layout
from lienthong.monitoring.metrics import AxisMetrics
from lienthong.schemas.registry_client import RegistryClient


class AuditSettings(BaseSettings):
    """The audit topic's writer: on by default; off only for a process without Kafka."""

    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_AUDIT_", env_file=".env", extra="ignore"
    )

    enabled: bool = Field(
        default=True,
        description="Write refusals and administrative actions to <prefix>.audit. Turn off "
        "only where no Kafka runs (events are then kept in memory and lost at exit).",
    )
    topic_prefix: str | None = Field(
        default=None, description="Prefix of the audit topic (default: LIENTHONG_TOPIC_PREFIX)."
    )
    registry_url: str = Field(
        default="http://127.0.0.1:8081",
        validation_alias=AliasChoices("LIENTHONG_REGISTRY_URL", "registry_url"),
        description="Schema registry that holds the audit contract.",
    )


def open_trail(
    service: str,
    kafka: KafkaSettings | None = None,
    metrics: AxisMetrics | None = None,
    settings: AuditSettings | None = None,
) -> AuditTrail:
    """A trail for ``service`` writing to the audit topic (or memory, when disabled)."""
    settings = settings or AuditSettings()
    sink: AuditSink
    if settings.enabled:
        url = settings.registry_url
        sink = KafkaAuditSink(
            kafka or KafkaSettings(),
            lambda: RegistryClient(url),
            layout=topic_layout(kafka or KafkaSettings(), prefix=settings.topic_prefix),
            on_drop=(
                (lambda n: metrics.audit_dropped.labels(service).inc(n))
                if metrics is not None
                else (lambda _: None)
            ),
        )
    else:
        sink = MemoryAuditSink()
    return AuditTrail(service, sink, metrics)
