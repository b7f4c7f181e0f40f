"""Settings shared by every lienthong process.

Every value comes from a ``LIENTHONG_*`` environment variable (or a ``.env`` file in the
working directory). How to reach Kafka is :class:`lienthong.connectors.kafka.KafkaSettings`
(``LIENTHONG_BOOTSTRAP_SERVERS`` and the security settings), the one home of Kafka's
client settings; this module holds the local broker's and the registry client's.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path.home() / ".lienthong"


class LocalBrokerSettings(BaseSettings):
    """Where and how the local development broker runs (``lienthong broker ...``)."""

    model_config = SettingsConfigDict(
        env_prefix="LIENTHONG_BROKER_", env_file=".env", extra="ignore"
    )

    home: Path = Field(
        default_factory=lambda: _default_home() / "broker",
        description="Data directory, log file and pid file of the local broker.",
    )
    jar_cache: Path = Field(
        default_factory=lambda: Path.home() / ".cache" / "lienthong" / "kafka",
        description="Where `lienthong broker fetch` keeps the Kafka jars (outside the repo).",
    )
    host: str = "127.0.0.1"
    port: int = Field(default=9092, ge=1, le=65535)
    controller_port: int = Field(default=9093, ge=1, le=65535)
    secure: bool = Field(
        default=False,
        description=(
            "Run secured: SCRAM-SHA-512 on the client port (SASL_PLAINTEXT), SASL_SSL on "
            "the TLS port, ACLs enforced, only svc.admin a super user."
        ),
    )
    tls_port: int = Field(default=9094, ge=1, le=65535, description="SASL_SSL port if secure.")
    heap_mb: int = Field(default=512, ge=128, description="Java heap for the broker, in MB.")
    partitions: int = Field(default=3, ge=1, description="Default partitions of new topics.")
    start_timeout_s: float = Field(default=60.0, gt=0)
    stop_timeout_s: float = Field(default=20.0, gt=0)


class CredentialsSettings(BaseSettings):
    """Where SCRAM credentials are written, one ``<principal>.env`` file each (mode 0600)."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", env_file=".env", extra="ignore")

    credentials_dir: Path = Field(
        default_factory=lambda: _default_home() / "credentials",
        description="Folder of the SCRAM credentials provisioning and the local broker make.",
    )


class RegistryClientSettings(BaseSettings):
    """Where clients find the schema registry (``LIENTHONG_REGISTRY_URL``)."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", env_file=".env", extra="ignore")

    registry_url: str = Field(
        default="http://127.0.0.1:8081",
        description="Schema registry speaking the Confluent REST API v1.",
    )
    registry_username: str | None = Field(
        default=None,
        description="Operator name for registry writes (an admin of the agencies file).",
    )
    registry_password: SecretStr | None = Field(default=None, description="Its password.")

    @property
    def registry_auth(self) -> tuple[str, str] | None:
        """Basic credentials for the registry, when a username is set."""
        if self.registry_username is None:
            return None
        secret = self.registry_password.get_secret_value() if self.registry_password else ""
        return (self.registry_username, secret)
