"""Settings of ``lienthong worker``, from ``LIENTHONG_WORKER_*`` variables (or ``.env``).

Kafka is reached through :class:`lienthong.connectors.kafka.KafkaSettings`, topics are
laid out by :class:`lienthong.connectors.topics.TopicSettings` (``LIENTHONG_TOPIC_*``) and
the registry is ``LIENTHONG_REGISTRY_URL``, as for every other service.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.connectors.kafka import KafkaSettings
from lienthong.connectors.topics import TopicLayout, topic_layout


def _home() -> Path:
    return Path.home() / ".lienthong" / "worker"


class WorkerSettings(BaseSettings):
    """What one worker process reads, writes and keeps."""

    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_WORKER_", env_file=".env", extra="ignore"
    )

    app_id: str = Field(
        default="lienthong-worker",
        pattern=r"^[A-Za-z0-9._-]+$",
        description="faust app id: the consumer group, and the prefix of its table topics. "
        "Workers with the same id share the work.",
    )
    topic_prefix: str | None = Field(
        default=None,
        description="Prefix of every axis topic, for this worker only (default: "
        "LIENTHONG_TOPIC_PREFIX; another prefix gives a separate axis).",
    )
    registry_url: str = Field(
        default="http://127.0.0.1:8081",
        validation_alias=AliasChoices("LIENTHONG_REGISTRY_URL", "registry_url"),
        description="Schema registry (Confluent REST API v1).",
    )
    rules_path: Path | None = Field(
        default=None,
        description="Routing rules (YAML); without it the route stage does not run.",
    )
    rules_poll_s: float = Field(
        default=1.0, gt=0, description="How often the rules file is stat'ed."
    )
    store: Literal["memory", "rocksdb"] = Field(
        default="memory",
        description="Where the entity table lives: memory (rebuilt from its compacted "
        "changelog topic at every start; the tested default) or RocksDB on disk through "
        "rocksdict (recovers from local files; NOT yet working: the worker stalled with it "
        "in the benchmark, under investigation).",
    )
    data_dir: Path = Field(default_factory=_home, description="faust's data (RocksDB) directory.")
    partitions: int | None = Field(
        default=None,
        ge=1,
        description="Partitions of the topics it creates, for this worker only (default: "
        "LIENTHONG_TOPIC_PARTITIONS). Replication comes from LIENTHONG_TOPIC_REPLICATION.",
    )
    agencies: list[str] = Field(
        default_factory=list,
        description="Agencies whose ingress topics it creates (others must exist already).",
    )
    batch_size: int = Field(
        default=1000,
        ge=1,
        description="Most records one fetch takes; the worker handles a fetch as one batch. "
        "There is no wait to fill a batch: a fetch returns what Kafka has.",
    )
    dedup_ids_per_entity: int = Field(default=64, ge=1)
    dedup_max_age_s: float = Field(default=7 * 86_400.0, gt=0)
    route_recent_ids: int = Field(default=200_000, ge=1)
    tune_gc: bool = Field(
        default=True,
        description="Freeze start-up objects out of the garbage collector and collect less "
        "often (monitoring/process.py): full collections otherwise stall the stream for "
        "~150 ms each. Turn off only when embedding the worker in another program.",
    )
    web_port: int | None = Field(
        default=None,
        ge=0,
        le=65535,
        description="Serve /metrics (and the query API) on this port (none: no web).",
    )
    web_host: str = Field(
        default="127.0.0.1",
        min_length=1,
        description="Address the web server binds (0.0.0.0: every interface).",
    )
    web_advertised_host: str | None = Field(
        default=None,
        min_length=1,
        description="Host other workers reach this one's web server at (forwarded look-ups, "
        "scatter-gather); default: web_host, or this machine's name when that is 0.0.0.0/::.",
    )
    web_advertised_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="Port other workers reach it at (behind NAT or a proxy); default web_port.",
    )
    session_timeout_s: float = Field(
        default=10.0,
        ge=6.0,
        le=300.0,
        description="How long the group waits for a silent worker before reassigning its "
        "partitions: the longest the views of a crashed worker's partitions answer 503. "
        "The broker refuses values outside its group.min/max.session.timeout.ms (6-300 s "
        "by default).",
    )

    def advertised_url(self) -> str:
        """The web URL other workers use for this one (faust's ``canonical_url``)."""
        host = self.web_advertised_host or self.web_host
        if host in ("0.0.0.0", "::"):  # noqa: S104  # a bind-all address is no destination
            host = socket.getfqdn()
        port = self.web_advertised_port or self.web_port or 6066
        return f"http://{host}:{port}"

    log_level: str = Field(default="warning")

    def layout(self, kafka: KafkaSettings) -> TopicLayout:
        """The axis's topic layout, with this worker's prefix and partitions if set."""
        return topic_layout(kafka, prefix=self.topic_prefix, partitions=self.partitions)
