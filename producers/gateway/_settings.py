"""Settings of the ingestion gateway, from ``LIENTHONG_GATEWAY_*`` variables (or ``.env``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.producers._settings import reject_unknown_env


def _home() -> Path:
    return Path.home() / ".lienthong" / "gateway"


class GatewaySettings(BaseSettings):
    """Where the gateway listens, where it keeps keys and results, and its limits."""

    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_GATEWAY_", env_file=".env", extra="forbid"
    )

    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8080, ge=0, le=65535, description="TCP port.")
    workers: int = Field(
        default=1, ge=1, description="Gateway processes sharing the port (one per core)."
    )
    registry_url: str = Field(
        default="http://127.0.0.1:8081",
        validation_alias=AliasChoices("LIENTHONG_REGISTRY_URL", "registry_url"),
        description="Schema registry that assigns schema ids.",
    )
    idempotency_path: Path = Field(
        default_factory=lambda: _home() / "idempotency.sqlite3",
        description="SQLite file of event ids already produced; share it between the "
        "gateways of one host.",
    )
    idempotency_ttl_s: float = Field(default=7 * 86_400.0, gt=0)
    rate_per_s: float = Field(
        default=1000.0, gt=0, description="Events per second each agency may send."
    )
    burst: int = Field(default=5000, ge=1, description="Events an agency may send at once.")
    max_body_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Larger request bodies get 413."
    )
    max_batch: int = Field(default=500, ge=1, description="Most events in one batch request.")
    producer: Literal["aiokafka", "kafka-python"] = Field(
        default="aiokafka",
        description="Kafka client: aiokafka in the event loop (measured faster, see "
        "bench/bench_producers.py) or the SDK's kafka-python publisher with its spool.",
    )
    delivery_timeout_s: float = Field(
        default=15.0, gt=0, description="How long Kafka may take to acknowledge (then 503)."
    )
    linger_ms: int = Field(default=5, ge=0)
    batch_bytes: int = Field(
        default=128 * 1024,
        ge=1024,
        description="Largest record batch per partition (see PublisherSettings.batch_bytes).",
    )
    create_topics: bool = Field(
        default=True,
        description="Create a missing ingress topic on first use, as the topic layout says "
        "(LIENTHONG_TOPIC_*), on a single broker only: on a cluster a missing topic is "
        "refused with a pointer to `lienthong topics apply`.",
    )
    spool_path: Path = Field(
        default_factory=lambda: _home() / "spool.sqlite3",
        description="Spool of the kafka-python producer (producer=kafka-python only).",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_variables(cls, data: Any) -> Any:
        reject_unknown_env("LIENTHONG_GATEWAY_", cls.model_fields)
        return data

    @model_validator(mode="after")
    def _batch_fits_burst(self) -> GatewaySettings:
        if self.max_batch > self.burst:
            raise ValueError(
                f"max_batch ({self.max_batch}) exceeds burst ({self.burst}): such a batch "
                "could never pass the rate limit"
            )
        return self
