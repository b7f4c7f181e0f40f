"""Settings shared by every lienthong process.

Every value comes from a ``LIENTHONG_*`` environment variable (or a ``.env`` file in the
working directory); nothing else in the code base decides where Kafka is. The defaults
run everything on one laptop against the local broker that ``lienthong broker start``
manages; pointing at a real cluster is a matter of setting
``LIENTHONG_BOOTSTRAP_SERVERS`` and, when the cluster is secured, the security settings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SecurityProtocol = Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"]
SaslMechanism = Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"]


def _default_home() -> Path:
    return Path.home() / ".lienthong"


class KafkaSettings(BaseSettings):
    """How to reach Kafka: the local broker by default, any cluster by setting."""

    model_config = SettingsConfigDict(env_prefix="LIENTHONG_", env_file=".env", extra="ignore")

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092",
        description="Comma-separated host:port list of Kafka brokers.",
    )
    client_id: str = Field(default="lienthong", description="Client id sent to the brokers.")
    security_protocol: SecurityProtocol = "PLAINTEXT"
    sasl_mechanism: SaslMechanism | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = Field(default=None, description="CA bundle for TLS listeners.")

    @field_validator("bootstrap_servers")
    @classmethod
    def _check_servers(cls, value: str) -> str:
        servers = [s.strip() for s in value.split(",") if s.strip()]
        for server in servers:
            host, sep, port = server.rpartition(":")
            if not sep or not host or not port.isdigit():
                raise ValueError(f"{server!r} is not host:port (example: 127.0.0.1:9092)")
        if not servers:
            raise ValueError("at least one host:port is needed (example: 127.0.0.1:9092)")
        return ",".join(servers)

    @property
    def bootstrap_list(self) -> list[str]:
        """The bootstrap servers as a list, the form Python Kafka clients take."""
        return self.bootstrap_servers.split(",")


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
