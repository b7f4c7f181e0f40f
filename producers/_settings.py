"""Settings of the agency SDK, from ``LIENTHONG_PUBLISHER_*`` variables (or ``.env``).

A misspelt variable is an error, not a silent default: ``LIENTHONG_PUBLISHER_SPOOL_PATHH``
would otherwise leave events in a spool nobody drains. Kafka itself is reached through
:class:`lienthong.settings.KafkaSettings` (``LIENTHONG_BOOTSTRAP_SERVERS`` ...).
"""

from __future__ import annotations

import difflib
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def reject_unknown_env(prefix: str, fields: dict[str, Any]) -> None:
    """Raise ``ValueError`` naming every ``{prefix}*`` variable that is not a setting."""
    # A field read under an axis-wide name (validation_alias) has no prefixed name.
    known = {
        f"{prefix}{name}".upper()
        for name, info in fields.items()
        if getattr(info, "validation_alias", None) is None
    }
    unknown = sorted(k for k in os.environ if k.upper().startswith(prefix) and k not in known)
    if unknown:
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name.upper(), sorted(known), n=1)
            hints.append(f"{name} (did you mean {close[0]}?)" if close else name)
        raise ValueError(
            f"unknown setting(s): {', '.join(hints)}; known: {', '.join(sorted(known))}"
        )


def _lienthong_home() -> Path:
    return Path.home() / ".lienthong"


class PublisherSettings(BaseSettings):
    """How the SDK encodes, batches and, when Kafka is away, spools events."""

    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_PUBLISHER_", env_file=".env", extra="forbid"
    )

    registry_url: str = Field(
        default="http://127.0.0.1:8081",
        # Shared with every other service, so it keeps the axis-wide name.
        validation_alias=AliasChoices("LIENTHONG_REGISTRY_URL", "registry_url"),
        description="Schema registry (Confluent REST API v1) that assigns schema ids.",
    )
    spool_path: Path = Field(
        default_factory=lambda: _lienthong_home() / "spool" / "publisher.sqlite3",
        description="SQLite file that keeps events while Kafka is unreachable.",
    )
    spool_max_bytes: int = Field(
        default=256 * 1024 * 1024,
        ge=1024,
        description="Bound of the spool (keys + values + headers); beyond it SpoolFull.",
    )
    delivery_timeout_s: float = Field(
        default=15.0,
        gt=0,
        description="How long Kafka may take to acknowledge before the event is spooled.",
    )
    linger_ms: int = Field(default=5, ge=0, description="Batching delay of the producer.")
    batch_bytes: int = Field(
        default=128 * 1024,
        ge=1024,
        description="Largest record batch per partition. kafka-python's 16 KiB holds ~35 "
        "dossier events; 128 KiB measured 1.5-2x the events/s on this machine "
        "(bench/bench_producers.py), at no latency cost since linger bounds the wait.",
    )
    retry_interval_s: float = Field(
        default=2.0, gt=0, description="Pause between attempts to drain the spool."
    )
    drain_batch: int = Field(default=500, ge=1, description="Spooled events sent per drain round.")
    create_topics: bool = Field(
        default=True,
        description="Create a missing ingress topic on first use, as the topic layout says "
        "(LIENTHONG_TOPIC_*). Only ever on a single broker: on a cluster (several "
        "bootstrap servers) a missing topic is refused with a pointer to `lienthong topics "
        "apply`. Set false where topics are provisioned and ACL-protected.",
    )
    transport: Literal["kafka-python", "librdkafka"] = Field(
        default="kafka-python",
        description="Kafka client under the publisher. kafka-python (the default, pure "
        "Python) or librdkafka through confluent-kafka (opt-in, `pip install "
        "confluent-kafka==2.16.1`): same guarantees (acks=all, idempotence, order per "
        "key, spool on failure), several times less CPU per event "
        "(bench/bench_producers.py).",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_variables(cls, data: Any) -> Any:
        reject_unknown_env("LIENTHONG_PUBLISHER_", cls.model_fields)
        return data
