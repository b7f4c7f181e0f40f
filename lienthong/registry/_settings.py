"""Settings of a registry instance, from ``LIENTHONG_REGISTRY_*`` environment variables.

Where Kafka is comes from :class:`lienthong.settings.KafkaSettings` as for every other
process; these settings only say where the registry listens and which topic holds its
state. Several instances given the same topic serve the same subjects and ids.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from lienthong.registry._compat import CompatibilityLevel

DEFAULT_TOPIC = "_lienthong_schemas"


class RegistrySettings(BaseSettings):
    """Where the schema registry listens and where it keeps its state."""

    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_REGISTRY_", env_file=".env", extra="ignore"
    )

    host: str = Field(default="127.0.0.1", description="Interface to listen on.")
    port: int = Field(default=8081, ge=0, le=65535, description="TCP port (0: any free port).")
    topic: str = Field(
        default=DEFAULT_TOPIC,
        min_length=1,
        description="Compacted one-partition topic that stores subjects, ids and config.",
    )
    compatibility: CompatibilityLevel = Field(
        default=CompatibilityLevel.BACKWARD,
        description="Global compatibility level until one is set through PUT /config.",
    )
    anonymous_reads: bool = Field(
        default=True,
        description="Serve reads (schemas, subjects, look-ups) without credentials; writes "
        "always need an admin operator from the agencies file (LIENTHONG_AGENCIES_FILE).",
    )
    timeout_s: float = Field(
        default=15.0,
        gt=0,
        description="How long a write may take to reach Kafka and come back before it fails.",
    )
